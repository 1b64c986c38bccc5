package azureiot

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// testKey is bytes 0..31; testKeyB64 its base64 form (PROTOCOLS.md §2 vector).
var testKey = func() []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(i)
	}
	return k
}()

const testKeyB64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func TestParseConnectionStringValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want ConnectionString
	}{
		{
			name: "device key",
			in:   "HostName=myiothub.azure-devices.net;DeviceId=my_device;SharedAccessKey=" + testKeyB64,
			want: ConnectionString{HostName: "myiothub.azure-devices.net", DeviceID: "my_device", SharedAccessKey: testKey},
		},
		{
			name: "module key, any key order",
			in:   "SharedAccessKey=" + testKeyB64 + ";ModuleId=mod1;DeviceId=dev1;HostName=h.azure-devices.net",
			want: ConnectionString{HostName: "h.azure-devices.net", DeviceID: "dev1", ModuleID: "mod1", SharedAccessKey: testKey},
		},
		{
			name: "policy key",
			in:   "HostName=h.net;DeviceId=d;SharedAccessKeyName=device;SharedAccessKey=" + testKeyB64,
			want: ConnectionString{HostName: "h.net", DeviceID: "d", SharedAccessKeyName: "device", SharedAccessKey: testKey},
		},
		{
			name: "x509",
			in:   "HostName=h.net;DeviceId=d;x509=true",
			want: ConnectionString{HostName: "h.net", DeviceID: "d", X509: true},
		},
		{
			name: "x509 upper case value",
			in:   "HostName=h.net;DeviceId=d;x509=True",
			want: ConnectionString{HostName: "h.net", DeviceID: "d", X509: true},
		},
		{
			name: "x509=false with key",
			in:   "HostName=h.net;DeviceId=d;x509=false;SharedAccessKey=" + testKeyB64,
			want: ConnectionString{HostName: "h.net", DeviceID: "d", SharedAccessKey: testKey},
		},
		{
			name: "gateway",
			in:   "HostName=h.net;DeviceId=d;SharedAccessKey=" + testKeyB64 + ";GatewayHostName=edge.local",
			want: ConnectionString{HostName: "h.net", DeviceID: "d", SharedAccessKey: testKey, GatewayHostName: "edge.local"},
		},
		{
			name: "surrounding space and trailing semicolon",
			in:   "  HostName=h.net;DeviceId=d;x509=true;\n",
			want: ConnectionString{HostName: "h.net", DeviceID: "d", X509: true},
		},
		{
			name: "device id with special characters",
			in:   "HostName=h.net;DeviceId=a-b.c+d%e_f#g*h?i!j(k)l,m:n=o@p$q'r;x509=true",
			want: ConnectionString{HostName: "h.net", DeviceID: "a-b.c+d%e_f#g*h?i!j(k)l,m:n=o@p$q'r", X509: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConnectionString(tt.in)
			if err != nil {
				t.Fatalf("ParseConnectionString: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v\nwant %#v\n(keys %x vs %x)", got, tt.want, got.SharedAccessKey, tt.want.SharedAccessKey)
			}
		})
	}
}

