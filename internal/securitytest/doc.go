// Package securitytest proves tether's security properties across its
// packages, in its tests: no key, SAS token, password, signature or
// private key in any log record, error string or printed configuration of
// a whole session with each adapter; TLS verification always on and TLS
// 1.2 at least; client certificates reloaded on reconnect.
//
// Its non-test code is what those tests share: Recorder, a log/slog
// handler that keeps every record rendered in several ways, and Scan,
// which looks for secrets in captured text.
package securitytest
