package shadowdoc

import (
	"errors"
	"strings"
	"testing"
)

func TestParseUpdateRequest(t *testing.T) {
	tok64 := strings.Repeat("a", 64)
	tests := []struct {
		name    string
		payload string
		code    int
		msg     string
		want    string // canonical re-encoding when valid
		token   string // ClientToken expected on the result, valid or not
	}{
		{name: "desired and reported", payload: `{"state":{"desired":{"color":"red"},"reported":{"color":"blue"}},"clientToken":"t1","version":3}`,
			want: `{"state":{"desired":{"color":"red"},"reported":{"color":"blue"}},"clientToken":"t1","version":3}`, token: "t1"},
		{name: "desired null", payload: `{"state":{"reported":{"color":"red"},"desired":null}}`, want: `{"state":{"desired":null,"reported":{"color":"red"}}}`},
		{name: "state null", payload: `{"state":null,"clientToken":"x"}`, want: `{"state":null,"clientToken":"x"}`, token: "x"},
		{name: "empty state", payload: `{"state":{}}`, want: `{"state":{}}`},
		{name: "empty desired", payload: `{"state":{"desired":{}}}`, want: `{"state":{"desired":{}}}`},
		{name: "key deletions kept", payload: `{"state":{"desired":{"engine":null}}}`, want: `{"state":{"desired":{"engine":null}}}`},
		{name: "unknown top-level members ignored", payload: `{"state":{"reported":{"a":1}},"metadata":{"x":1},"timestamp":5}`, want: `{"state":{"reported":{"a":1}}}`},
		{name: "version 0", payload: `{"state":{},"version":0}`, want: `{"state":{},"version":0}`},
		{name: "max version", payload: `{"state":{},"version":9223372036854775807}`, want: `{"state":{},"version":9223372036854775807}`},
		{name: "exact numbers", payload: `{"state":{"reported":{"n":123456789012345678901234567890,"f":1.10}}}`, want: `{"state":{"reported":{"f":1.10,"n":123456789012345678901234567890}}}`},
		{name: "html characters not escaped", payload: `{"state":{"reported":{"s":"<a&b>"}}}`, want: `{"state":{"reported":{"s":"<a&b>"}}}`},
		{name: "token 64 bytes", payload: `{"state":{},"clientToken":"` + tok64 + `"}`, want: `{"state":{},"clientToken":"` + tok64 + `"}`, token: tok64},
		{name: "whitespace", payload: " \n{ \"state\" : { } }\n ", want: `{"state":{}}`},

		{name: "not UTF-8", payload: "{\"state\":{\"reported\":{\"a\":\"\xff\"}}}", code: 415, msg: MsgUnsupportedEncoding},
		{name: "empty payload", payload: ``, code: 400, msg: MsgInvalidJSON},
		{name: "syntax error", payload: `{"state":`, code: 400, msg: MsgInvalidJSON},
		{name: "trailing data", payload: `{"state":{}} x`, code: 400, msg: MsgInvalidJSON},
		{name: "two objects", payload: `{"state":{}}{}`, code: 400, msg: MsgInvalidJSON},
		{name: "array", payload: `[{"state":{}}]`, code: 400, msg: MsgInvalidJSON},
		{name: "null", payload: `null`, code: 400, msg: MsgInvalidJSON},
		{name: "missing state", payload: `{"clientToken":"keep"}`, code: 400, msg: MsgMissingState, token: "keep"},
		{name: "state string", payload: `{"state":"x"}`, code: 400, msg: MsgStateNotObject},
		{name: "state array", payload: `{"state":[]}`, code: 400, msg: MsgStateNotObject},
		{name: "state has delta", payload: `{"state":{"delta":{}}}`, code: 400, msg: "State contains an invalid node: 'delta'"},
		{name: "state has foo", payload: `{"state":{"reported":{},"foo":1}}`, code: 400, msg: "State contains an invalid node: 'foo'"},
		{name: "desired string", payload: `{"state":{"desired":"x"}}`, code: 400, msg: MsgDesiredNotObject},
		{name: "desired array", payload: `{"state":{"desired":[1]}}`, code: 400, msg: MsgDesiredNotObject},
		{name: "reported number", payload: `{"state":{"reported":1}}`, code: 400, msg: MsgReportedNotObject},
		{name: "token too long", payload: `{"state":{},"clientToken":"` + tok64 + `x"}`, code: 400, msg: MsgInvalidClientToken},
		{name: "token number", payload: `{"state":{},"clientToken":5}`, code: 400, msg: MsgInvalidClientToken},
		{name: "token null", payload: `{"state":{},"clientToken":null}`, code: 400, msg: MsgInvalidClientToken},
		{name: "version string", payload: `{"state":{},"version":"1"}`, code: 400, msg: MsgInvalidVersion, token: ""},
		{name: "version fraction", payload: `{"state":{},"version":1.5}`, code: 400, msg: MsgInvalidVersion},
		{name: "version exponent", payload: `{"state":{},"version":1e2}`, code: 400, msg: MsgInvalidVersion},
		{name: "version negative", payload: `{"state":{},"version":-1,"clientToken":"v"}`, code: 400, msg: MsgInvalidVersion, token: "v"},
		{name: "version overflow", payload: `{"state":{},"version":9223372036854775808}`, code: 400, msg: MsgInvalidVersion},
		{name: "version null", payload: `{"state":{},"version":null}`, code: 400, msg: MsgInvalidVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := ParseUpdateRequest([]byte(tt.payload))
			if req == nil {
				t.Fatal("ParseUpdateRequest returned a nil request")
			}
			if req.ClientToken != tt.token {
				t.Errorf("ClientToken = %q, want %q", req.ClientToken, tt.token)
			}
			if tt.code != 0 {
				wantCode(t, err, tt.code, tt.msg)
				return
			}
			if err != nil {
				t.Fatalf("ParseUpdateRequest: %v", err)
			}
			b, err := Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Errorf("re-encoded = %s, want %s", b, tt.want)
			}
		})
	}
}

