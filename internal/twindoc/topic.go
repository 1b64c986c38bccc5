package twindoc

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Topic filters and prefixes of the twin protocol.
const (
	// ResponseFilter is the subscription that receives every twin response.
	ResponseFilter = "$iothub/twin/res/#"
	// DesiredFilter is the subscription that receives desired-property patches.
	DesiredFilter = "$iothub/twin/PATCH/properties/desired/#"

	getPrefix      = "$iothub/twin/GET/?"
	reportedPrefix = "$iothub/twin/PATCH/properties/reported/?"
	responsePrefix = "$iothub/twin/res/"
	desiredPrefix  = "$iothub/twin/PATCH/properties/desired/?"

	paramRequestID = "$rid"
	paramVersion   = "$version"
)

// Topic errors. Every error returned by the topic functions is a *TopicError
// (parsing) or wraps ErrInvalidRequestID / ErrInvalidVersion / ErrInvalidStatus
// (building).
var (
	// ErrTopicMismatch: the topic is not a twin topic of the kind the parser
	// handles; a dispatcher may try another parser.
	ErrTopicMismatch = errors.New("twindoc: not a twin topic of this kind")
	// ErrMalformedTopic: the topic has the right prefix but a bad status,
	// a missing, empty, duplicated or unparsable $rid or $version.
	ErrMalformedTopic = errors.New("twindoc: malformed twin topic")
	// ErrInvalidRequestID: a request id that cannot travel in a topic.
	ErrInvalidRequestID = errors.New("twindoc: invalid request id")
	// ErrInvalidVersion: a negative $version.
	ErrInvalidVersion = errors.New("twindoc: invalid version")
	// ErrInvalidStatus: a status outside 100..599.
	ErrInvalidStatus = errors.New("twindoc: invalid status")
)

// TopicError reports a topic that could not be parsed.
type TopicError struct {
	Topic  string // the topic as received
	Reason string // what is wrong, for people
	Err    error  // ErrTopicMismatch or ErrMalformedTopic
}

// Error implements error.
func (e *TopicError) Error() string {
	return "twindoc: " + e.Reason + " in topic " + strconv.Quote(e.Topic)
}

// Unwrap returns ErrTopicMismatch or ErrMalformedTopic.
func (e *TopicError) Unwrap() error { return e.Err }

func malformed(topic, reason string) error {
	return &TopicError{Topic: topic, Reason: reason, Err: ErrMalformedTopic}
}

func mismatch(topic, reason string) error {
	return &TopicError{Topic: topic, Reason: reason, Err: ErrTopicMismatch}
}

// Response is a twin response topic: $iothub/twin/res/{status}/?$rid={rid}[&$version={v}].
type Response struct {
	Status    int    // HTTP-style status: 200 GET, 204 reported patch accepted, 4xx/5xx failure
	RequestID string // the $rid of the request this answers
	// Version is the new reported $version (sent with 204); valid only if HasVersion.
	Version    int64
	HasVersion bool
}

// Err returns nil for a successful status and a *StatusError otherwise.
func (r Response) Err() error {
	if Succeeded(r.Status) {
		return nil
	}
	return &StatusError{Status: r.Status, RequestID: r.RequestID}
}

// RequestKind tells which request a device published.
type RequestKind int

// Request kinds.
const (
	// RequestGet is $iothub/twin/GET/?$rid={rid}: read the full twin.
	RequestGet RequestKind = iota + 1
	// RequestPatchReported is $iothub/twin/PATCH/properties/reported/?$rid={rid}.
	RequestPatchReported
)

// String returns the kind's name.
func (k RequestKind) String() string {
	switch k {
	case RequestGet:
		return "GET"
	case RequestPatchReported:
		return "PATCH reported"
	}
	return "RequestKind(" + strconv.Itoa(int(k)) + ")"
}

// Request is a twin request topic as the emulator receives it.
type Request struct {
	Kind      RequestKind
	RequestID string
}

