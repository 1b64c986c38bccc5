package awsiot

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// topicOfLen returns a topic of n bytes with no slash.
func topicOfLen(n int) string { return strings.Repeat("t", n) }

// topicWithSlashes returns a topic with n slashes.
func topicWithSlashes(n int) string { return "a" + strings.Repeat("/a", n) }

// checkErr asserts err matches want (nil for success) and, for a
// *LimitError, its measured value and maximum.
func checkErr(t *testing.T, err, want error, wantValue, wantMax int) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
	if !strings.HasPrefix(err.Error(), "awsiot: ") {
		t.Errorf("error %q lacks the package prefix", err)
	}
	if wantMax == 0 {
		return
	}
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("err = %T %v, want *LimitError", err, err)
	}
	if le.Value != wantValue || le.Max != wantMax {
		t.Errorf("LimitError value, max = %d, %d; want %d, %d", le.Value, le.Max, wantValue, wantMax)
	}
}

func TestValidateTopic(t *testing.T) {
	const rules = "$aws/rules/my_rule/"
	tests := []struct {
		name      string
		topic     string
		want      error
		wantValue int
		wantMax   int
	}{
		{"simple", "dev-1/events", nil, 0, 0},
		{"256 bytes", topicOfLen(256), nil, 0, 0},
		{"257 bytes", topicOfLen(257), ErrTopicTooLong, 257, 256},
		{"256 bytes of UTF-8 counted in bytes", strings.Repeat("é", 128), nil, 0, 0},
		{"258 bytes of UTF-8", strings.Repeat("é", 129), ErrTopicTooLong, 258, 256},
		{"rules prefix not counted in length", rules + topicOfLen(256), nil, 0, 0},
		{"rules prefix, 257 after it", rules + topicOfLen(257), ErrTopicTooLong, 257, 256},
		{"rules prefix is case-insensitive", "$AWS/Rules/r/" + topicOfLen(256), nil, 0, 0},
		{"rules prefix without rule name counts", "$aws/rules//" + topicOfLen(250), ErrTopicTooLong, 262, 256},
		{"7 slashes", topicWithSlashes(7), nil, 0, 0},
		{"8 slashes", topicWithSlashes(8), ErrTooManySlashes, 8, 7},
		{"empty levels count", "///////", nil, 0, 0},
		{"8 empty levels", "////////", ErrTooManySlashes, 8, 7},
		{"rules prefix slashes not counted", rules + topicWithSlashes(7), nil, 0, 0},
		{"rules prefix, 8 slashes after it", rules + topicWithSlashes(8), ErrTooManySlashes, 8, 7},
		{"rules prefix alone counts as is", "$aws/rules/r", nil, 0, 0},
		{"shadow topic", "$aws/things/dev-1/shadow/name/config/update", nil, 0, 0},
		{"named shadow response has 7 slashes", "$aws/things/dev-1/shadow/name/config/update/accepted", nil, 0, 0},
		{"reserved topics are counted whole", "$aws/things/dev-1/shadow/name/config/update/accepted/x", ErrTooManySlashes, 8, 7},
		{"over MQTT's string limit", "$aws/rules/" + topicOfLen(70000) + "/x", ErrTopicTooLong, 70013, 65535},
		{"empty", "", ErrInvalidTopic, 0, 0},
		{"not UTF-8", "a/\xff", ErrInvalidTopic, 0, 0},
		{"NUL", "a/\x00", ErrInvalidTopic, 0, 0},
		{"plus", "a/+/b", ErrInvalidTopic, 0, 0},
		{"hash", "a/#", ErrInvalidTopic, 0, 0},
		{"hash inside a level", "a/b#", ErrInvalidTopic, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, ValidateTopic(tt.topic), tt.want, tt.wantValue, tt.wantMax)
		})
	}
}

