package azureiot

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func FuzzParseConnectionString(f *testing.F) {
	f.Add("HostName=myiothub.azure-devices.net;DeviceId=my_device;SharedAccessKey=" + testKeyB64)
	f.Add("HostName=h.net;DeviceId=d;ModuleId=m;x509=true;GatewayHostName=gw")
	f.Add("HostName=h.net;DeviceId=d;SharedAccessKeyName=p;SharedAccessKey=AAAA")
	f.Add("HostName=h.net;DeviceId=d;SharedAccessKey=" + testKeyB64 + ";SharedAccessKey=" + testKeyB64)
	f.Add("hostname=h;DeviceId=d;x509=true;")
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseConnectionString(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidConnectionString) {
				t.Fatalf("error %v does not match ErrInvalidConnectionString", err)
			}
			// No key value may leak into the error.
			for _, seg := range strings.Split(s, ";") {
				if v, ok := strings.CutPrefix(strings.TrimSpace(seg), keySharedAccessKey+"="); ok && looksSecret(v) {
					if strings.Contains(err.Error(), v) {
						t.Fatalf("error %q leaks key %q", err, v)
					}
				}
			}
			return
		}
		if cs.HostName == "" || cs.DeviceID == "" || (cs.X509 == (cs.SharedAccessKey != nil)) {
			t.Fatalf("accepted an incomplete connection string: %#v", cs)
		}
		str := cs.String()
		if cs.SharedAccessKey != nil {
			if !strings.Contains(str, redacted) {
				t.Fatalf("String() %q is not redacted", str)
			}
			if enc := base64.StdEncoding.EncodeToString(cs.SharedAccessKey); looksSecret(enc) && strings.Contains(str, enc) {
				t.Fatalf("String() %q leaks the key", str)
			}
			str = strings.Replace(str, redacted, base64.StdEncoding.EncodeToString(cs.SharedAccessKey), 1)
		}
		back, err := ParseConnectionString(str)
		if err != nil {
			t.Fatalf("reparse of %q: %v", str, err)
		}
		if !reflect.DeepEqual(back, cs) {
			t.Fatalf("reparse = %#v, want %#v", back, cs)
		}
	})
}

