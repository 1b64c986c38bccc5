// Package mosquittotest starts a real mosquitto broker (the Debian package) as a child process on
// loopback ports for conformance tests: plain TCP, TLS with client certificates required, and WebSocket
// listeners, optional password and ACL files. The broker is killed in t.Cleanup.
//
// Without mosquitto installed the tests using it are skipped ("apt-get install mosquitto"), except with
// CI=true in the environment, where they fail.
package mosquittotest