func TestValidateFilter(t *testing.T) {
	tests := []struct {
		name      string
		filter    string
		want      error
		wantValue int
		wantMax   int
	}{
		{"plain", "dev-1/request/list", nil, 0, 0},
		{"multi-level", "dev-1/request/#", nil, 0, 0},
		{"hash alone", "#", nil, 0, 0},
		{"plus alone", "+", nil, 0, 0},
		{"plus levels", "+/+/status", nil, 0, 0},
		{"hash not last", "a/#/b", ErrInvalidTopic, 0, 0},
		{"hash inside a level", "a/b#", ErrInvalidTopic, 0, 0},
		{"plus inside a level", "a/b+/c", ErrInvalidTopic, 0, 0},
		{"empty", "", ErrInvalidTopic, 0, 0},
		{"not UTF-8", "\xc3", ErrInvalidTopic, 0, 0},
		{"NUL", "a\x00", ErrInvalidTopic, 0, 0},
		{"256 bytes", topicOfLen(254) + "/#", nil, 0, 0},
		{"257 bytes", topicOfLen(255) + "/#", ErrTopicTooLong, 257, 256},
		{"7 slashes", "a/b/c/d/e/f/g/#", nil, 0, 0},
		{"8 slashes", "a/b/c/d/e/f/g/h/#", ErrTooManySlashes, 8, 7},
		{"shared prefix not counted", "$share/group/a/b/c/d/e/f/g/#", nil, 0, 0},
		{"shared prefix, 8 slashes after it", "$share/group/a/b/c/d/e/f/g/h/#", ErrTooManySlashes, 8, 7},
		{"shared prefix needs a group", "$share//a/b/c/d/e/f/#", ErrTooManySlashes, 8, 7},
		{"shared group cannot be a wildcard", "$share/+/a/b/c/d/e/f/#", ErrTooManySlashes, 8, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, ValidateFilter(tt.filter), tt.want, tt.wantValue, tt.wantMax)
		})
	}
}

func TestValidatePayloadSize(t *testing.T) {
	tests := []struct {
		n    int
		want error
	}{
		{0, nil},
		{131072, nil},
		{131073, ErrPayloadTooLarge},
		{1 << 30, ErrPayloadTooLarge},
	}
	for _, tt := range tests {
		err := ValidatePayloadSize(tt.n)
		if tt.want == nil {
			if err != nil {
				t.Errorf("ValidatePayloadSize(%d) = %v, want nil", tt.n, err)
			}
			continue
		}
		var le *LimitError
		if !errors.Is(err, tt.want) || !errors.As(err, &le) || le.Value != tt.n || le.Max != MaxPayloadSize {
			t.Errorf("ValidatePayloadSize(%d) = %v, want *LimitError %v", tt.n, err, tt.want)
		}
	}
	if got := (&LimitError{Kind: ErrPayloadTooLarge, Limit: "payload size", Value: 131073, Max: 131072}).Error(); got != "awsiot: payload size 131073 exceeds maximum 131072" {
		t.Errorf("Error() = %q", got)
	}
}

func TestValidateQoS(t *testing.T) {
	for qos, want := range []error{nil, nil, ErrQoSNotSupported, ErrQoSNotSupported} {
		err := ValidateQoS(byte(qos))
		if (want == nil) != (err == nil) || !errors.Is(err, want) {
			t.Errorf("ValidateQoS(%d) = %v, want %v", qos, err, want)
		}
	}
}

func TestValidatePublish(t *testing.T) {
	tests := []struct {
		name    string
		topic   string
		payload []byte
		qos     byte
		want    error
	}{
		{"ok", "dev-1/events", make([]byte, MaxPayloadSize), 1, nil},
		{"bad topic first", "a/#", make([]byte, MaxPayloadSize+1), 2, ErrInvalidTopic},
		{"QoS before payload", "dev-1/events", make([]byte, MaxPayloadSize+1), 2, ErrQoSNotSupported},
		{"payload", "dev-1/events", make([]byte, MaxPayloadSize+1), 0, ErrPayloadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, ValidatePublish(tt.topic, tt.payload, tt.qos), tt.want, 0, 0)
		})
	}
}

func TestValidateSubscribe(t *testing.T) {
	eight := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	tests := []struct {
		name      string
		filters   []string
		want      error
		wantValue int
		wantMax   int
	}{
		{"one", []string{"dev-1/request/#"}, nil, 0, 0},
		{"eight", eight, nil, 0, 0},
		{"nine", append(eight[:8:8], "i"), ErrTooManyFilters, 9, 8},
		{"none", nil, ErrInvalidTopic, 0, 0},
		{"one bad filter", []string{"a", "b/#/c"}, ErrInvalidTopic, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, ValidateSubscribe(tt.filters), tt.want, tt.wantValue, tt.wantMax)
		})
	}
}

func TestValidateSubscriptionCount(t *testing.T) {
	checkErr(t, ValidateSubscriptionCount(0), nil, 0, 0)
	checkErr(t, ValidateSubscriptionCount(50), nil, 0, 0)
	checkErr(t, ValidateSubscriptionCount(51), ErrTooManySubscriptions, 51, 50)
}

