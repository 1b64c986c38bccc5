package securitytest_test

import (
	"errors"
	"fmt"

	"github.com/tether-iot/tether/internal/securitytest"
)

func ExampleScan() {
	rec := securitytest.NewRecorder()
	log := rec.Logger()
	password := "correct-horse-battery"
	log.Debug("connecting", "user", "gw1")
	log.Warn("connect failed", "err", errors.New("bad password "+password))

	secrets := securitytest.TextSecret("password", password)
	for _, f := range securitytest.Scan("log", rec.Text(), secrets) {
		fmt.Println(f.Secret, "in", f.Source)
	}
	fmt.Println(len(securitytest.Scan("log", "user=gw1", secrets)), "finding without it")
	// Output:
	// password in log
	// 0 finding without it
}
