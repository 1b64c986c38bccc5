package command

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRouterDispatch(t *testing.T) {
	var r Router // the zero value is usable
	r.HandleFunc("sensor.list", func(ctx context.Context, req *Request) Response {
		return JSON(StatusOK, "list")
	})
	r.HandleFunc("sensor.list.all", func(ctx context.Context, req *Request) Response {
		return JSON(StatusOK, "all")
	})
	ctx := context.Background()
	tests := []struct {
		method string
		status int
		body   string
	}{
		{"sensor.list", 200, `"list"`},
		{"sensor.list.all", 200, `"all"`},
		{"sensor", 404, `{"error":"command: unknown method \"sensor\""}`}, // exact match only
		{"Sensor.list", 404, `{"error":"command: unknown method \"Sensor.list\""}`},
	}
	for _, tt := range tests {
		got := r.ServeCommand(ctx, &Request{Method: tt.method, TID: "t"})
		if got.Status != tt.status || string(got.Payload) != tt.body {
			t.Errorf("%s: got %d %s, want %d %s", tt.method, got.Status, got.Payload, tt.status, tt.body)
		}
	}
	if _, ok := r.Handler("sensor.list"); !ok {
		t.Error("Handler(sensor.list) not found")
	}
	if _, ok := r.Handler("nope"); ok {
		t.Error("Handler(nope) found")
	}
}

func TestRouterNotFound(t *testing.T) {
	r := NewRouter()
	r.HandleNotFound(HandlerFunc(func(ctx context.Context, req *Request) Response {
		return Error(StatusNotFound, "no "+req.Method+" here")
	}))
	got := r.ServeCommand(context.Background(), &Request{Method: "x"})
	if got.Status != 404 || string(got.Payload) != `{"error":"no x here"}` {
		t.Fatalf("got %d %s", got.Status, got.Payload)
	}
	r.HandleNotFound(nil)
	got = r.ServeCommand(context.Background(), &Request{Method: "x"})
	if got.Status != 404 || !strings.Contains(string(got.Payload), "unknown method") {
		t.Fatalf("default not found: got %d %s", got.Status, got.Payload)
	}
}

func TestRouterHandlePanics(t *testing.T) {
	ok := HandlerFunc(func(ctx context.Context, req *Request) Response { return Response{} })
	tests := []struct {
		name   string
		method string
		h      Handler
	}{
		{"invalid method", "a/b", ok},
		{"empty method", "", ok},
		{"nil handler", "a", nil},
		{"duplicate", "dup", ok},
	}
	r := NewRouter()
	r.Handle("dup", ok)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				v := recover()
				if v == nil {
					t.Fatal("Handle did not panic")
				}
				if err, isErr := v.(error); isErr && tt.method == "a/b" && !errors.Is(err, ErrInvalidMethod) {
					t.Fatalf("panic %v does not match ErrInvalidMethod", err)
				}
			}()
			r.Handle(tt.method, tt.h)
		})
	}
}
