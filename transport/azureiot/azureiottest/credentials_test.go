package azureiottest

import (
	"testing"
	"time"

	"github.com/tether-iot/tether/transport/azureiot"
)

func TestParseUsername(t *testing.T) {
	tests := []struct {
		in   string
		want username
		ok   bool
	}{
		{"h.azure-devices.net/dev1/?api-version=2021-04-12",
			username{host: "h.azure-devices.net", deviceID: "dev1", apiVersion: "2021-04-12"}, true},
		{"h/dev1/mod1/?api-version=2021-04-12&model-id=dtmi%3Acom%3Aexample%3AT%3B1&DeviceClientType=c%2F1",
			username{host: "h", deviceID: "dev1", moduleID: "mod1", apiVersion: "2021-04-12", modelID: "dtmi:com:example:T;1"}, true},
		{"h/dev1/?api-version=", username{}, false},
		{"h/dev1/?model-id=x", username{}, false},
		{"h/dev1?api-version=1", username{}, false},
		{"h/dev1", username{}, false},
		{"dev1/?api-version=1", username{}, false},
		{"h//?api-version=1", username{}, false},
		{"h/a/b/c/?api-version=1", username{}, false},
		{"h/dev1/?api-version=1&x=%zz", username{}, false},
		{"", username{}, false},
	}
	for _, tt := range tests {
		got, err := parseUsername(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseUsername(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseSASToken(t *testing.T) {
	key := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}
	vector := "SharedAccessSignature sr=myiothub.azure-devices.net%2Fdevices%2Fmy_device&sig=6BQpP0VpyZ0mTIlMbvjlP%2FxyeadWxB24Mp9J8uADz8w%3D&se=1578941692"
	tok, err := parseSASToken(vector)
	if err != nil {
		t.Fatal(err)
	}
	if tok.decoded != "myiothub.azure-devices.net/devices/my_device" || !tok.expiry.Equal(time.Unix(1578941692, 0)) || tok.hasSkn {
		t.Errorf("parsed %+v", tok)
	}
	if !tok.validSignature(key) {
		t.Error("the PROTOCOLS.md vector does not verify")
	}
	key[0] = 1
	if tok.validSignature(key) {
		t.Error("a wrong key verifies")
	}
	// Fields in another order, with skn.
	tok, err = parseSASToken("SharedAccessSignature se=5&skn=policy&sig=abc&sr=h%2Fdevices%2Fd")
	if err != nil || !tok.hasSkn || tok.skn != "policy" || tok.sr != "h%2Fdevices%2Fd" || tok.se != "5" {
		t.Errorf("reordered token: %+v, %v", tok, err)
	}
	for _, bad := range []string{
		"",
		"sr=a&sig=b&se=1",
		"SharedAccessSignature sr=a&sig=b",
		"SharedAccessSignature sr=a&sig=b&se=x",
		"SharedAccessSignature sr=a&sig=b&se=-1",
		"SharedAccessSignature sr=a&sig=b&se=1&se=2",
		"SharedAccessSignature sr=a&sig=b&se=1&foo=1",
		"SharedAccessSignature sr=%zz&sig=b&se=1",
		"SharedAccessSignature sr=&sig=b&se=1",
		"SharedAccessSignature sr=a&sig&se=1",
	} {
		if _, err := parseSASToken(bad); err == nil {
			t.Errorf("parseSASToken(%q) succeeded", bad)
		}
	}
}

// Tokens minted by the adapter's codec verify here, and only with the key
// and resource they were made for.
func TestSASTokenRoundTrip(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	resource := azureiot.DeviceResource("h.azure-devices.net", "dev+1", "mod 1")
	expiry := time.Unix(2_000_000_000, 0)
	tok, err := parseSASToken(azureiot.SASToken(resource, key, "", expiry))
	if err != nil {
		t.Fatal(err)
	}
	if tok.decoded != resource || !tok.expiry.Equal(expiry) || !tok.validSignature(key) {
		t.Errorf("round trip: %+v, valid %v", tok, tok.validSignature(key))
	}
	if tok.validSignature(key[1:]) {
		t.Error("a wrong key verifies")
	}
}
