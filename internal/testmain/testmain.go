// Package testmain ends the project's test binaries. Every test package's
// TestMain is one call to Run, so the end of a test binary is decided in
// one place.
//
// What it decides: under the race detector, a test binary whose tests all
// passed exits at once. The race runtime (ThreadSanitizer) otherwise idles
// for a second at every exit whose status is 0 while other goroutines are
// alive, which in Go is always (GORACE's atexit_sleep_ms, default 1000),
// to let threads still running print their reports. A Go test needs no
// such grace: the testing package counts the race reports itself and fails
// the test during which one came, and M.Run returns non-zero if any came
// before it returned. Over this project's thirty test binaries that idle
// second was about a sixth of the race suite's wall time on two cores.
//
// What it gives up: a race reported after M.Run returned (in a TestMain's
// own teardown) no longer turns a passing binary's status into 66; it is
// still printed. A failing binary, a run with coverage (whose profile is
// written by exit hooks) and a build without -race exit through os.Exit as
// before.
package testmain

import (
	"os"
	"syscall"
	"testing"
)

// Run runs the tests and ends the binary with their status (see the
// package doc).
func Run(m *testing.M) {
	Exit(m.Run())
}

// Exit ends the binary with code, for a TestMain that tears something
// down after M.Run: the race build's idle second is skipped when code is 0
// and no coverage is being written.
func Exit(code int) {
	if raceEnabled && code == 0 && testing.CoverMode() == "" {
		syscall.Exit(0)
	}
	os.Exit(code)
}
