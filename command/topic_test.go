package command

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateMethod(t *testing.T) {
	tests := []struct {
		method string
		ok     bool
	}{
		{"reboot", true},
		{"sensor.list", true},
		{"a.b.c.d", true},
		{"with space", true},
		{"ünïcode", true},
		{"", false},
		{".a", false},
		{"a.", false},
		{"a..b", false},
		{"a/b", false},
		{"a+b", false},
		{"a#", false},
		{"a\x00b", false},
		{"\xff", false},
		{strings.Repeat("m", MaxMethodLength), true},
		{strings.Repeat("m", MaxMethodLength+1), false},
	}
	for _, tt := range tests {
		err := ValidateMethod(tt.method)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateMethod(%q) = %v, want ok=%v", tt.method, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidMethod) {
			t.Errorf("ValidateMethod(%q) error %v does not match ErrInvalidMethod", tt.method, err)
		}
	}
}

func TestSchemeTopics(t *testing.T) {
	tests := []struct {
		scheme                Scheme
		device, method        string
		filter, request, resp string
	}{
		{SchemeCanonical, "dev1", "sensor.list", "dev1/request/#", "dev1/request/sensor/list", "dev1/response/sensor/list"},
		{SchemeCanonical, "dev1", "reboot", "dev1/request/#", "dev1/request/reboot", "dev1/response/reboot"},
		{SchemeCanonical, "gw:7", "sensor.12.reading", "gw:7/request/#", "gw:7/request/sensor/12/reading", "gw:7/response/sensor/12/reading"},
		{SchemeCmd, "dev1", "sensor.list", "cmd/dev1/req", "cmd/dev1/req", "cmd/dev1/resp"},
		{SchemeCmd, "dev1", "", "cmd/dev1/req", "cmd/dev1/req", "cmd/dev1/resp"},
	}
	for _, tt := range tests {
		name := tt.scheme.String() + "/" + tt.method
		if got, err := tt.scheme.RequestFilter(tt.device); err != nil || got != tt.filter {
			t.Errorf("%s: RequestFilter = %q, %v; want %q", name, got, err, tt.filter)
		}
		if got, err := tt.scheme.RequestTopic(tt.device, tt.method); err != nil || got != tt.request {
			t.Errorf("%s: RequestTopic = %q, %v; want %q", name, got, err, tt.request)
		}
		if got, err := tt.scheme.ResponseTopic(tt.device, tt.method); err != nil || got != tt.resp {
			t.Errorf("%s: ResponseTopic = %q, %v; want %q", name, got, err, tt.resp)
		}
		wantMethod := tt.method
		if tt.scheme == SchemeCmd {
			wantMethod = ""
		}
		if got, err := tt.scheme.ParseRequestTopic(tt.device, tt.request); err != nil || got != wantMethod {
			t.Errorf("%s: ParseRequestTopic(%q) = %q, %v; want %q", name, tt.request, got, err, wantMethod)
		}
	}
}

func TestSchemeErrors(t *testing.T) {
	tests := []struct {
		name   string
		scheme Scheme
		device string
		topic  string
		want   error
	}{
		{"other device", SchemeCanonical, "dev1", "dev2/request/a", ErrInvalidTopic},
		{"device prefix only", SchemeCanonical, "dev1", "dev10/request/a", ErrInvalidTopic},
		{"no method", SchemeCanonical, "dev1", "dev1/request/", ErrInvalidMethod},
		{"response topic", SchemeCanonical, "dev1", "dev1/response/a", ErrInvalidTopic},
		{"empty level", SchemeCanonical, "dev1", "dev1/request/a//b", ErrInvalidMethod},
		{"trailing slash", SchemeCanonical, "dev1", "dev1/request/a/", ErrInvalidMethod},
		{"wildcard", SchemeCanonical, "dev1", "dev1/request/+", ErrInvalidMethod},
		{"dot in level", SchemeCanonical, "dev1", "dev1/request/a.b", ErrInvalidTopic},
		{"empty device", SchemeCanonical, "", "/request/a", ErrInvalidTopic},
		{"dollar device", SchemeCanonical, "$dev", "$dev/request/a", ErrInvalidTopic},
		{"cmd other device", SchemeCmd, "dev1", "cmd/dev2/req", ErrInvalidTopic},
		{"cmd response", SchemeCmd, "dev1", "cmd/dev1/resp", ErrInvalidTopic},
		{"cmd extra level", SchemeCmd, "dev1", "cmd/dev1/req/x", ErrInvalidTopic},
		{"cmd slash device", SchemeCmd, "a/b", "cmd/a/b/req", ErrInvalidTopic},
	}
	for _, tt := range tests {
		_, err := tt.scheme.ParseRequestTopic(tt.device, tt.topic)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: ParseRequestTopic(%q, %q) = %v, want %v", tt.name, tt.device, tt.topic, err, tt.want)
		}
	}
	// A device leading the topic cannot start with '$'; under cmd/ it can.
	if _, err := SchemeCanonical.RequestFilter("$dev"); !errors.Is(err, ErrInvalidTopic) {
		t.Errorf("RequestFilter($dev) = %v, want ErrInvalidTopic", err)
	}
	if _, err := SchemeCanonical.RequestTopic("$dev", "m"); !errors.Is(err, ErrInvalidTopic) {
		t.Errorf("RequestTopic($dev) = %v, want ErrInvalidTopic", err)
	}
	if _, err := SchemeCmd.ResponseTopic("$dev", "m"); err != nil {
		t.Errorf("cmd ResponseTopic($dev) = %v, want cmd/$dev/resp", err)
	}
	for _, dev := range []string{"", "a/b", "a+", "#"} {
		if _, err := SchemeCanonical.RequestFilter(dev); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("RequestFilter(%q) = %v, want ErrInvalidTopic", dev, err)
		}
		if _, err := SchemeCmd.ResponseTopic(dev, "m"); !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("cmd ResponseTopic(%q) = %v, want ErrInvalidTopic", dev, err)
		}
	}
	if _, err := SchemeCanonical.ResponseTopic("d", "a/b"); !errors.Is(err, ErrInvalidMethod) {
		t.Errorf("ResponseTopic with a bad method = %v, want ErrInvalidMethod", err)
	}
	if got := Scheme(9).String(); got != "Scheme(9)" {
		t.Errorf("Scheme(9).String() = %q", got)
	}
}

