// Package leakcheck is a small goroutine-leak checker for tests (in the spirit of go.uber.org/goleak,
// which tether does not depend on). Call Check at the start of a test; when the test ends it waits up to
// a timeout for every goroutine started during the test to exit and fails the test listing the stacks of
// those still running. Tests using it must not run in parallel with other tests of the same binary.
package leakcheck
