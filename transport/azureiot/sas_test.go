package azureiot

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestDeviceResource(t *testing.T) {
	tests := []struct {
		host, device, module, want string
	}{
		{"myiothub.azure-devices.net", "my_device", "", "myiothub.azure-devices.net/devices/my_device"},
		{"h.net", "d", "m", "h.net/devices/d/modules/m"},
	}
	for _, tt := range tests {
		if got := DeviceResource(tt.host, tt.device, tt.module); got != tt.want {
			t.Errorf("DeviceResource(%q, %q, %q) = %q, want %q", tt.host, tt.device, tt.module, got, tt.want)
		}
	}
}

func TestSASToken(t *testing.T) {
	tests := []struct {
		name     string
		resource string
		keyName  string
		expiry   int64
		want     string
	}{
		{
			name:     "PROTOCOLS.md vector",
			resource: DeviceResource("myiothub.azure-devices.net", "my_device", ""),
			expiry:   1578941692,
			want:     "SharedAccessSignature sr=myiothub.azure-devices.net%2Fdevices%2Fmy_device&sig=6BQpP0VpyZ0mTIlMbvjlP%2FxyeadWxB24Mp9J8uADz8w%3D&se=1578941692",
		},
		{
			name:     "policy key adds skn",
			resource: DeviceResource("myiothub.azure-devices.net", "my_device", ""),
			keyName:  "device",
			expiry:   1578941692,
			want:     "SharedAccessSignature sr=myiothub.azure-devices.net%2Fdevices%2Fmy_device&sig=6BQpP0VpyZ0mTIlMbvjlP%2FxyeadWxB24Mp9J8uADz8w%3D&se=1578941692&skn=device",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SASToken(tt.resource, testKey, tt.keyName, time.Unix(tt.expiry, 0))
			if got != tt.want {
				t.Errorf("SASToken =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestSASTokenSignsWhatItSends recomputes the signature from the token's own
// sr and se fields, for resources that need percent-encoding.
func TestSASTokenSignsWhatItSends(t *testing.T) {
	resources := []string{
		DeviceResource("h.net", "d", "m"),
		DeviceResource("h.net", "a+b%c#d$e'f(g)h=i", ""),
		"h.net/devices/space here",
	}
	for _, res := range resources {
		tok := SASToken(res, testKey, "", time.Unix(1700000000, 0))
		fields, ok := strings.CutPrefix(tok, "SharedAccessSignature ")
		if !ok {
			t.Fatalf("token %q lacks prefix", tok)
		}
		parts := map[string]string{}
		for _, kv := range strings.Split(fields, "&") {
			k, v, _ := strings.Cut(kv, "=")
			parts[k] = v
		}
		if strings.ContainsAny(parts["sr"], "/ +") {
			t.Errorf("sr %q not fully encoded", parts["sr"])
		}
		if dec, err := url.PathUnescape(parts["sr"]); err != nil || dec != res {
			t.Errorf("sr decodes to %q, %v; want %q", dec, err, res)
		}
		mac := hmac.New(sha256.New, testKey)
		mac.Write([]byte(parts["sr"] + "\n" + parts["se"]))
		wantSig := url.QueryEscape(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		if parts["sig"] != wantSig {
			t.Errorf("sig = %q, want %q", parts["sig"], wantSig)
		}
		if parts["se"] != "1700000000" {
			t.Errorf("se = %q", parts["se"])
		}
	}
}

func TestTokenRenewTime(t *testing.T) {
	issued := time.Unix(1700000000, 0)
	tests := []struct {
		name     string
		ttl      time.Duration
		fraction float64
		want     time.Duration
	}{
		{"default fraction", DefaultTokenTTL, 0, 48 * time.Minute},
		{"explicit fraction", DefaultTokenTTL, 0.5, 30 * time.Minute},
		{"whole lifetime", 10 * time.Minute, 1, 10 * time.Minute},
		{"negative fraction uses default", 10 * time.Minute, -1, 8 * time.Minute},
		{"fraction over 1 uses default", 10 * time.Minute, 1.5, 8 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TokenRenewTime(issued, issued.Add(tt.ttl), tt.fraction)
			if d := got.Sub(issued); d != tt.want {
				t.Errorf("renew after %v, want %v", d, tt.want)
			}
		})
	}
}

func TestTokenDefaults(t *testing.T) {
	if DefaultTokenTTL != time.Hour {
		t.Errorf("DefaultTokenTTL = %v", DefaultTokenTTL)
	}
	if DefaultTokenRenewAt != 0.8 {
		t.Errorf("DefaultTokenRenewAt = %v", DefaultTokenRenewAt)
	}
}
