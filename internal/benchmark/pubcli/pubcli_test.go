package pubcli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadTLSRefusesAFileWithoutCertificates(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTLS(ca, "", ""); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Fatalf("LoadTLS(%s) = %v, want a no-certificate error", ca, err)
	}
	cfg, err := LoadTLS("", "", "")
	if err != nil || cfg.RootCAs != nil || len(cfg.Certificates) != 0 || cfg.MinVersion == 0 {
		t.Fatalf("LoadTLS without files = %+v, %v; want system roots, no certificate, a minimum version", cfg, err)
	}
}

func TestPauseWaitsBetweenMessagesOnly(t *testing.T) {
	cfg := Config{Interval: time.Hour}
	if err := Pause(context.Background(), cfg, 0); err != nil {
		t.Fatalf("Pause before the first message = %v, want nil at once", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Pause(ctx, cfg, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Pause with an ended ctx = %v, want context.Canceled", err)
	}
}
