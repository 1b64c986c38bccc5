package command

import "time"

// DefaultReplyTimeout bounds the publishing of one response by a [Device]
// (waiting for the cloud's rate limits and acknowledgement).
const DefaultReplyTimeout = 10 * time.Second

// The options below configure a [Device]; [NewServer] ignores them.

// WithScheme selects the topic scheme a [Device] serves on AWS IoT Core and
// plain brokers (default [SchemeCanonical]). Azure IoT Hub always uses
// direct methods: NewDevice refuses SchemeCmd there.
func WithScheme(s Scheme) Option { return func(c *config) { c.scheme = s } }

// WithGroups makes a [Device] also serve the commands sent to the given
// groups, on "group/{group}/request/#" (see [GroupRequestTopic]). It answers
// them on its own response topic. Azure IoT Hub cannot deliver group
// topics: NewDevice refuses groups there. Each group is one more
// subscription (AWS IoT Core allows 50 per connection).
func WithGroups(groups ...string) Option {
	return func(c *config) { c.groups = append([]string(nil), groups...) }
}

// WithReplyTimeout bounds the publishing of one response
// (default [DefaultReplyTimeout]).
func WithReplyTimeout(d time.Duration) Option { return func(c *config) { c.replyTimeout = d } }
