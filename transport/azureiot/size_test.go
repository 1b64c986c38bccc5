package azureiot

import (
	"errors"
	"testing"
)

func TestMessageSize(t *testing.T) {
	bag := PropertyBag{{Name: "$.ct", Value: "a/b"}, {Name: "n", Null: true}}
	if got, want := MessageSize([]byte("12345"), bag), 5+4+3+1; got != want {
		t.Errorf("MessageSize = %d, want %d", got, want)
	}
	if got := MessageSize(nil, nil); got != 0 {
		t.Errorf("MessageSize(nil, nil) = %d", got)
	}
}

func TestCheckD2CSize(t *testing.T) {
	props := Properties{Application: map[string]string{"k": "vv"}} // 3 bytes
	sub := len("subtopic") + len("a.b")                            // "a/b" travels as subtopic=a.b
	tests := []struct {
		name      string
		canonical string
		bodyLen   int
		props     Properties
		wantSize  int // 0: no error
	}{
		{"empty", "events", 0, Properties{}, 0},
		{"body at limit", "events", MaxD2CMessageSize, Properties{}, 0},
		{"body over limit", "events", MaxD2CMessageSize + 1, Properties{}, MaxD2CMessageSize + 1},
		{"properties count", "events", MaxD2CMessageSize - 3, props, 0},
		{"properties push it over", "events", MaxD2CMessageSize - 2, props, MaxD2CMessageSize + 1},
		{"subtopic counts", "a/b", MaxD2CMessageSize - sub, Properties{}, 0},
		{"subtopic pushes it over", "a/b", MaxD2CMessageSize - sub + 1, Properties{}, MaxD2CMessageSize + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckD2CSize(tt.canonical, make([]byte, tt.bodyLen), tt.props)
			if tt.wantSize == 0 {
				if err != nil {
					t.Fatalf("CheckD2CSize: %v", err)
				}
				return
			}
			var se *MessageSizeError
			if !errors.As(err, &se) || !errors.Is(err, ErrPayloadTooLarge) {
				t.Fatalf("CheckD2CSize = %v, want *MessageSizeError", err)
			}
			if se.Size != tt.wantSize || se.Limit != MaxD2CMessageSize {
				t.Errorf("got size %d limit %d, want %d and %d", se.Size, se.Limit, tt.wantSize, MaxD2CMessageSize)
			}
		})
	}
	if err := CheckD2CSize("a.b", nil, Properties{}); !errors.Is(err, ErrInvalidTopic) {
		t.Errorf("invalid canonical topic: %v, want ErrInvalidTopic", err)
	}
}

func TestLimits(t *testing.T) {
	if MaxD2CMessageSize != 262144 || MaxC2DMessageSize != 65536 {
		t.Errorf("sizes %d, %d", MaxD2CMessageSize, MaxC2DMessageSize)
	}
	if MaxSubscriptions != 5 || MaxKeepAlive.Seconds() != 1177 || APIVersion != "2021-04-12" {
		t.Errorf("limits %d, %v, %s", MaxSubscriptions, MaxKeepAlive, APIVersion)
	}
	// The hub times out at 1.5 × keepalive, capped at 1767 s.
	if 3*MaxKeepAlive.Seconds()/2 > 1767 {
		t.Errorf("1.5 × MaxKeepAlive = %v s > 1767 s", 1.5*MaxKeepAlive.Seconds())
	}
}
