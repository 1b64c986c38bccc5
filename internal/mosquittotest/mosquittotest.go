package mosquittotest

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tether-iot/tether/internal/testcerts"
)

// StartTimeout bounds how long Start waits for mosquitto to accept connections.
const StartTimeout = 10 * time.Second

// Binary is where the Debian package installs the broker; PATH is searched if it is absent.
const Binary = "/usr/sbin/mosquitto"

// Config selects the listeners and security of a broker. The zero value is one anonymous TCP listener.
type Config struct {
	// TLS adds a TLS listener that requires a client certificate signed by the broker's CA.
	TLS bool
	// WebSocket adds a plain WebSocket listener (mosquitto "protocol websockets"). Debian/Ubuntu builds
	// without libwebsockets cannot do this: Start skips the test then.
	WebSocket bool
	// Users, when non-empty, is written to a password_file (hashed with mosquitto_passwd) and anonymous
	// clients are refused on every listener.
	Users map[string]string
	// ACL, when non-empty, is written to an acl_file (mosquitto's syntax, e.g. "topic readwrite #").
	ACL string
	// Extra is appended verbatim to the configuration (global section).
	Extra string
}

// Broker is a running mosquitto.
type Broker struct {
	URL    string // tcp://127.0.0.1:PORT
	TLSURL string // tls://127.0.0.1:PORT, "" without Config.TLS
	WSURL  string // ws://127.0.0.1:PORT/mqtt, "" without Config.WebSocket
	CA     *testcerts.CA

	t       testing.TB
	bin     string
	cfgPath string
	log     *syncBuffer
	addrs   []string // every listener address, to wait for

	mu  sync.Mutex
	cmd *exec.Cmd
	// exited is closed when the current process has exited.
	exited chan struct{}
}

// Start writes a configuration for cfg into t.TempDir(), starts mosquitto and waits until every
// listener accepts connections. It fails (or skips) t on error and kills the broker in t.Cleanup.
func Start(t testing.TB, cfg Config) *Broker {
	t.Helper()
	bin := findBinary(t)
	dir := t.TempDir()
	b := &Broker{t: t, bin: bin, log: &syncBuffer{}, cfgPath: filepath.Join(dir, "mosquitto.conf")}

	var conf strings.Builder
	if os.Geteuid() == 0 {
		// mosquitto drops root privileges to user "mosquitto", which cannot read t.TempDir().
		conf.WriteString("user root\n")
	}
	conf.WriteString("persistence false\nlog_dest stderr\nlog_type all\nper_listener_settings false\n")
	if len(cfg.Users) > 0 {
		pw := filepath.Join(dir, "passwd")
		if err := writePasswords(pw, cfg.Users); err != nil {
			t.Skipf("mosquittotest: cannot create password file (%v); install mosquitto-clients/mosquitto for mosquitto_passwd", err)
		}
		fmt.Fprintf(&conf, "password_file %s\nallow_anonymous false\n", pw)
	} else {
		conf.WriteString("allow_anonymous true\n")
	}
	if cfg.ACL != "" {
		acl := filepath.Join(dir, "acl")
		if err := os.WriteFile(acl, []byte(cfg.ACL+"\n"), 0o600); err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		fmt.Fprintf(&conf, "acl_file %s\n", acl)
	}
	if cfg.Extra != "" {
		conf.WriteString(cfg.Extra + "\n")
	}

	// All ports are picked while the others are still held: a port
	// closed before the next is picked can be handed out again.
	ports := freePorts(t, 1+btoi(cfg.TLS)+btoi(cfg.WebSocket))
	port, ports := ports[0], ports[1:]
	b.URL = "tcp://" + port
	b.addrs = append(b.addrs, port)
	fmt.Fprintf(&conf, "\nlistener %s 127.0.0.1\n", portOf(port))

	if cfg.TLS {
		ca, err := testcerts.NewCA()
		if err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		srv, err := ca.ServerCert("localhost", "127.0.0.1", "::1")
		if err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		files, err := ca.WriteFiles(dir, "server", srv)
		if err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		b.CA = ca
		p := ports[0]
		ports = ports[1:]
		b.TLSURL = "tls://" + p
		b.addrs = append(b.addrs, p)
		fmt.Fprintf(&conf, "\nlistener %s 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\nrequire_certificate true\ntls_version tlsv1.2\n",
			portOf(p), files.CA, files.Cert, files.Key)
	}
	if cfg.WebSocket {
		p := ports[0]
		b.WSURL = "ws://" + p + "/mqtt"
		b.addrs = append(b.addrs, p)
		fmt.Fprintf(&conf, "\nlistener %s 127.0.0.1\nprotocol websockets\n", portOf(p))
	}
	if err := os.WriteFile(b.cfgPath, []byte(conf.String()), 0o600); err != nil {
		t.Fatalf("mosquittotest: %v", err)
	}

	t.Cleanup(func() {
		b.Stop()
		if t.Failed() {
			t.Logf("mosquittotest: broker log:\n%s", b.log.String())
		}
	})
	if err := b.start(); err != nil {
		if cfg.WebSocket && strings.Contains(b.log.String(), "websockets") {
			t.Skipf("mosquittotest: this mosquitto build has no WebSocket support: %v", err)
		}
		t.Fatalf("mosquittotest: %v\nconfig:\n%s\nlog:\n%s", err, conf.String(), b.log.String())
	}
	return b
}

