package shadowdoc

import (
	"errors"
	"strings"
	"testing"
)

// nested returns a section of the given Depth: {"k":{"k":...{"k":1}}}.
func nested(depth int) map[string]any {
	var v any = 1
	for i := 0; i < depth; i++ {
		v = map[string]any{"k": v}
	}
	return v.(map[string]any)
}

func wantCode(t *testing.T, err error, code int, msg string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *Error with code %d", err, code)
	}
	if e.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("err = %d %q, want %d %q", e.Code, e.Message, code, msg)
	}
}

func TestStateSizeBoundary(t *testing.T) {
	// {"a":"<s>"} is 8 bytes plus len(s). '<' and '&' count one byte each: no
	// HTML escaping, as the service counts.
	str := func(n int) string { return strings.Repeat("<", n/2) + strings.Repeat("&", n-n/2) }
	tests := []struct {
		name              string
		desired, reported map[string]any
		size              int
	}{
		{"desired only, at the limit", map[string]any{"a": str(8184)}, nil, 8192},
		{"desired only, one over", map[string]any{"a": str(8185)}, nil, 8193},
		{"both sections, at the limit", map[string]any{"a": str(4088)}, map[string]any{"b": str(4088)}, 8192},
		{"both sections, one over", map[string]any{"a": str(4088)}, map[string]any{"b": str(4089)}, 8193},
		{"reported only, one over", nil, map[string]any{"b": str(8185)}, 8193},
		{"empty", nil, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := StateSize(tt.desired, tt.reported)
			if err != nil || n != tt.size {
				t.Fatalf("StateSize = %d, %v; want %d", n, err, tt.size)
			}
			err = CheckStateSize(tt.desired, tt.reported, 0)
			if tt.size <= MaxStateSize {
				if err != nil {
					t.Fatalf("CheckStateSize(%d bytes) = %v, want nil", tt.size, err)
				}
				return
			}
			wantCode(t, err, CodePayloadTooLarge, MsgPayloadTooLarge)
			if !errors.Is(err, ErrPayloadTooLarge) {
				t.Errorf("errors.Is(err, ErrPayloadTooLarge) = false for %v", err)
			}
		})
	}
}

func TestCheckStateSizeCustomLimitAndBadValue(t *testing.T) {
	d := map[string]any{"a": "12"} // 10 bytes
	if err := CheckStateSize(d, nil, 10); err != nil {
		t.Errorf("10 bytes with limit 10: %v", err)
	}
	wantCode(t, CheckStateSize(d, nil, 9), CodePayloadTooLarge, "")
	if _, err := StateSize(map[string]any{"f": func() {}}, nil); err == nil {
		t.Error("StateSize of a non-JSON value: want an error")
	}
	wantCode(t, CheckStateSize(map[string]any{"f": func() {}}, nil, 0), CodeBadRequest, "")
}

func TestDepth(t *testing.T) {
	tests := []struct {
		json string
		want int
	}{
		{`1`, 0},
		{`null`, 0},
		{`{}`, 1},
		{`[]`, 1},
		{`{"a":1}`, 1},
		{`{"a":{"b":1}}`, 2},
		{`{"a":[1]}`, 2},
		{`{"a":[{"b":1}]}`, 3},
		{`{"a":1,"b":{"c":{"d":{}}}}`, 4},
	}
	for _, tt := range tests {
		var v any
		if err := decode([]byte(tt.json), &v); err != nil {
			t.Fatal(err)
		}
		if got := Depth(v); got != tt.want {
			t.Errorf("Depth(%s) = %d, want %d", tt.json, got, tt.want)
		}
	}
}