// looksSecret reports whether v is long and varied enough that finding it in
// an error string cannot be a coincidence with the error's own words.
func looksSecret(v string) bool {
	if len(v) < 12 || !strings.ContainsAny(v, "0123456789") {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(isUnreserved(c) || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}

func FuzzParsePropertyBag(f *testing.F) {
	f.Add("a=1&b=2")
	f.Add("n&e=")
	f.Add("%24.mid=m&q=x%3D1%26y%3D2%3Bz")
	f.Add("&&a=%zz")
	f.Add("k=a%20b+c&%24.to=%2Fdevices%2Fd")
	f.Fuzz(func(t *testing.T, s string) {
		bag, err := ParsePropertyBag(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidPropertyBag) {
				t.Fatalf("error %v does not match ErrInvalidPropertyBag", err)
			}
			var pe *PropertyError
			if !errors.As(err, &pe) || pe.Offset < 0 || pe.Offset >= len(s) {
				t.Fatalf("error %v has offset outside the input", err)
			}
			return
		}
		enc, err := bag.Encode()
		if err != nil {
			t.Fatalf("Encode of decoded %#v: %v", bag, err)
		}
		again, err := ParsePropertyBag(enc)
		if err != nil {
			t.Fatalf("decode of %q: %v", enc, err)
		}
		if !reflect.DeepEqual(again, bag) {
			t.Fatalf("decode→encode→decode: %#v != %#v", again, bag)
		}
		if enc2, _ := again.Encode(); enc2 != enc {
			t.Fatalf("encoding not stable: %q != %q", enc2, enc)
		}
		for _, p := range bag {
			if p.Null && p.Value != "" {
				t.Fatalf("null property with value: %#v", p)
			}
		}

		// The structured view round-trips too, when it can be encoded.
		props, err := PropertiesFromBag(bag)
		if err != nil {
			return // duplicates
		}
		penc, err := props.Encode()
		if err != nil {
			var pe *PropertyError
			if errors.As(err, &pe) && pe.Name == PropMessageID {
				return // received message IDs are not checked, sent ones are
			}
			t.Fatalf("Encode of %#v: %v", props, err)
		}
		back, err := ParseProperties(penc)
		if err != nil || !reflect.DeepEqual(back, props) {
			t.Fatalf("Properties round trip of %q: %#v, %v; want %#v", penc, back, err, props)
		}
	})
}

func FuzzParseC2DTopic(f *testing.F) {
	f.Add("devices/d1/messages/devicebound/subtopic=request.sensor.list")
	f.Add("devices/d1/messages/devicebound/%24.mid=1&%24.to=%2Fdevices%2Fd1&iothub-ack=full&k")
	f.Add("devices/d1/messages/devicebound/q=a%26subtopic%3Dx&subtopic=a.b")
	f.Add("devices/d1/messages/devicebound")
	f.Add("devices/d2/messages/devicebound/subtopic=..")
	f.Fuzz(func(t *testing.T, topic string) {
		canonical, props, err := ParseC2DTopic("d1", topic)
		if err != nil {
			if !errors.Is(err, ErrInvalidTopic) {
				t.Fatalf("error %v does not match ErrInvalidTopic", err)
			}
			return
		}
		if err := ValidateCanonicalTopic(canonical); err != nil {
			t.Fatalf("parsed canonical topic %q is invalid: %v", canonical, err)
		}
		if _, ok := props.Application[SubtopicProperty]; ok {
			t.Fatal("subtopic left in Application")
		}
		rebuilt, err := C2DTopic("d1", canonical, props)
		if err != nil {
			var pe *PropertyError
			if errors.As(err, &pe) && pe.Name == PropMessageID {
				return
			}
			t.Fatalf("C2DTopic(%q, %#v): %v", canonical, props, err)
		}
		c2, p2, err := ParseC2DTopic("d1", rebuilt)
		if err != nil || c2 != canonical || !reflect.DeepEqual(p2, props) {
			t.Fatalf("round trip of %q via %q: %q, %#v, %v; want %q, %#v", topic, rebuilt, c2, p2, err, canonical, props)
		}
	})
}

func FuzzD2CTopic(f *testing.F) {
	f.Add("events", "", "", "")
	f.Add("response/sensor/12/reading", "m1", "k", "v")
	f.Add("a b/c&d=e/é", "", "%24x", "a&b=c;d")
	f.Add("a.b", "", "", "")
	f.Add("x//y", "m", "subtopic", "z")
	f.Fuzz(func(t *testing.T, canonical, messageID, key, value string) {
		props := Properties{MessageID: messageID}
		if key != "" {
			props.Application = map[string]string{key: value}
		}
		for _, module := range []string{"", "m1"} {
			topic, err := D2CTopic("d1", module, canonical, props)
			if err != nil {
				if ValidateCanonicalTopic(canonical) == nil && !errors.Is(err, ErrInvalidPropertyBag) {
					t.Fatalf("valid canonical topic %q rejected: %v", canonical, err)
				}
				return
			}
			if ValidateCanonicalTopic(canonical) != nil {
				t.Fatalf("invalid canonical topic %q accepted", canonical)
			}
			if !CanPublish("d1", module, topic) {
				t.Fatalf("CanPublish(%q) = false", topic)
			}
			c, p, err := ParseD2CTopic("d1", module, topic)
			if err != nil || c != canonical || !reflect.DeepEqual(p, props) {
				t.Fatalf("round trip via %q: %q, %#v, %v; want %q, %#v", topic, c, p, err, canonical, props)
			}
		}
	})
}
