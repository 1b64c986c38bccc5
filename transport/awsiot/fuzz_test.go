package awsiot

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz targets check the parsers of cloud input (AWS topic → canonical)
// and the limit validators against simple, independently written reference
// computations.

// FuzzFromAWS: the inbound translation never panics, never allocates a new
// string, and agrees with the outbound one.
func FuzzFromAWS(f *testing.F) {
	f.Add("dev-1/", "dev-1/request/sensor/list")
	f.Add("dev-1/", "dev-1/")
	f.Add("dev-1/", "$aws/things/dev-1/shadow/get/accepted")
	f.Add("cmd/dev-1/", "cmd/dev-1/req")
	f.Add("", "a/b")
	f.Add("", "$SYS/x")
	f.Fuzz(func(t *testing.T, prefix, awsTopic string) {
		tp, err := TopicsWithPrefix(prefix)
		if err != nil {
			if !errors.Is(err, ErrInvalidTopicPrefix) {
				t.Fatalf("TopicsWithPrefix(%q) = %v, want ErrInvalidTopicPrefix", prefix, err)
			}
			return
		}
		canonical, ok := tp.FromAWS(awsTopic)
		wantOK := !strings.HasPrefix(awsTopic, "$") && strings.HasPrefix(awsTopic, prefix) && len(awsTopic) > len(prefix)
		if ok != wantOK {
			t.Fatalf("FromAWS(%q) with prefix %q: ok = %v, want %v", awsTopic, prefix, ok, wantOK)
		}
		if !ok {
			if canonical != "" {
				t.Fatalf("FromAWS(%q) = %q, false; want empty", awsTopic, canonical)
			}
			return
		}
		if canonical == "" {
			t.Fatalf("FromAWS(%q) = empty canonical with ok", awsTopic)
		}
		if got := tp.ToAWS(canonical); got != awsTopic {
			t.Fatalf("ToAWS(FromAWS(%q)) = %q", awsTopic, got)
		}
		if got := string(tp.AppendAWS(nil, canonical)); got != awsTopic {
			t.Fatalf("AppendAWS(FromAWS(%q)) = %q", awsTopic, got)
		}
		// The canonical topic is the tail of the AWS topic, not a copy.
		if !strings.HasSuffix(awsTopic, canonical) || len(canonical) != len(awsTopic)-len(prefix) {
			t.Fatalf("FromAWS(%q) = %q, not the tail after %q", awsTopic, canonical, prefix)
		}
	})
}

// rulesPrefix and sharePrefix are written with explicit ASCII classes:
// regexp's (?i) would also fold "ſ" and "K".
var (
	rulesPrefix = regexp.MustCompile(`^(?s)\$[aA][wW][sS]/[rR][uU][lL][eE][sS]/[^/]+/(.*)$`)
	sharePrefix = regexp.MustCompile(`^(?s)\$[sS][hH][aA][rR][eE]/[^/+#]+/(.+)$`)
)

// refTopicLimits is the reference for the length and depth checks.
func refTopicLimits(whole, counted string) error {
	switch {
	case len(whole) > 65535, len(counted) > 256:
		return ErrTopicTooLong
	case len(strings.Split(counted, "/"))-1 > 7:
		return ErrTooManySlashes
	}
	return nil
}

func refCounted(s string, filter bool) string {
	if filter {
		if m := sharePrefix.FindStringSubmatch(s); m != nil {
			s = m[1]
		}
	}
	if m := rulesPrefix.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return s
}

func refValidateTopic(topic string) error {
	if topic == "" || !utf8.ValidString(topic) || strings.ContainsRune(topic, 0) ||
		strings.ContainsRune(topic, '+') || strings.ContainsRune(topic, '#') {
		return ErrInvalidTopic
	}
	return refTopicLimits(topic, refCounted(topic, false))
}

func refValidateFilter(filter string) error {
	if filter == "" || !utf8.ValidString(filter) || strings.ContainsRune(filter, 0) {
		return ErrInvalidTopic
	}
	levels := strings.Split(filter, "/")
	for i, l := range levels {
		if strings.ContainsAny(l, "+#") && l != "+" && l != "#" {
			return ErrInvalidTopic
		}
		if l == "#" && i != len(levels)-1 {
			return ErrInvalidTopic
		}
	}
	return refTopicLimits(filter, refCounted(filter, true))
}

