package mosquittotest_test

import (
	"testing"

	"github.com/tether-iot/tether/internal/mosquittotest"
)

// A test starts a broker with a plain TCP and a mutual-TLS listener; the broker is killed when the
// test ends.
func ExampleStart() {
	t := &testing.T{} // in a real test, the *testing.T passed to the test
	_ = func() {
		b := mosquittotest.Start(t, mosquittotest.Config{TLS: true})
		_ = b.URL                         // tcp://127.0.0.1:PORT
		_ = b.TLSURL                      // tls://127.0.0.1:PORT
		_ = b.ClientTLSConfig("device-1") // trusts the broker, presents a client certificate
	}
	// Output:
}
