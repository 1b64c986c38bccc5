package testcerts_test

import (
	"crypto/x509"
	"fmt"

	"github.com/tether-iot/tether/internal/testcerts"
)

func ExampleCA_ServerCert() {
	ca, err := testcerts.NewCA()
	if err != nil {
		panic(err)
	}
	srv, err := ca.ServerCert("localhost", "127.0.0.1")
	if err != nil {
		panic(err)
	}
	_, err = srv.Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: ca.Pool()})
	fmt.Println("verified:", err == nil, "SANs:", srv.Leaf.DNSNames, srv.Leaf.IPAddresses)
	// Output: verified: true SANs: [localhost] [127.0.0.1]
}
