package timeparse

import (
	"errors"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// TestParseDayPassedCause checks that a day read but already past carries
// PassedDayError with that date, so callers can word their own sentence,
// while other refusals (too far ahead, not a day) do not.
func TestParseDayPassedCause(t *testing.T) {
	loc, _ := time.LoadLocation("America/New_York")
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, loc)
	_, err := ParseDay("2026-11-01", now, loc)
	var p PassedDayError
	if !errors.As(err, &p) || p.Day.Format(time.DateOnly) != "2026-11-01" || core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("past day: %v (%+v)", err, p)
	}
	for _, in := range []string{"2040-01-01", "someday", "tomorrow 3pm"} {
		if _, err := ParseDay(in, now, loc); err == nil || errors.As(err, &p) {
			t.Errorf("%q: %v", in, err)
		}
	}
}
