package securitytest

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// MinSecretLength is the shortest value Scan looks for: shorter ones would
// match by chance.
const MinSecretLength = 8

// Secret is a value that must not appear in captured text.
type Secret struct {
	Name  string // what it is, for the report ("SAS key (base64)")
	Value string
	// Marker is set for a fixed string that only secrets carry ("PRIVATE
	// KEY", "&sig="): it is looked for whatever its length.
	Marker bool
}

// Finding is a secret found in captured text.
type Finding struct {
	Source  string // where the text came from ("log", "Connect error", ...)
	Secret  string // the Secret's Name
	Context string // the text around the hit, with the secret masked
}

// String describes f for a test failure.
func (f Finding) String() string {
	return fmt.Sprintf("%s found in %s: ...%s...", f.Secret, f.Source, f.Context)
}

// Scan returns a Finding for every secret that occurs in text. A secret
// shorter than MinSecretLength (other than a Marker) is a mistake of the
// test, reported as a finding of its own.
func Scan(source, text string, secrets []Secret) []Finding {
	var found []Finding
	for _, s := range secrets {
		if len(s.Value) < MinSecretLength && !(s.Marker && s.Value != "") {
			found = append(found, Finding{Source: source, Secret: s.Name, Context: "(secret too short to scan for)"})
			continue
		}
		i := strings.Index(text, s.Value)
		if i < 0 {
			continue
		}
		from, to := max(0, i-60), min(len(text), i+len(s.Value)+60)
		ctx := text[from:i] + "<" + s.Name + ">" + text[i+len(s.Value):to]
		found = append(found, Finding{Source: source, Secret: s.Name, Context: strconv.Quote(ctx)})
	}
	return found
}

// TextSecret returns the forms a text secret (password, token, signature,
// base64 key) takes when printed: as is, URL query- and path-escaped, and
// quoted as Go and JSON quote it.
func TextSecret(name, value string) []Secret {
	forms := []string{value, url.QueryEscape(value), url.PathEscape(value), quoted(value)}
	return dedup(name, forms)
}

// BinarySecret returns the forms a binary secret (a decoded key) takes
// when printed: raw, base64 (standard and URL, padded or not), hex, %v of
// the byte slice and Go-quoted.
func BinarySecret(name string, value []byte) []Secret {
	forms := []string{
		string(value),
		base64.StdEncoding.EncodeToString(value),
		base64.RawStdEncoding.EncodeToString(value),
		base64.URLEncoding.EncodeToString(value),
		base64.RawURLEncoding.EncodeToString(value),
		hex.EncodeToString(value),
		strings.ToUpper(hex.EncodeToString(value)),
		strings.Trim(fmt.Sprint(value), "[]"),
		quoted(string(value)),
	}
	return dedup(name, forms)
}

func quoted(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

func dedup(name string, forms []string) []Secret {
	seen := make(map[string]bool, len(forms))
	var out []Secret
	for i, f := range forms {
		if seen[f] {
			continue
		}
		seen[f] = true
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s (form %d)", name, i)
		}
		out = append(out, Secret{Name: n, Value: f})
	}
	return out
}