// sameKind reports whether err matches want (both nil, or errors.Is).
func sameKind(err, want error) bool {
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

func FuzzValidateTopic(f *testing.F) {
	f.Add("dev-1/events")
	f.Add("$aws/rules/r/" + strings.Repeat("a/", 7) + "a")
	f.Add("$AWS/RULES/r/x")
	f.Add("a/+/b")
	f.Add(strings.Repeat("x", 257))
	f.Fuzz(func(t *testing.T, topic string) {
		err := ValidateTopic(topic)
		if want := refValidateTopic(topic); !sameKind(err, want) {
			t.Fatalf("ValidateTopic(%q) = %v, want %v", topic, err, want)
		}
		var le *LimitError
		if errors.As(err, &le) && le.Value <= le.Max {
			t.Fatalf("ValidateTopic(%q) = %+v: value within the limit", topic, *le)
		}
	})
}

func FuzzValidateFilter(f *testing.F) {
	f.Add("dev-1/request/#")
	f.Add("$share/g/a/b/c/d/e/f/g/#")
	f.Add("a/#/b")
	f.Add("+/+")
	f.Add("$aws/rules/r/a")
	f.Fuzz(func(t *testing.T, filter string) {
		err := ValidateFilter(filter)
		if want := refValidateFilter(filter); !sameKind(err, want) {
			t.Fatalf("ValidateFilter(%q) = %v, want %v", filter, err, want)
		}
		// A valid topic name is a valid filter.
		if ValidateTopic(filter) == nil && err != nil {
			t.Fatalf("ValidateFilter(%q) = %v, but it is a valid topic", filter, err)
		}
	})
}

func FuzzValidateClientID(f *testing.F) {
	f.Add("dev-1")
	f.Add("$dev")
	f.Add(strings.Repeat("é", 65))
	f.Add("a\x00b")
	f.Fuzz(func(t *testing.T, id string) {
		err := ValidateClientID(id)
		valid := id != "" && len(id) <= 128 && utf8.ValidString(id) &&
			!strings.ContainsRune(id, 0) && !strings.HasPrefix(id, "$")
		if valid != (err == nil) {
			t.Fatalf("ValidateClientID(%q) = %v, want valid=%v", id, err, valid)
		}
		if err != nil && !errors.Is(err, ErrInvalidClientID) {
			t.Fatalf("ValidateClientID(%q) = %v, want ErrInvalidClientID", id, err)
		}
	})
}

var thingNameRE = regexp.MustCompile(`^[a-zA-Z0-9:_-]{1,128}$`)

func FuzzValidateThingName(f *testing.F) {
	f.Add("dev-1")
	f.Add("arn:aws:thing_1")
	f.Add("a/b")
	f.Add("")
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateThingName(name)
		if valid := thingNameRE.MatchString(name); valid != (err == nil) {
			t.Fatalf("ValidateThingName(%q) = %v, want valid=%v", name, err, valid)
		}
		if err != nil && !errors.Is(err, ErrInvalidThingName) {
			t.Fatalf("ValidateThingName(%q) = %v, want ErrInvalidThingName", name, err)
		}
		// A valid thing name makes a Topics whose prefix is name + "/".
		if err == nil {
			tp, terr := NewTopics(name)
			if terr != nil || tp.Prefix() != name+"/" {
				t.Fatalf("NewTopics(%q) = %q, %v", name, tp.Prefix(), terr)
			}
		}
	})
}

func FuzzKeepAlive(f *testing.F) {
	f.Add(int64(0))
	f.Add(int64(30 * time.Second))
	f.Add(int64(1200*time.Second + 1))
	f.Add(int64(-1))
	f.Fuzz(func(t *testing.T, n int64) {
		d := time.Duration(n)
		got := ClampKeepAlive(d)
		secs := n / int64(time.Second)
		var want time.Duration
		switch {
		case secs == 0 || secs < 0 || secs > 1200:
			want = 1200 * time.Second
		case secs < 30:
			want = 30 * time.Second
		default:
			want = time.Duration(secs) * time.Second
		}
		if got != want {
			t.Fatalf("ClampKeepAlive(%v) = %v, want %v", d, got, want)
		}
		// Validate accepts exactly the values the server keeps unchanged.
		err := ValidateKeepAlive(d)
		unchanged := got == time.Duration(secs)*time.Second
		if unchanged != (err == nil) {
			t.Fatalf("ValidateKeepAlive(%v) = %v, clamp = %v", d, err, got)
		}
		if err != nil && !errors.Is(err, ErrKeepAliveOutOfRange) {
			t.Fatalf("ValidateKeepAlive(%v) = %v", d, err)
		}
	})
}