func TestValidateClientID(t *testing.T) {
	tests := []struct {
		name      string
		id        string
		want      error
		wantValue int
		wantMax   int
	}{
		{"thing name", "dev-1", nil, 0, 0},
		{"128 bytes", topicOfLen(128), nil, 0, 0},
		{"129 bytes", topicOfLen(129), ErrInvalidClientID, 129, 128},
		{"128 bytes of UTF-8", strings.Repeat("é", 64), nil, 0, 0},
		{"130 bytes of UTF-8", strings.Repeat("é", 65), ErrInvalidClientID, 130, 128},
		{"dollar inside is fine", "a$b", nil, 0, 0},
		{"slash is fine", "a/b", nil, 0, 0},
		{"leading dollar", "$dev", ErrInvalidClientID, 0, 0},
		{"empty", "", ErrInvalidClientID, 0, 0},
		{"not UTF-8", "dev\xff", ErrInvalidClientID, 0, 0},
		{"NUL", "dev\x00", ErrInvalidClientID, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateClientID(tt.id)
			checkErr(t, err, tt.want, tt.wantValue, tt.wantMax)
			if err != nil && len(tt.id) > 2 && strings.Contains(err.Error(), tt.id) {
				t.Errorf("error %q repeats the client ID", err)
			}
		})
	}
}

func TestValidateThingName(t *testing.T) {
	tests := []struct {
		name      string
		thing     string
		want      error
		wantValue int
		wantMax   int
	}{
		{"all allowed characters", "azAZ09:_-", nil, 0, 0},
		{"128 bytes", topicOfLen(128), nil, 0, 0},
		{"129 bytes", topicOfLen(129), ErrInvalidThingName, 129, 128},
		{"empty", "", ErrInvalidThingName, 0, 0},
		{"slash", "a/b", ErrInvalidThingName, 0, 0},
		{"space", "a b", ErrInvalidThingName, 0, 0},
		{"dot", "a.b", ErrInvalidThingName, 0, 0},
		{"wildcard", "a+", ErrInvalidThingName, 0, 0},
		{"dollar", "$a", ErrInvalidThingName, 0, 0},
		{"non-ASCII", "é", ErrInvalidThingName, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, ValidateThingName(tt.thing), tt.want, tt.wantValue, tt.wantMax)
		})
	}
}

func TestClampKeepAlive(t *testing.T) {
	tests := []struct {
		in, want time.Duration
	}{
		{0, 1200 * time.Second},
		{-time.Second, 1200 * time.Second},
		{500 * time.Millisecond, 1200 * time.Second}, // sent as 0 seconds
		{time.Second, 30 * time.Second},
		{29 * time.Second, 30 * time.Second},
		{29999 * time.Millisecond, 30 * time.Second},
		{30 * time.Second, 30 * time.Second},
		{60*time.Second + 900*time.Millisecond, 60 * time.Second},
		{1200 * time.Second, 1200 * time.Second},
		{1201 * time.Second, 1200 * time.Second},
		{65535 * time.Second, 1200 * time.Second},
		{time.Duration(1<<63 - 1), 1200 * time.Second},
	}
	for _, tt := range tests {
		if got := ClampKeepAlive(tt.in); got != tt.want {
			t.Errorf("ClampKeepAlive(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestValidateKeepAlive(t *testing.T) {
	tests := []struct {
		in        time.Duration
		want      error
		wantValue int
	}{
		{30 * time.Second, nil, 0},
		{1200 * time.Second, nil, 0},
		{1200*time.Second + 999*time.Millisecond, nil, 0},
		{0, ErrKeepAliveOutOfRange, 0},
		{29 * time.Second, ErrKeepAliveOutOfRange, 29},
		{1201 * time.Second, ErrKeepAliveOutOfRange, 1201},
		{-5 * time.Second, ErrKeepAliveOutOfRange, -5},
	}
	for _, tt := range tests {
		err := ValidateKeepAlive(tt.in)
		if tt.want == nil {
			if err != nil {
				t.Errorf("ValidateKeepAlive(%v) = %v, want nil", tt.in, err)
			}
			continue
		}
		var le *LimitError
		if !errors.Is(err, tt.want) || !errors.As(err, &le) {
			t.Errorf("ValidateKeepAlive(%v) = %v, want *LimitError %v", tt.in, err, tt.want)
			continue
		}
		if le.Value != tt.wantValue || le.Min != 30 || le.Max != 1200 {
			t.Errorf("ValidateKeepAlive(%v) = %+v, want value %d in [30, 1200]", tt.in, *le, tt.wantValue)
		}
	}
	if got := ValidateKeepAlive(29 * time.Second).Error(); got != "awsiot: keepalive seconds 29 outside [30, 1200]" {
		t.Errorf("Error() = %q", got)
	}
}
