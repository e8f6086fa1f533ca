package testmain_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/internal/testmain"
)

func TestMain(m *testing.M) { testmain.Run(m) }

// childEnv selects what the child copy of this binary does in TestChild.
const childEnv = "MEETBOT_TESTMAIN_CHILD"

// TestChild is what the child runs: nothing unless childEnv is set.
func TestChild(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "fail":
		t.Fatal("failing on purpose")
	case "race":
		racy()
	}
}

// racy writes one variable from two goroutines without synchronisation.
func racy() {
	var n int
	done := make(chan struct{})
	go func() { n++; close(done) }()
	n++
	<-done
	_ = n
}

// child runs this test binary's TestChild with childEnv set to what and
// returns its exit status and output.
func child(t *testing.T, what string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+what)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	}
	t.Fatalf("run the child: %v", err)
	return 0, ""
}

// TestStatusIsKept: the fast exit must not turn a failure into a pass,
// nor a pass into a failure.
func TestStatusIsKept(t *testing.T) {
	if code, out := child(t, "pass"); code != 0 || !strings.Contains(out, "PASS") {
		t.Errorf("passing child: status %d, output:\n%s", code, out)
	}
	if code, out := child(t, "fail"); code == 0 || !strings.Contains(out, "failing on purpose") {
		t.Errorf("failing child: status %d, output:\n%s", code, out)
	}
}

// TestRaceStillFails: under the race detector, a race during a test still
// fails the binary, although it no longer goes through the runtime's exit.
func TestRaceStillFails(t *testing.T) {
	if !testmain.RaceEnabled {
		t.Skip("needs -race")
	}
	code, out := child(t, "race")
	if code == 0 || !strings.Contains(out, "DATA RACE") {
		t.Errorf("racing child: status %d, output:\n%s", code, out)
	}
}