func TestParseAzureMethodTopic(t *testing.T) {
	tests := []struct {
		topic       string
		method, rid string
		ok          bool
	}{
		{"$iothub/methods/POST/reboot/?$rid=1", "reboot", "1", true},
		{"$iothub/methods/POST/sensor.list/?$rid=c5ad", "sensor.list", "c5ad", true},
		{"$iothub/methods/POST/m/?x=1&$rid=42&y", "m", "42", true},
		{"$iothub/methods/POST/m/?$rid=a=b", "m", "a=b", true},
		{"$iothub/methods/POST/m/?$rid=", "", "", false},
		{"$iothub/methods/POST/m/?rid=1", "", "", false},
		{"$iothub/methods/POST/m?$rid=1", "", "", false},
		{"$iothub/methods/POST//?$rid=1", "", "", false},
		{"$iothub/methods/POST/a/b/?$rid=1", "", "", false},
		{"$iothub/methods/res/200/?$rid=1", "", "", false},
		{"devices/d/messages/devicebound/x", "", "", false},
		{"$iothub/methods/POST/m/?$rid=" + strings.Repeat("r", MaxIDLength+1), "", "", false},
	}
	for _, tt := range tests {
		method, rid, err := ParseAzureMethodTopic(tt.topic)
		if tt.ok != (err == nil) || method != tt.method || rid != tt.rid {
			t.Errorf("ParseAzureMethodTopic(%q) = %q, %q, %v; want %q, %q, ok=%v", tt.topic, method, rid, err, tt.method, tt.rid, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidTopic) {
			t.Errorf("ParseAzureMethodTopic(%q) error %v does not match ErrInvalidTopic", tt.topic, err)
		}
	}
}

func TestAzureMethodTopics(t *testing.T) {
	if got, err := AzureMethodTopic("sensor.list", "7"); err != nil || got != "$iothub/methods/POST/sensor.list/?$rid=7" {
		t.Errorf("AzureMethodTopic = %q, %v", got, err)
	}
	if got, err := AzureMethodResponseTopic(200, "7"); err != nil || got != "$iothub/methods/res/200/?$rid=7" {
		t.Errorf("AzureMethodResponseTopic = %q, %v", got, err)
	}
	if got, err := AzureMethodResponseTopic(504, "ab"); err != nil || got != "$iothub/methods/res/504/?$rid=ab" {
		t.Errorf("AzureMethodResponseTopic = %q, %v", got, err)
	}
	bad := []func() error{
		func() error { _, err := AzureMethodResponseTopic(99, "1"); return err },
		func() error { _, err := AzureMethodResponseTopic(600, "1"); return err },
		func() error { _, err := AzureMethodResponseTopic(200, ""); return err },
		func() error { _, err := AzureMethodResponseTopic(200, "a&b"); return err },
		func() error { _, err := AzureMethodResponseTopic(200, "a/b"); return err },
		func() error { _, err := AzureMethodTopic("a/b", "1"); return err },
		func() error { _, err := AzureMethodTopic("", "1"); return err },
	}
	for i, f := range bad {
		if err := f(); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	tests := []struct {
		topic  string
		status int
		rid    string
		ok     bool
	}{
		{"$iothub/methods/res/200/?$rid=1", 200, "1", true},
		{"$iothub/methods/res/404/?$rid=x", 404, "x", true},
		{"$iothub/methods/res/20/?$rid=1", 0, "", false},
		{"$iothub/methods/res/2000/?$rid=1", 0, "", false},
		{"$iothub/methods/res/600/?$rid=1", 0, "", false},
		{"$iothub/methods/res/+20/?$rid=1", 0, "", false},
		{"$iothub/methods/res/2a0/?$rid=1", 0, "", false},
		{"$iothub/methods/res/200/?$ri=1", 0, "", false},
		{"$iothub/methods/POST/200/?$rid=1", 0, "", false},
	}
	for _, tt := range tests {
		status, rid, err := ParseAzureMethodResponseTopic(tt.topic)
		if tt.ok != (err == nil) || status != tt.status || rid != tt.rid {
			t.Errorf("ParseAzureMethodResponseTopic(%q) = %d, %q, %v", tt.topic, status, rid, err)
		}
	}
}

// Fuzz targets: parsers of cloud input never panic, and what they accept
// round-trips through the matching builder.

func FuzzParseRequestTopic(f *testing.F) {
	f.Add(false, "dev1", "dev1/request/sensor/list")
	f.Add(false, "dev1", "dev1/request/a//b")
	f.Add(true, "dev1", "cmd/dev1/req")
	f.Add(true, "a/b", "cmd/a/b/req")
	f.Fuzz(func(t *testing.T, cmd bool, device, topic string) {
		scheme := SchemeCanonical
		if cmd {
			scheme = SchemeCmd
		}
		method, err := scheme.ParseRequestTopic(device, topic)
		if err != nil {
			if !errors.Is(err, ErrInvalidTopic) && !errors.Is(err, ErrInvalidMethod) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if cmd {
			if method != "" {
				t.Fatalf("cmd scheme returned method %q", method)
			}
		} else if err := ValidateMethod(method); err != nil {
			t.Fatalf("accepted an invalid method %q: %v", method, err)
		}
		back, err := scheme.RequestTopic(device, method)
		if err != nil || back != topic {
			t.Fatalf("round trip: %q → %q → %q, %v", topic, method, back, err)
		}
		if _, err := scheme.ResponseTopic(device, method); err != nil {
			t.Fatalf("no response topic for an accepted request: %v", err)
		}
	})
}

func FuzzParseAzureMethodTopic(f *testing.F) {
	f.Add("$iothub/methods/POST/reboot/?$rid=1")
	f.Add("$iothub/methods/POST/m/?x=1&$rid=42&y")
	f.Add("$iothub/methods/POST//?$rid=")
	f.Fuzz(func(t *testing.T, topic string) {
		method, rid, err := ParseAzureMethodTopic(topic)
		if err != nil {
			if !errors.Is(err, ErrInvalidTopic) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		req, err := AzureMethodTopic(method, rid)
		if err != nil {
			t.Fatalf("accepted %q but cannot rebuild it: %v", topic, err)
		}
		if m2, r2, err := ParseAzureMethodTopic(req); err != nil || m2 != method || r2 != rid {
			t.Fatalf("round trip %q → %q: %q %q %v", topic, req, m2, r2, err)
		}
		resp, err := AzureMethodResponseTopic(200, rid)
		if err != nil {
			t.Fatalf("accepted rid %q cannot be answered: %v", rid, err)
		}
		if s, r2, err := ParseAzureMethodResponseTopic(resp); err != nil || s != 200 || r2 != rid {
			t.Fatalf("response round trip %q: %d %q %v", resp, s, r2, err)
		}
	})
}

func FuzzParseAzureMethodResponseTopic(f *testing.F) {
	f.Add("$iothub/methods/res/200/?$rid=1")
	f.Add("$iothub/methods/res/2000/?$rid=1")
	f.Add("$iothub/methods/res/504/?a&$rid=ff")
	f.Fuzz(func(t *testing.T, topic string) {
		status, rid, err := ParseAzureMethodResponseTopic(topic)
		if err != nil {
			if !errors.Is(err, ErrInvalidTopic) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		back, err := AzureMethodResponseTopic(status, rid)
		if err != nil {
			t.Fatalf("accepted %q (%d, %q) cannot be rebuilt: %v", topic, status, rid, err)
		}
		if s2, r2, err := ParseAzureMethodResponseTopic(back); err != nil || s2 != status || r2 != rid {
			t.Fatalf("round trip %q → %q", topic, back)
		}
	})
}