// ValidRequestID reports whether rid can be used as a $rid: non-empty and
// made of printable ASCII (0x21-0x7E) other than the topic and query
// delimiters & = / ? # +. The hub echoes $rid verbatim (no percent-encoding),
// so anything else could not be correlated reliably. UUIDs and decimal
// counters, which the official SDKs use, qualify.
func ValidRequestID(rid string) bool {
	if rid == "" {
		return false
	}
	for i := 0; i < len(rid); i++ {
		c := rid[i]
		if c <= 0x20 || c >= 0x7F {
			return false
		}
		switch c {
		case '&', '=', '/', '?', '#', '+':
			return false
		}
	}
	return true
}

// echoableRequestID reports whether a $rid received from a device can be
// echoed in a response topic. The emulator accepts what ParseRequestTopic
// accepts (the hub echoes any $rid) except what an MQTT topic name cannot
// hold (wildcards, NUL, invalid UTF-8) and '&', which would end the value.
func echoableRequestID(rid string) bool {
	return rid != "" && utf8.ValidString(rid) && !strings.ContainsAny(rid, "&#+\x00")
}

func checkRequestID(rid string) error {
	if !ValidRequestID(rid) {
		return fmt.Errorf("%w %q: want non-empty printable ASCII without & = / ? # +", ErrInvalidRequestID, rid)
	}
	return nil
}

// GetTopic returns the topic that requests the full twin: $iothub/twin/GET/?$rid={rid}.
// Publish it with an empty payload.
func GetTopic(rid string) (string, error) {
	if err := checkRequestID(rid); err != nil {
		return "", err
	}
	return getPrefix + paramRequestID + "=" + rid, nil
}

// ReportedPatchTopic returns the topic that patches reported properties:
// $iothub/twin/PATCH/properties/reported/?$rid={rid}.
func ReportedPatchTopic(rid string) (string, error) {
	if err := checkRequestID(rid); err != nil {
		return "", err
	}
	return reportedPrefix + paramRequestID + "=" + rid, nil
}

// ResponseTopic returns the response topic for r (the emulator side):
// $iothub/twin/res/{status}/?$rid={rid}, plus &$version={v} if r.HasVersion.
// The request id is echoed verbatim, so it is checked more loosely than by
// GetTopic: any id ParseRequestTopic returns from a valid MQTT topic name works.
func ResponseTopic(r Response) (string, error) {
	if r.Status < 100 || r.Status > 599 {
		return "", fmt.Errorf("%w %d: want 100..599", ErrInvalidStatus, r.Status)
	}
	if !echoableRequestID(r.RequestID) {
		return "", fmt.Errorf("%w %q: want non-empty UTF-8 without & # + or NUL", ErrInvalidRequestID, r.RequestID)
	}
	if r.HasVersion && r.Version < 0 {
		return "", fmt.Errorf("%w %d: want >= 0", ErrInvalidVersion, r.Version)
	}
	var sb strings.Builder
	sb.Grow(len(responsePrefix) + 3 + 2 + len(paramRequestID) + 1 + len(r.RequestID) + 2 + len(paramVersion) + 19)
	sb.WriteString(responsePrefix)
	var num [20]byte
	sb.Write(strconv.AppendInt(num[:0], int64(r.Status), 10))
	sb.WriteString("/?" + paramRequestID + "=")
	sb.WriteString(r.RequestID)
	if r.HasVersion {
		sb.WriteString("&" + paramVersion + "=")
		sb.Write(strconv.AppendInt(num[:0], r.Version, 10))
	}
	return sb.String(), nil
}

// DesiredTopic returns the topic of a desired-properties patch (the emulator
// side): $iothub/twin/PATCH/properties/desired/?$version={version}.
func DesiredTopic(version int64) (string, error) {
	if version < 0 {
		return "", fmt.Errorf("%w %d: want >= 0", ErrInvalidVersion, version)
	}
	var num [20]byte
	return desiredPrefix + paramVersion + "=" + string(strconv.AppendInt(num[:0], version, 10)), nil
}