// ClientTLSConfig returns a TLS configuration that trusts the broker and presents a client
// certificate with common name cn. It fails t without Config.TLS.
func (b *Broker) ClientTLSConfig(cn string) *tls.Config {
	b.t.Helper()
	if b.CA == nil {
		b.t.Fatal("mosquittotest: ClientTLSConfig without Config.TLS")
	}
	cert, err := b.CA.ClientCert(cn)
	if err != nil {
		b.t.Fatalf("mosquittotest: %v", err)
	}
	return &tls.Config{
		RootCAs:      b.CA.Pool(),
		Certificates: []tls.Certificate{cert},
		ServerName:   "localhost",
		MinVersion:   tls.VersionTLS12,
	}
}

// Stop kills the broker (abruptly: clients see their connections drop) and waits for it to exit.
// Stopping a stopped broker does nothing.
func (b *Broker) Stop() {
	b.mu.Lock()
	cmd, exited := b.cmd, b.exited
	b.cmd = nil
	b.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Restart stops the broker and starts it again on the same ports, failing t on error.
func (b *Broker) Restart() {
	b.t.Helper()
	b.Stop()
	if err := b.start(); err != nil {
		b.t.Fatalf("mosquittotest: restart: %v\nlog:\n%s", err, b.log.String())
	}
}

// Log returns everything the broker logged so far.
func (b *Broker) Log() string { return b.log.String() }

func (b *Broker) start() error {
	// The ports were free a moment ago, and a restarted broker may briefly find its port in use:
	// retry a few times.
	var err error
	for try := 0; try < 5; try++ {
		if err = b.startOnce(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func (b *Broker) startOnce() error {
	cmd := exec.Command(b.bin, "-c", b.cfgPath)
	cmd.Stdout = b.log
	cmd.Stderr = b.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", b.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	b.mu.Lock()
	b.cmd, b.exited = cmd, exited
	b.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	for _, addr := range b.addrs {
		if err := waitAccepting(ctx, addr, exited); err != nil {
			b.Stop()
			return err
		}
	}
	return nil
}

func waitAccepting(ctx context.Context, addr string, exited <-chan struct{}) error {
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("mosquitto exited during startup")
		case <-ctx.Done():
			return fmt.Errorf("%s not accepting after %v: %w", addr, StartTimeout, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func findBinary(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(Binary); err == nil {
		return Binary
	}
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("mosquittotest: mosquitto not found (CI=true): apt-get install mosquitto")
	}
	t.Skip("mosquittotest: mosquitto not found: apt-get install mosquitto")
	return ""
}

func writePasswords(path string, users map[string]string) error {
	tool, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		return err
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	for i, u := range names {
		args := []string{"-b", path, u, users[u]}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(tool, args...).CombinedOutput(); err != nil {
			// The output never contains the password (mosquitto_passwd does not echo it).
			return fmt.Errorf("mosquitto_passwd: %w: %s", err, out)
		}
	}
	return nil
}

// freePorts returns n distinct "127.0.0.1:PORT" addresses the OS just
// handed out. Each listener stays open until all n are picked, so the OS
// cannot hand the same port out twice.
func freePorts(t testing.TB, n int) []string {
	t.Helper()
	addrs := make([]string, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		defer ln.Close()
		addrs = append(addrs, ln.Addr().String())
	}
	return addrs
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	if _, err := strconv.Atoi(p); err != nil {
		panic("mosquittotest: bad address " + addr)
	}
	return p
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of stdout and stderr.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
