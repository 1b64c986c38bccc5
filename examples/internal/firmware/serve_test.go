package firmware

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tether-iot/tether/examples/internal/cli"
)

// TestServeCommandsStoreError checks that a state directory the command
// store cannot use is reported as the setting that named it.
func TestServeCommandsStoreError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	set := cli.Setting{Flag: "state-dir", Env: "TETHER_STATE_DIR"}
	d := New("d1", Options{})
	_, err := ServeCommands(context.Background(), nil, d.Router(), file, set)
	var se *cli.SettingError
	if !errors.As(err, &se) || se.Setting.Flag != "state-dir" {
		t.Fatalf("ServeCommands(state dir %q is a file) = %v, want a *cli.SettingError for -state-dir", file, err)
	}
}