func TestParseConnectionStringErrors(t *testing.T) {
	const secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ=" // must never appear in an error
	const base = "HostName=h.net;DeviceId=d"
	tests := []struct {
		name      string
		in        string
		wantField string
		wantIn    string // substring of Reason
	}{
		{"empty", "", "", "empty"},
		{"blank", "  ; ", "", "empty"},
		{"unknown key", base + ";Foo=bar;SharedAccessKey=" + secret, "", "segment 3: unknown key"},
		{"stray key without name", base + ";" + strings.TrimSuffix(secret, "="), "", "segment 3: no '='"},
		{"stray padded key", base + ";" + secret, "", "segment 3: unknown key"},
		{"wrong case key", "hostname=h.net;DeviceId=d;x509=true", "HostName", "case-sensitive"},
		{"empty key name", base + ";=x", "", "segment 3: empty key"},
		{"empty segment", "HostName=h.net;;DeviceId=d;x509=true", "", "segment 2: no '='"},
		{"duplicate key", base + ";DeviceId=e;x509=true", "DeviceId", "duplicate"},
		{"duplicate secret key", base + ";SharedAccessKey=" + secret + ";SharedAccessKey=" + secret, "SharedAccessKey", "duplicate"},
		{"empty value", "HostName=;DeviceId=d;x509=true", "HostName", "empty value"},
		{"empty key value", base + ";SharedAccessKey=", "SharedAccessKey", "empty value"},
		{"missing host", "DeviceId=d;x509=true", "HostName", "missing"},
		{"missing device", "HostName=h.net;x509=true", "DeviceId", "missing"},
		{"no credential", base, "SharedAccessKey", "missing"},
		{"key and x509", base + ";x509=true;SharedAccessKey=" + secret, "x509", "conflicts"},
		{"key name with x509", base + ";x509=true;SharedAccessKeyName=p", "SharedAccessKeyName", "without SharedAccessKey"},
		{"bad x509 value", base + ";x509=yes", "x509", `not "true"`},
		{"bad base64", base + ";SharedAccessKey=" + secret[:len(secret)-2] + "!!", "SharedAccessKey", "not valid base64"},
		{"base64 bad padding", base + ";SharedAccessKey=" + strings.TrimSuffix(secret, "="), "SharedAccessKey", "not valid base64"},
		{"url-safe base64", base + ";SharedAccessKey=-_-_", "SharedAccessKey", "not valid base64"},
		{"bad device id", "HostName=h.net;DeviceId=a/b;x509=true", "DeviceId", "not allowed"},
		{"bad module id", base + ";ModuleId=m m;x509=true", "ModuleId", "not allowed"},
		{"long device id", "HostName=h.net;DeviceId=" + strings.Repeat("a", 129) + ";x509=true", "DeviceId", "longer than 128"},
		{"host is a URL", "HostName=https://h.net/;DeviceId=d;x509=true", "HostName", "not allowed"},
		{"bad gateway", base + ";x509=true;GatewayHostName=a b", "GatewayHostName", "not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConnectionString(tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalidConnectionString) {
				t.Fatalf("errors.Is(%v, ErrInvalidConnectionString) = false", err)
			}
			var ce *ConnectionStringError
			if !errors.As(err, &ce) {
				t.Fatalf("not a *ConnectionStringError: %T", err)
			}
			if ce.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", ce.Field, tt.wantField)
			}
			if !strings.Contains(ce.Reason, tt.wantIn) {
				t.Errorf("Reason = %q, want it to contain %q", ce.Reason, tt.wantIn)
			}
			if !strings.HasPrefix(err.Error(), "azureiot: ") {
				t.Errorf("message %q lacks the package prefix", err)
			}
			for _, s := range []string{secret, secret[:16], testKeyB64[:16]} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q leaks the key", err)
				}
			}
		})
	}
}

func TestConnectionStringRedaction(t *testing.T) {
	cs, err := ParseConnectionString("HostName=h.net;DeviceId=d;ModuleId=m;SharedAccessKeyName=p;SharedAccessKey=" + testKeyB64 + ";GatewayHostName=g")
	if err != nil {
		t.Fatal(err)
	}
	const want = "HostName=h.net;DeviceId=d;ModuleId=m;SharedAccessKeyName=p;SharedAccessKey=<redacted>;GatewayHostName=g"
	if got := cs.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("connecting", "cs", cs)
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", cs),
		"%+v":  fmt.Sprintf("%+v", cs),
		"%#v":  fmt.Sprintf("%#v", cs),
		"%s":   fmt.Sprintf("%s", cs),
		"&%v":  fmt.Sprintf("%v", &cs),
		"slog": logBuf.String(),
	}
	for verb, out := range outputs {
		if strings.Contains(out, testKeyB64[:12]) || strings.Contains(out, "[0 1 2 3") || strings.Contains(out, "0x0, 0x1") {
			t.Errorf("%s output leaks the key: %s", verb, out)
		}
		if !strings.Contains(out, "<redacted>") {
			t.Errorf("%s output %q lacks <redacted>", verb, out)
		}
	}
}

func TestConnectionStringStringX509(t *testing.T) {
	cs := ConnectionString{HostName: "h.net", DeviceID: "d", X509: true}
	if got, want := cs.String(), "HostName=h.net;DeviceId=d;x509=true"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	back, err := ParseConnectionString(cs.String())
	if err != nil || !reflect.DeepEqual(back, cs) {
		t.Errorf("reparse = %#v, %v; want %#v", back, err, cs)
	}
}

func TestConnectionStringHelpers(t *testing.T) {
	tests := []struct {
		cs           ConnectionString
		wantHost     string
		wantResource string
	}{
		{ConnectionString{HostName: "h.net", DeviceID: "d"}, "h.net", "h.net/devices/d"},
		{ConnectionString{HostName: "h.net", DeviceID: "d", ModuleID: "m", GatewayHostName: "gw"}, "gw", "h.net/devices/d/modules/m"},
	}
	for _, tt := range tests {
		if got := tt.cs.ConnectHost(); got != tt.wantHost {
			t.Errorf("ConnectHost() = %q, want %q", got, tt.wantHost)
		}
		if got := tt.cs.Resource(); got != tt.wantResource {
			t.Errorf("Resource() = %q, want %q", got, tt.wantResource)
		}
	}
}