func TestValidateRequest(t *testing.T) {
	v := func(n int64) *int64 { return &n }
	tests := []struct {
		name string
		req  UpdateRequest
		lim  Limits
		code int
		msg  string
	}{
		{"ok", UpdateRequest{State: UpdateState{Reported: Patch(obj(t, `{"a":[1,"x",{"b":null}]}`))}, ClientToken: strings.Repeat("t", 64), Version: v(0)}, Limits{}, 0, ""},
		{"depth 5 ok by default", UpdateRequest{State: UpdateState{Desired: Patch(nested(5))}}, Limits{}, 0, ""},
		{"depth 6 rejected by default", UpdateRequest{State: UpdateState{Desired: Patch(nested(6))}}, Limits{}, 400, "JSON contains too many levels of nesting; maximum is 6"},
		{"depth 6 in reported rejected", UpdateRequest{State: UpdateState{Reported: Patch(nested(6))}}, Limits{}, 400, "JSON contains too many levels of nesting; maximum is 6"},
		{"custom depth 7 ok", UpdateRequest{State: UpdateState{Desired: Patch(nested(7))}}, Limits{MaxDepth: 7}, 0, ""},
		{"custom depth 2 rejects 3", UpdateRequest{State: UpdateState{Desired: Patch(nested(3))}}, Limits{MaxDepth: 2}, 400, "JSON contains too many levels of nesting; maximum is 3"},
		{"arrays count as levels", UpdateRequest{State: UpdateState{Desired: Patch(obj(t, `{"a":[[[[[1]]]]]}`))}}, Limits{}, 400, ""},
		{"token 65 bytes", UpdateRequest{State: UpdateState{Null: true}, ClientToken: strings.Repeat("é", 32) + "x"}, Limits{}, 400, MsgInvalidClientToken},
		{"negative version", UpdateRequest{State: UpdateState{Reported: Patch(nil)}, Version: v(-1)}, Limits{}, 400, MsgInvalidVersion},
		{"null in array", UpdateRequest{State: UpdateState{Desired: Patch(obj(t, `{"colors":[null,"RED"]}`))}}, Limits{}, 400, MsgNullInArray},
		{"null in nested array", UpdateRequest{State: UpdateState{Desired: Patch(obj(t, `{"o":{"c":[[1],[null]]}}`))}}, Limits{}, 400, MsgNullInArray},
		{"null in array inside array object", UpdateRequest{State: UpdateState{Reported: Patch(obj(t, `{"c":[{"d":[null]}]}`))}}, Limits{}, 400, MsgNullInArray},
		{"state null skips content checks", UpdateRequest{State: UpdateState{Null: true, Desired: Patch(nested(9))}}, Limits{}, 0, ""},
		{"section null skips content checks", UpdateRequest{State: UpdateState{Desired: Section{Null: true, Fields: nested(9)}}}, Limits{}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRequest(&tt.req, tt.lim)
			if tt.code == 0 {
				if err != nil {
					t.Fatalf("ValidateRequest = %v, want nil", err)
				}
				return
			}
			wantCode(t, err, tt.code, tt.msg)
			if !errors.Is(err, ErrBadRequest) {
				t.Errorf("errors.Is(err, ErrBadRequest) = false")
			}
		})
	}
}

func TestErrorHelpers(t *testing.T) {
	e := &Error{Code: 409, Message: MsgVersionConflict}
	if !errors.Is(e, ErrVersionConflict) || errors.Is(e, ErrBadRequest) {
		t.Error("errors.Is does not follow Code")
	}
	if e.Error() != "shadowdoc: rejected with 409: Version conflict" {
		t.Errorf("Error() = %q", e.Error())
	}
	if got := e.Response(5, "tok"); got != (ErrorResponse{Code: 409, Message: MsgVersionConflict, Timestamp: 5, ClientToken: "tok"}) {
		t.Errorf("Response = %+v", got)
	}
	for code, want := range map[int]bool{400: false, 409: false, 413: false, 429: true, 500: true, 503: true} {
		if got := (&Error{Code: code}).SafeToRetry(); got != want {
			t.Errorf("SafeToRetry(%d) = %v, want %v", code, got, want)
		}
	}
	if errors.Is(&Error{Code: 418}, ErrBadRequest) {
		t.Error("an unknown code matched a sentinel")
	}
	for code, sentinel := range map[int]error{404: ErrNotFound, 413: ErrPayloadTooLarge, 415: ErrUnsupportedMediaType, 429: ErrTooManyRequests} {
		if !errors.Is(ErrorResponse{Code: code}.Err(), sentinel) {
			t.Errorf("code %d does not match %v", code, sentinel)
		}
	}
}
