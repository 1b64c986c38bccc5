package awsiot

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Topics translates between tether's canonical, device-relative topics and
// AWS IoT topics. On AWS a canonical topic is passed through under a prefix,
// by default the thing name:
//
//	canonical                   AWS
//	events                      {thing}/events
//	response/sensor/12/reading  {thing}/response/sensor/12/reading
//	request/# (filter)          {thing}/request/#
//
// Other schemes are other prefixes: the command scheme from AWS guidance,
// requests on "cmd/{thing}/req" and responses on "cmd/{thing}/resp", is
// TopicsWithPrefix("cmd/{thing}/") with canonical topics "req" and "resp".
//
// Translation does not validate: check canonical topics with the transport
// package and AWS topics with ValidateTopic and ValidateFilter. The zero
// Topics has no prefix and translates every topic to itself. A Topics is
// immutable and safe for concurrent use.
type Topics struct {
	prefix string
}

// NewTopics returns the default translation for a thing: prefix
// "{thing}/". It fails with ErrInvalidThingName if thing is not a valid
// thing name.
func NewTopics(thing string) (Topics, error) {
	if err := ValidateThingName(thing); err != nil {
		return Topics{}, err
	}
	return Topics{prefix: thing + "/"}, nil
}

// TopicsWithPrefix returns a translation with a custom prefix, prepended
// as is (include the trailing "/" if one is wanted). An empty prefix
// translates every topic to itself. It fails with ErrInvalidTopicPrefix
// if the prefix is not UTF-8, contains NUL or a wildcard ("+", "#"), or
// starts with "$" (reserved for AWS's own topics).
func TopicsWithPrefix(prefix string) (Topics, error) {
	switch {
	case !utf8.ValidString(prefix):
		return Topics{}, fmt.Errorf("%w: not UTF-8", ErrInvalidTopicPrefix)
	case strings.ContainsAny(prefix, "+#\x00"):
		return Topics{}, fmt.Errorf("%w: contains a wildcard or NUL", ErrInvalidTopicPrefix)
	case strings.HasPrefix(prefix, "$"):
		return Topics{}, fmt.Errorf("%w: starts with $", ErrInvalidTopicPrefix)
	}
	return Topics{prefix: prefix}, nil
}

// Prefix returns the prefix AWS topics carry.
func (t Topics) Prefix() string { return t.prefix }

// ToAWS returns the AWS topic (or filter) for a canonical topic (or
// filter): prefix + canonical. It allocates the result string once; use
// AppendAWS on a reused buffer to avoid that.
func (t Topics) ToAWS(canonical string) string {
	return t.prefix + canonical
}

// AppendAWS appends the AWS topic for canonical to dst and returns the
// extended buffer. It does not allocate when dst has room.
func (t Topics) AppendAWS(dst []byte, canonical string) []byte {
	dst = append(dst, t.prefix...)
	return append(dst, canonical...)
}

// FromAWS returns the canonical topic an AWS topic carries, and whether
// the topic belongs to this device's canonical topics: it starts with the
// prefix and something follows it. AWS's reserved topics (starting with
// "$", such as shadow topics) are never canonical. The result shares
// memory with awsTopic; FromAWS does not allocate.
func (t Topics) FromAWS(awsTopic string) (canonical string, ok bool) {
	if strings.HasPrefix(awsTopic, "$") {
		return "", false
	}
	rest, found := strings.CutPrefix(awsTopic, t.prefix)
	if !found || rest == "" {
		return "", false
	}
	return rest, true
}
