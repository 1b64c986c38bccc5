package azureiot

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Properties
	}{
		{"empty", "", Properties{}},
		{
			name: "C2D from the hub",
			in:   "%24.mid=7ad8&%24.to=%2Fdevices%2Fd1%2Fmessages%2FdeviceBound&%24.cid=c9&%24.ct=application%2Fjson&%24.ce=utf-8&iothub-ack=full&color=red",
			want: Properties{
				MessageID: "7ad8", To: "/devices/d1/messages/deviceBound", CorrelationID: "c9",
				ContentType: "application/json", ContentEncoding: "utf-8",
				System:      map[string]string{"iothub-ack": "full"},
				Application: map[string]string{"color": "red"},
			},
		},
		{
			name: "all named system properties",
			in:   "$.mid=1&$.cid=2&$.uid=3&$.ct=4&$.ce=5&$.ctime=6&$.exp=7&$.to=8&$.on=9&$.cdid=10&$.cmid=11",
			want: Properties{
				MessageID: "1", CorrelationID: "2", UserID: "3", ContentType: "4", ContentEncoding: "5",
				CreationTime: "6", ExpiryTime: "7", To: "8", OutputName: "9", ConnectionDeviceID: "10", ConnectionModuleID: "11",
			},
		},
		{
			name: "unknown $. property goes to System",
			in:   "%24.ifid=x&a=1",
			want: Properties{System: map[string]string{"$.ifid": "x"}, Application: map[string]string{"a": "1"}},
		},
		{
			name: "null application property reads as empty",
			in:   "n&e=",
			want: Properties{Application: map[string]string{"n": "", "e": ""}},
		},
		{
			name: "encoded separators in values",
			in:   "q=x%3D1%26y%3D2%3Bz",
			want: Properties{Application: map[string]string{"q": "x=1&y=2;z"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseProperties(tt.in)
			if err != nil {
				t.Fatalf("ParseProperties(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParsePropertiesErrors(t *testing.T) {
	tests := []struct {
		name, in, wantName string
	}{
		{"duplicate application", "a=1&a=2", "a"},
		{"duplicate system, two spellings", "$.mid=1&%24.mid=2", "$.mid"},
		{"malformed escape", "a=%G1", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseProperties(tt.in)
			var pe *PropertyError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPropertyBag) {
				t.Fatalf("ParseProperties(%q) = %v, want *PropertyError", tt.in, err)
			}
			if pe.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", pe.Name, tt.wantName)
			}
		})
	}
}

func TestPropertiesEncode(t *testing.T) {
	tests := []struct {
		name  string
		props Properties
		want  string
	}{
		{"empty", Properties{}, ""},
		{"JSON body", Properties{ContentType: "application/json", ContentEncoding: "utf-8"}, "%24.ct=application%2Fjson&%24.ce=utf-8"},
		{
			name: "deterministic order: fields, System sorted, Application sorted",
			props: Properties{
				ExpiryTime: "2030-01-01T00:00:00Z", MessageID: "m 1", CorrelationID: "c",
				System:      map[string]string{"iothub-creation-time-utc": "t", "$.ifid": "x"},
				Application: map[string]string{"zeta": "z", "alpha": "a&b", "mid": ""},
			},
			want: "%24.mid=m%201&%24.cid=c&%24.exp=2030-01-01T00%3A00%3A00Z&%24.ifid=x&iothub-creation-time-utc=t&alpha=a%26b&mid=&zeta=z",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := 0; i < 20; i++ { // map order must not leak into the output
				got, err := tt.props.Encode()
				if err != nil || got != tt.want {
					t.Fatalf("Encode = %q, %v; want %q", got, err, tt.want)
				}
			}
			back, err := ParseProperties(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.props) {
				t.Fatalf("round trip = %#v, want %#v", back, tt.props)
			}
		})
	}
}

func TestPropertiesEncodeErrors(t *testing.T) {
	tests := []struct {
		name     string
		props    Properties
		wantName string
	}{
		{"message id too long", Properties{MessageID: strings.Repeat("m", MaxMessageIDLength+1)}, "$.mid"},
		{"message id not ASCII", Properties{MessageID: "é"}, "$.mid"},
		{"application name with $. prefix", Properties{Application: map[string]string{"$.mid": "x"}}, "$.mid"},
		{"application name with iothub- prefix", Properties{Application: map[string]string{"iothub-ack": "full"}}, "iothub-ack"},
		{"empty application name", Properties{Application: map[string]string{"": "x"}}, ""},
		{"System name without prefix", Properties{System: map[string]string{"color": "red"}}, "color"},
		{"System name with its own field", Properties{System: map[string]string{"$.ct": "text/plain"}}, "$.ct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.props.Encode()
			var pe *PropertyError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPropertyBag) {
				t.Fatalf("Encode = %v, want *PropertyError", err)
			}
			if pe.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", pe.Name, tt.wantName)
			}
		})
	}
	if _, err := (Properties{MessageID: strings.Repeat("m", MaxMessageIDLength)}).Encode(); err != nil {
		t.Errorf("message id of max length: %v", err)
	}
}
