package recur

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // DST cases must not depend on the machine's zone files
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// utc reads an RFC 3339 instant.
func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

// local reads "2006-01-02 15:04" as a wall time in loc (not inside a DST
// change; those cases use utc).
func local(t testing.TB, s string, loc *time.Location) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

// sameInstants compares got with want (RFC 3339 strings) and checks that
// every result is in loc.
func sameInstants(t *testing.T, got []time.Time, loc *time.Location, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d starts %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if w := utc(t, want[i]); !got[i].Equal(w) {
			t.Errorf("start %d = %s (%s), want %s", i, got[i].UTC().Format(time.RFC3339), got[i].Format(time.RFC3339), want[i])
		}
		if got[i].Location() != loc {
			t.Errorf("start %d location %v, want %v", i, got[i].Location(), loc)
		}
	}
}

// userMessage checks the promise every error of the package keeps: one
// line, naming the problem, with an example in quotes.
func userMessage(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got none", want)
	}
	msg := err.Error()
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not contain %q", msg, want)
	}
	if strings.ContainsAny(msg, "\r\n") || len(msg) > 400 {
		t.Errorf("error is not one short line: %q", msg)
	}
	if !strings.Contains(msg, "Try \"") && !strings.Contains(msg, "such as \"") {
		t.Errorf("error has no example: %q", msg)
	}
}
