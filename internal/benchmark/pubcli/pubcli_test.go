package pubcli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
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

func TestEachPublishesInOrderAndStops(t *testing.T) {
	var sent []int
	errBroken := errors.New("broken")
	cfg := Config{Count: 4}
	err := Each(context.Background(), cfg, func(i int) error {
		sent = append(sent, i)
		if i == 2 {
			return errBroken
		}
		return nil
	})
	if !errors.Is(err, errBroken) || !strings.Contains(err.Error(), "publish 2") || !slices.Equal(sent, []int{0, 1, 2}) {
		t.Fatalf("Each = %v after %v; want the error of message 2 after messages 0, 1, 2", err, sent)
	}

	// The pause comes between messages only: the first goes at once, and
	// an ended ctx stops the second.
	sent = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = Each(ctx, Config{Count: 2, Interval: time.Hour}, func(i int) error { sent = append(sent, i); return nil })
	if !errors.Is(err, context.Canceled) || !slices.Equal(sent, []int{0}) {
		t.Fatalf("Each with an ended ctx = %v after %v; want context.Canceled after message 0", err, sent)
	}
}
