package azureiot

import (
	"errors"
	"reflect"
	"testing"
)

func TestParsePropertyBag(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want PropertyBag
	}{
		{"empty", "", nil},
		{"one", "a=1", PropertyBag{{Name: "a", Value: "1"}}},
		{"order kept", "z=1&a=2&m=3", PropertyBag{{Name: "z", Value: "1"}, {Name: "a", Value: "2"}, {Name: "m", Value: "3"}}},
		{"null vs empty", "n&e=", PropertyBag{{Name: "n", Null: true}, {Name: "e", Value: ""}}},
		{"empty vs null", "e=&n", PropertyBag{{Name: "e", Value: ""}, {Name: "n", Null: true}}},
		{"encoded & = ; in value", "k=a%26b%3Dc%3Bd", PropertyBag{{Name: "k", Value: "a&b=c;d"}}},
		{"encoded & = in name", "a%26b%3Dc=v", PropertyBag{{Name: "a&b=c", Value: "v"}}},
		{"split on first = only", "k=a=b", PropertyBag{{Name: "k", Value: "a=b"}}},
		{"space is %20, + is literal", "k=a%20b+c", PropertyBag{{Name: "k", Value: "a b+c"}}},
		{"lower-case hex", "k=%2f%2F", PropertyBag{{Name: "k", Value: "//"}}},
		{"system names", "%24.mid=m1&$.cid=c1", PropertyBag{{Name: "$.mid", Value: "m1"}, {Name: "$.cid", Value: "c1"}}},
		{"duplicates kept", "a=1&a=2", PropertyBag{{Name: "a", Value: "1"}, {Name: "a", Value: "2"}}},
		{"empty parts skipped", "&a=1&&b=2&", PropertyBag{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}}},
		{"only ampersands", "&&", nil},
		{"UTF-8", "t=%C3%A9t%C3%A9", PropertyBag{{Name: "t", Value: "été"}}},
		{"raw bytes kept", "k=a/b c", PropertyBag{{Name: "k", Value: "a/b c"}}},
		{"binary", "k=%00%FF", PropertyBag{{Name: "k", Value: "\x00\xff"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePropertyBag(tt.in)
			if err != nil {
				t.Fatalf("ParsePropertyBag(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParsePropertyBag(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

// TestParsePropertyBagDecodeWholeTopicBug is the regression case for the bug
// of decoding the whole bag before splitting it: an encoded '&' or '=' must
// not create properties.
func TestParsePropertyBagDecodeWholeTopicBug(t *testing.T) {
	const in = "%24.to=%2Fdevices%2Fd1&q=x%3D1%26y%3D2&s=a%3Bb"
	want := PropertyBag{
		{Name: "$.to", Value: "/devices/d1"},
		{Name: "q", Value: "x=1&y=2"},
		{Name: "s", Value: "a;b"},
	}
	got, err := ParsePropertyBag(in)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
	if _, ok := got.Lookup("y"); ok {
		t.Fatal(`decoded before splitting: found a property "y"`)
	}
}

func TestParsePropertyBagErrors(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		wantOffset int
	}{
		{"truncated escape", "a=%2", 2},
		{"lone percent", "a=%", 2},
		{"non-hex escape", "a=1&b=%zz", 6},
		{"bad escape in name", "a%g=1", 1},
		{"bad escape in null name", "x=1&%", 4},
		{"empty name", "a=1&=v", 4},
		{"empty name empty value", "=", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePropertyBag(tt.in)
			var pe *PropertyError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPropertyBag) {
				t.Fatalf("ParsePropertyBag(%q) = %v, want *PropertyError", tt.in, err)
			}
			if pe.Offset != tt.wantOffset {
				t.Errorf("Offset = %d, want %d", pe.Offset, tt.wantOffset)
			}
		})
	}
}

func TestPropertyBagEncode(t *testing.T) {
	tests := []struct {
		name string
		bag  PropertyBag
		want string
	}{
		{"empty", nil, ""},
		{"order kept", PropertyBag{{Name: "z", Value: "1"}, {Name: "a", Value: "2"}}, "z=1&a=2"},
		{"null vs empty", PropertyBag{{Name: "n", Null: true}, {Name: "e"}}, "n&e="},
		{"reserved characters", PropertyBag{{Name: "a&b", Value: "x=y;z&w"}}, "a%26b=x%3Dy%3Bz%26w"},
		{"space is %20", PropertyBag{{Name: "k", Value: "a b+c"}}, "k=a%20b%2Bc"},
		{"unreserved kept", PropertyBag{{Name: "k", Value: "AZaz09-._~"}}, "k=AZaz09-._~"},
		{"system name", PropertyBag{{Name: "$.ct", Value: "application/json"}}, "%24.ct=application%2Fjson"},
		{"UTF-8", PropertyBag{{Name: "t", Value: "é"}}, "t=%C3%A9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.bag.Encode()
			if err != nil || got != tt.want {
				t.Fatalf("Encode = %q, %v; want %q", got, err, tt.want)
			}
			back, err := ParsePropertyBag(got)
			if err != nil {
				t.Fatal(err)
			}
			if len(back) != len(tt.bag) || (len(back) > 0 && !reflect.DeepEqual(back, tt.bag)) {
				t.Fatalf("round trip = %#v, want %#v", back, tt.bag)
			}
		})
	}
}

func TestPropertyBagEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		bag  PropertyBag
	}{
		{"empty name", PropertyBag{{Name: "", Value: "v"}}},
		{"null with value", PropertyBag{{Name: "n", Value: "v", Null: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.bag.Encode()
			var pe *PropertyError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPropertyBag) || pe.Offset != -1 {
				t.Fatalf("Encode = %v, want *PropertyError with Offset -1", err)
			}
		})
	}
}

func TestPropertyBagLookupAndSize(t *testing.T) {
	bag := PropertyBag{{Name: "a", Value: "1"}, {Name: "n", Null: true}, {Name: "a", Value: "22"}}
	if p, ok := bag.Lookup("a"); !ok || p.Value != "1" {
		t.Errorf("Lookup(a) = %#v, %v; want first a", p, ok)
	}
	if p, ok := bag.Lookup("n"); !ok || !p.Null {
		t.Errorf("Lookup(n) = %#v, %v; want null", p, ok)
	}
	if _, ok := bag.Lookup("x"); ok {
		t.Error("Lookup(x) found a property")
	}
	if got := bag.Size(); got != 1+1+1+1+2 {
		t.Errorf("Size = %d, want 6", got)
	}
}
