// Package doccheck holds the documentation audit of the module, as a test
// that stays: every public package (neither internal nor an example) must
// have a package doc, a doc comment on every exported identifier and at
// least one runnable Example (one with an "// Output:" comment).
//
//	go test ./internal/doccheck/
//
// The package has no API; its test is its purpose.
package doccheck
