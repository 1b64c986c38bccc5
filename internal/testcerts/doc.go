// Package testcerts generates throwaway X.509 certificates for tests: a CA, server certificates for
// loopback hosts and client certificates for mutual TLS. Keys are ECDSA P-256; nothing touches the disk
// unless WriteFiles is called.
package testcerts
