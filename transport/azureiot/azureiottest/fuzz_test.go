package azureiottest

import (
	"strings"
	"testing"
	"time"

	"github.com/tether-iot/tether/transport/azureiot"
)

// FuzzParseUsername checks that any username a client sends parses without
// panicking, and that what the adapter's codec builds parses back.
func FuzzParseUsername(f *testing.F) {
	f.Add("h.azure-devices.net/dev1/?api-version=2021-04-12", "dev1", "")
	f.Add("h/dev1/mod1/?api-version=2021-04-12&model-id=dtmi%3Aa%3Bb", "d", "m")
	f.Add("h/?api-version", "a+b", "c#d")
	f.Fuzz(func(t *testing.T, s, device, module string) {
		if u, err := parseUsername(s); err == nil {
			if u.host == "" || u.deviceID == "" || u.apiVersion == "" || strings.Contains(u.host+u.deviceID+u.moduleID, "/") {
				t.Fatalf("parseUsername(%q) = %+v: empty or '/' field", s, u)
			}
		}
		name, err := azureiot.Username("h.azure-devices.net", device, module, "")
		if err != nil {
			return
		}
		u, err := parseUsername(name)
		if err != nil || u.host != "h.azure-devices.net" || u.deviceID != device || u.moduleID != module || u.apiVersion != azureiot.APIVersion {
			t.Fatalf("round trip of %q: %+v, %v", name, u, err)
		}
	})
}

// FuzzParseSASToken checks that any password parses without panicking, and
// that tokens minted for any resource verify after parsing.
func FuzzParseSASToken(f *testing.F) {
	f.Add("SharedAccessSignature sr=a%2Fb&sig=c%3D&se=1578941692", "h/devices/d", int64(1578941692))
	f.Add("SharedAccessSignature se=1&skn=p&sig=x&sr=y", "h/devices/d/modules/m", int64(1))
	f.Add("SharedAccessSignature sr=%&sig=&se=", "h/devices/a b&c", int64(4102444800))
	f.Fuzz(func(t *testing.T, s, resource string, se int64) {
		if tok, err := parseSASToken(s); err == nil {
			if tok.sr == "" || tok.sig == "" || tok.expiry.Unix() <= 0 {
				t.Fatalf("parseSASToken(%q) = %+v: missing field", s, tok)
			}
		}
		if se <= 0 || se > 1<<40 {
			return
		}
		key := []byte("fuzz key")
		tok, err := parseSASToken(azureiot.SASToken(resource, key, "", time.Unix(se, 0)))
		if err != nil {
			if resource == "" {
				return // an empty sr is malformed
			}
			t.Fatalf("minted token for %q does not parse: %v", resource, err)
		}
		if tok.decoded != resource || tok.expiry.Unix() != se || !tok.validSignature(key) {
			t.Fatalf("minted token for %q, se %d: %+v", resource, se, tok)
		}
	})
}
