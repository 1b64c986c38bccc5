package shadow_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tether-iot/tether/internal/shadowsvc"
	"github.com/tether-iot/tether/shadow"
)

// Example follows a fan's shadow: report, receive a desired change, apply
// it, and see a stale conditional update refused. It runs offline against
// an in-process shadow service; in firmware the transport is the AWS
// adapter's (awsiot.New) and the rest is the same.
func Example() {
	svc := shadowsvc.New(shadowsvc.Options{Now: func() time.Time { return time.Unix(1700000000, 0) }})
	t := newFakeTransport("gw-1", svc)
	defer t.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	type fan struct {
		Speed int `json:"speed"`
	}
	type fanState struct {
		Fan fan `json:"fan"`
	}
	deltas := make(chan shadow.Delta, 1)
	sh, err := shadow.New(ctx, t, shadow.WithDeltaHandler(func(_ context.Context, d shadow.Delta) { deltas <- d }))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sh.Close(ctx)

	acc, err := sh.UpdateReported(ctx, fanState{Fan: fan{Speed: 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("reported at version", acc.Version)

	// An application asks for speed 3 (the emulator would deliver this).
	_ = t.cloud(svc.SetDesired("gw-1", "", map[string]any{"fan": map[string]any{"speed": 3}}))
	d := <-deltas
	var want fanState
	if err := d.Decode(&want); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("delta at version", d.Version, "asks for speed", want.Fan.Speed)
	acc, _ = sh.UpdateReported(ctx, want)
	fmt.Println("reported at version", acc.Version)

	_, err = sh.Update(ctx, shadow.Update{Reported: map[string]any{"fan": nil}, Version: 1})
	var se *shadow.Error
	if errors.As(err, &se) && errors.Is(err, shadow.ErrVersionConflict) {
		fmt.Println(se, "- current version", se.Current.Version)
	}
	// Output:
	// reported at version 1
	// delta at version 2 asks for speed 3
	// reported at version 3
	// shadow: update rejected: 409 Version conflict - current version 3
}

// ExampleClient_Modify increments a counter in the reported state with
// optimistic locking: a concurrent writer only causes a retry.
func ExampleClient_Modify() {
	svc := shadowsvc.New(shadowsvc.Options{})
	t := newFakeTransport("gw-1", svc)
	defer t.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sh, err := shadow.New(ctx, t)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sh.Close(ctx)

	for range 3 {
		_, err := sh.Modify(ctx, func(doc shadow.Document) (shadow.Update, error) {
			var r struct {
				Boots int `json:"boots"`
			}
			if err := doc.DecodeReported(&r); err != nil {
				return shadow.Update{}, err
			}
			return shadow.Update{Reported: map[string]any{"boots": r.Boots + 1}}, nil
		})
		if err != nil {
			fmt.Println(err)
			return
		}
	}
	doc, _ := sh.Get(ctx)
	fmt.Println("boots:", doc.Reported["boots"], "version:", doc.Version)
	// Output: boots: 3 version: 3
}
