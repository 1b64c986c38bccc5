package awsiot

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tether-iot/tether/mqttx"
)

// ErrALPNNotNegotiated: on port 443 the server did not select the ALPN
// protocol the authentication method needs, so it would not treat the
// connection as MQTT.
var ErrALPNNotNegotiated = errors.New("awsiot: server did not negotiate the ALPN protocol")

// dialer opens the network connection of each attempt (mqttx's
// Options.Dial): TLS with the method's ALPN, or a WebSocket on a URL
// presigned for this very attempt.
type dialer struct {
	addr   string
	tls    *tls.Config // cloned per attempt
	alpn   string
	signer *signer // AuthWebSocket
}

func (d *dialer) dial(ctx context.Context) (net.Conn, error) {
	if d.signer != nil {
		return d.dialWebSocket(ctx)
	}
	return d.dialTLS(ctx)
}

func (d *dialer) dialTLS(ctx context.Context) (net.Conn, error) {
	var nd net.Dialer
	raw, err := nd.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, fmt.Errorf("awsiot: %w", err)
	}
	tc := tls.Client(raw, d.tls.Clone())
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("awsiot: TLS handshake with %s: %w", d.addr, err)
	}
	if got := tc.ConnectionState().NegotiatedProtocol; got != d.alpn {
		_ = raw.Close()
		return nil, fmt.Errorf("%w: want %q, got %q", ErrALPNNotNegotiated, d.alpn, got)
	}
	return tc, nil
}

func (d *dialer) dialWebSocket(ctx context.Context) (net.Conn, error) {
	u, err := d.signer.url(ctx)
	if err != nil {
		return nil, err
	}
	t := d.tls.Clone()
	t.NextProtos = []string{"http/1.1"}
	// The Host header must be the host the URL was signed for, exactly:
	// DialServer writes the default port into the URL it dials.
	header := http.Header{"Host": {d.signer.host}}
	conn, err := mqttx.DialServer(ctx, u, t, header)
	if err != nil {
		return nil, fmt.Errorf("awsiot: WebSocket connection to %s: %w", d.addr, redactQuery(err, u))
	}
	return conn, nil
}

// signer presigns the WebSocket URL with fresh credentials.
type signer struct {
	host     string // the host the URL is signed for and names
	region   string
	provider func(context.Context) (Credentials, error)
	clock    func() time.Time
}

func newSigner(cfg Config, addr string) (*signer, error) {
	if cfg.CredentialsProvider == nil {
		return nil, configError("CredentialsProvider", "required for AuthWebSocket", nil)
	}
	region := cfg.Region
	if region == "" {
		r, ok := regionFromEndpoint(cfg.Endpoint)
		if !ok {
			return nil, configError("Region", "required: Endpoint does not name one", nil)
		}
		region = r
	}
	if err := validateRegion(region); err != nil {
		return nil, configError("Region", "invalid", err)
	}
	s := &signer{host: cfg.Endpoint, region: region, provider: cfg.CredentialsProvider, clock: cfg.Clock}
	if cfg.Address != "" {
		s.host = addr
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	return s, nil
}

// url returns a URL presigned now with credentials fetched now.
func (s *signer) url(ctx context.Context) (string, error) {
	creds, err := s.provider(ctx)
	if err != nil {
		return "", fmt.Errorf("awsiot: credentials provider: %w", err)
	}
	return PresignWebSocketURL(s.host, s.region, creds, s.clock())
}

// redactQuery keeps the presigned URL's query (a signature and a session
// token that grant access) out of an error's message.
func redactQuery(err error, url string) error {
	_, query, ok := strings.Cut(url, "?")
	if !ok || !strings.Contains(err.Error(), "X-Amz-") && !strings.Contains(err.Error(), query) {
		return err
	}
	msg := strings.ReplaceAll(err.Error(), query, redacted)
	if strings.Contains(msg, "X-Amz-") {
		msg = "WebSocket handshake failed (details withheld: they contain the signed URL)"
	}
	return &redactedError{msg: msg, err: err}
}

// redactedError replaces its cause's message and still unwraps to it.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