// ParseResponseTopic parses $iothub/twin/res/{status}/?$rid={rid}[&$version={v}].
// The query may hold other parameters in any order; unknown ones are ignored.
// $rid is required and returned verbatim; $version is optional. It does not
// allocate unless it fails.
func ParseResponseTopic(topic string) (Response, error) {
	rest, ok := strings.CutPrefix(topic, responsePrefix)
	if !ok {
		return Response{}, mismatch(topic, "not a twin response")
	}
	statusText, query, ok := strings.Cut(rest, "/")
	if !ok {
		return Response{}, malformed(topic, "missing '/' after status")
	}
	status, ok := parseStatus(statusText)
	if !ok {
		return Response{}, malformed(topic, "status is not a number in 100..599")
	}
	query, ok = strings.CutPrefix(query, "?")
	if !ok {
		return Response{}, malformed(topic, "missing '?' before the query")
	}
	q, reason := parseQuery(query)
	if reason != "" {
		return Response{}, malformed(topic, reason)
	}
	if !q.hasRID {
		return Response{}, malformed(topic, "missing $rid")
	}
	return Response{Status: status, RequestID: q.rid, Version: q.version, HasVersion: q.hasVersion}, nil
}

// ParseDesiredTopic parses $iothub/twin/PATCH/properties/desired/?$version={v}
// and returns the version. Other parameters are ignored. It does not allocate
// unless it fails.
func ParseDesiredTopic(topic string) (version int64, err error) {
	query, ok := strings.CutPrefix(topic, desiredPrefix)
	if !ok {
		return 0, mismatch(topic, "not a desired-properties patch")
	}
	q, reason := parseQuery(query)
	if reason != "" {
		return 0, malformed(topic, reason)
	}
	if !q.hasVersion {
		return 0, malformed(topic, "missing $version")
	}
	return q.version, nil
}

// ParseRequestTopic parses a request a device publishes (the emulator side):
// $iothub/twin/GET/?$rid={rid} or $iothub/twin/PATCH/properties/reported/?$rid={rid}.
// $rid is required; other parameters are ignored. It does not allocate unless
// it fails.
func ParseRequestTopic(topic string) (Request, error) {
	var kind RequestKind
	query, ok := strings.CutPrefix(topic, getPrefix)
	if ok {
		kind = RequestGet
	} else if query, ok = strings.CutPrefix(topic, reportedPrefix); ok {
		kind = RequestPatchReported
	} else {
		return Request{}, mismatch(topic, "not a twin request")
	}
	q, reason := parseQuery(query)
	if reason != "" {
		return Request{}, malformed(topic, reason)
	}
	if !q.hasRID {
		return Request{}, malformed(topic, "missing $rid")
	}
	if !echoableRequestID(q.rid) {
		// The response could not carry it (and '#' or '+' make the topic
		// itself invalid): no request at all, rather than one the hub
		// applies but cannot answer.
		return Request{}, malformed(topic, "$rid cannot be echoed in a response topic")
	}
	return Request{Kind: kind, RequestID: q.rid}, nil
}

type query struct {
	rid        string
	hasRID     bool
	version    int64
	hasVersion bool
}

// parseQuery reads the $rid and $version parameters of a twin topic query
// (name=value pairs separated by '&'). It returns a reason when a known
// parameter is duplicated, has no '=', is empty or (for $version) is not a
// non-negative int64. Values are not percent-decoded: the hub sends and
// echoes them verbatim.
func parseQuery(s string) (q query, reason string) {
	for s != "" {
		var param string
		param, s, _ = strings.Cut(s, "&")
		name, value, hasValue := strings.Cut(param, "=")
		switch name {
		case paramRequestID:
			if q.hasRID {
				return q, "duplicate $rid"
			}
			if !hasValue || value == "" {
				return q, "empty $rid"
			}
			q.rid, q.hasRID = value, true
		case paramVersion:
			if q.hasVersion {
				return q, "duplicate $version"
			}
			if !hasValue {
				return q, "empty $version"
			}
			v, ok := parseNonNegative(value)
			if !ok {
				return q, "$version is not a non-negative 64-bit integer"
			}
			q.version, q.hasVersion = v, true
		}
	}
	return q, ""
}

// parseNonNegative parses a decimal int64 made only of ASCII digits (no sign),
// without allocating.
func parseNonNegative(s string) (int64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

func parseStatus(s string) (int, bool) {
	if len(s) != 3 {
		return 0, false
	}
	n, ok := parseNonNegative(s)
	if !ok || n < 100 || n > 599 {
		return 0, false
	}
	return int(n), true
}