func TestParseUpdateRequestSections(t *testing.T) {
	req, err := ParseUpdateRequest([]byte(`{"state":{"desired":null,"reported":{}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !req.State.Desired.Null || req.State.Desired.IsAbsent() {
		t.Errorf("desired = %+v, want null", req.State.Desired)
	}
	if req.State.Reported.Null || req.State.Reported.Fields == nil || req.State.Reported.IsAbsent() {
		t.Errorf("reported = %+v, want an empty patch", req.State.Reported)
	}
	req, _ = ParseUpdateRequest([]byte(`{"state":{"reported":{"a":1}}}`))
	if !req.State.Desired.IsAbsent() || req.Version != nil {
		t.Errorf("absent desired/version: %+v", req)
	}
}

func TestParseRequestClientToken(t *testing.T) {
	tests := map[string]string{
		``:                      "",
		`{}`:                    "",
		`{"clientToken":"abc"}`: "abc",
		`{"clientToken":5}`:     "",
		`{"clientToken":"` + strings.Repeat("a", 65) + `"}`: "",
		`not json`:                  "",
		`{"clientToken":"a"} trail`: "",
	}
	for payload, want := range tests {
		if got := ParseRequestClientToken([]byte(payload)); got != want {
			t.Errorf("ParseRequestClientToken(%q) = %q, want %q", payload, got, want)
		}
	}
}

func TestParseResponses(t *testing.T) {
	get := `{"state":{"desired":{"color":"RED","n":1.50},"reported":{"color":"GREEN"},"delta":{"color":"RED","n":1.50}},
		"metadata":{"desired":{"color":{"timestamp":1},"n":{"timestamp":1}},"reported":{"color":{"timestamp":2}}},
		"version":10,"timestamp":123,"clientToken":"tok","futureField":{"x":1}}`
	d, err := ParseGetAccepted([]byte(get))
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 10 || d.Timestamp != 123 || d.ClientToken != "tok" {
		t.Errorf("get/accepted header = %d/%d/%q", d.Version, d.Timestamp, d.ClientToken)
	}
	if got := js(t, d.State.Delta); got != `{"color":"RED","n":1.50}` {
		t.Errorf("delta = %s (numbers must keep their literal)", got)
	}
	if got := js(t, d.Metadata.Reported); got != `{"color":{"timestamp":2}}` {
		t.Errorf("metadata.reported = %s", got)
	}

	acc, err := ParseUpdateAccepted([]byte(`{"state":{"desired":null,"reported":{"a":null,"b":[1]}},
		"metadata":{"desired":{"timestamp":5},"reported":{"a":{"timestamp":5},"b":[{"timestamp":5}]}},"version":4,"timestamp":5}`))
	if err != nil {
		t.Fatal(err)
	}
	if !acc.State.Desired.Null || js(t, acc.State.Reported.Fields) != `{"a":null,"b":[1]}` || acc.Version != 4 {
		t.Errorf("update/accepted = %+v", acc)
	}
	acc, err = ParseUpdateAccepted([]byte(`{"state":null,"metadata":{"timestamp":1756452769},"version":18,"timestamp":1756452769}`))
	if err != nil || !acc.State.Null || acc.Version != 18 {
		t.Errorf("update/accepted with state null (captured from AWS) = %+v, %v", acc, err)
	}

	delta, err := ParseDelta([]byte(`{"version":7,"timestamp":9,"state":{"l":{"c":{"g":255}}},"metadata":{"l":{"c":{"g":{"timestamp":9}}}},"clientToken":"c"}`))
	if err != nil || delta.Version != 7 || js(t, delta.State) != `{"l":{"c":{"g":255}}}` || delta.ClientToken != "c" {
		t.Errorf("update/delta = %+v, %v", delta, err)
	}

	docs, err := ParseDocuments([]byte(`{"previous":{"state":{"reported":{"a":1}},"metadata":{"reported":{"a":{"timestamp":1}}},"version":1},
		"current":{"state":{"reported":{"a":2}},"metadata":{"reported":{"a":{"timestamp":2}}},"version":2},"timestamp":2,"clientToken":"d"}`))
	if err != nil || docs.Previous == nil || docs.Previous.Version != 1 || docs.Current.Version != 2 || js(t, docs.Current.State.Reported) != `{"a":2}` {
		t.Errorf("update/documents = %+v, %v", docs, err)
	}
	docs, err = ParseDocuments([]byte(`{"current":{"state":{},"metadata":{},"version":1},"timestamp":2}`))
	if err != nil || docs.Previous != nil {
		t.Errorf("update/documents without previous = %+v, %v", docs, err)
	}

	del, err := ParseDeleteAccepted([]byte(`{"version":4,"timestamp":1591057529}`))
	if err != nil || *del != (DeleteAccepted{Version: 4, Timestamp: 1591057529}) {
		t.Errorf("delete/accepted = %+v, %v", del, err)
	}

	rej, err := ParseRejected([]byte(`{"code":409,"message":"Version conflict","clientToken":"426bfd96"}`))
	if err != nil || *rej != (ErrorResponse{Code: 409, Message: "Version conflict", ClientToken: "426bfd96"}) {
		t.Errorf("rejected = %+v, %v", rej, err)
	}
	if !errors.Is(rej.Err(), ErrVersionConflict) {
		t.Errorf("rejected.Err() does not match ErrVersionConflict")
	}
}

func TestParseResponsesMalformed(t *testing.T) {
	parsers := map[string]func([]byte) error{
		"get/accepted":    func(b []byte) error { _, err := ParseGetAccepted(b); return err },
		"update/accepted": func(b []byte) error { _, err := ParseUpdateAccepted(b); return err },
		"update/delta":    func(b []byte) error { _, err := ParseDelta(b); return err },
		"update/docs":     func(b []byte) error { _, err := ParseDocuments(b); return err },
		"delete/accepted": func(b []byte) error { _, err := ParseDeleteAccepted(b); return err },
		"rejected":        func(b []byte) error { _, err := ParseRejected(b); return err },
	}
	bad := []string{``, `null`, `[]`, `"x"`, `{`, `{"version":1} {}`, "{\"message\":\"\xff\"}", `{"timestamp":1.5}`}
	for name, parse := range parsers {
		for _, payload := range bad {
			err := parse([]byte(payload))
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s(%q) = %v, want ErrMalformed", name, payload, err)
			}
		}
	}
	typed := []struct{ parser, payload string }{
		{"get/accepted", `{"state":{"desired":[1]}}`},
		{"get/accepted", `{"version":"1"}`},
		{"update/accepted", `{"state":{"desired":"x"}}`},
		{"update/accepted", `{"version":1.5}`},
		{"update/delta", `{"state":[]}`},
		{"update/delta", `{"version":"7"}`},
		{"update/docs", `{"current":{"state":{"reported":1}}}`},
		{"update/docs", `{"current":{"version":"1"}}`},
		{"delete/accepted", `{"version":"4"}`},
		{"rejected", `{"message":"no code"}`},
		{"rejected", `{"code":"400"}`},
	}
	for _, tt := range typed {
		if err := parsers[tt.parser]([]byte(tt.payload)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s(%s) = %v, want ErrMalformed", tt.parser, tt.payload, err)
		}
	}
	if err := parsers["update/accepted"]([]byte(`{"state":5}`)); !errors.Is(err, ErrMalformed) {
		t.Errorf("update/accepted with state 5 = %v, want ErrMalformed", err)
	}
}
