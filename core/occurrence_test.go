package core_test

import (
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// TestCurrentOccurrenceOfLongSeries pins what CurrentOccurrence answers for
// series years old, which the expansion no longer walks from their first
// start: the open or next occurrence of a running series (with a move and a
// skip applied), and the last occurrence of one that is over, whether it
// ended by UNTIL years ago, by COUNT, or with its last meeting moved.
func TestCurrentOccurrenceOfLongSeries(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	first := time.Date(2021, 3, 1, 9, 30, 0, 0, ny) // a Monday
	now := time.Date(2027, 11, 3, 12, 0, 0, 0, ny)  // a Wednesday, after the first's DST season
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, ny) }
	meeting := func(rule string, ex ...core.Exception) *core.Meeting {
		return &core.Meeting{Start: first, TimeZone: "America/New_York", Duration: 30 * time.Minute, Recurrence: rule, Exceptions: ex}
	}
	for _, c := range []struct {
		name string
		m    *core.Meeting
		want time.Time
	}{
		{"daily, next is tomorrow", meeting("FREQ=DAILY"), at(2027, 11, 4, 9, 30)},
		{"daily, tomorrow skipped", meeting("FREQ=DAILY", core.Exception{Original: at(2027, 11, 4, 9, 30), Skipped: true}), at(2027, 11, 5, 9, 30)},
		{"daily, tomorrow moved to now", meeting("FREQ=DAILY", core.Exception{Original: at(2027, 11, 4, 9, 30), Start: at(2027, 11, 3, 11, 50)}), at(2027, 11, 3, 11, 50)},
		{"weekly on Monday", meeting("FREQ=WEEKLY;BYDAY=MO"), at(2027, 11, 8, 9, 30)},
		// Past the first six weeks CurrentOccurrence looks at.
		{"yearly, next in four months", meeting("FREQ=YEARLY"), at(2028, 3, 1, 9, 30)},
		{"yearly, next moved to next week", meeting("FREQ=YEARLY", core.Exception{Original: at(2028, 3, 1, 9, 30), Start: at(2027, 11, 10, 10, 0)}), at(2027, 11, 10, 10, 0)},
		{"monthly, next two skipped", meeting("FREQ=MONTHLY", core.Exception{Original: at(2027, 12, 1, 9, 30), Skipped: true}, core.Exception{Original: at(2028, 1, 1, 9, 30), Skipped: true}), at(2028, 2, 1, 9, 30)},
		{"ended by UNTIL years ago", meeting("FREQ=WEEKLY;BYDAY=MO;UNTIL=20230101T000000Z"), at(2022, 12, 26, 9, 30)},
		{"ended by COUNT", meeting("FREQ=DAILY;COUNT=1000"), first.AddDate(0, 0, 999)},
		{"last meeting moved later", meeting("FREQ=DAILY;UNTIL=20250601", core.Exception{Original: at(2025, 6, 1, 9, 30), Start: at(2025, 6, 20, 15, 0)}), at(2025, 6, 20, 15, 0)},
		{"last meeting skipped", meeting("FREQ=DAILY;UNTIL=20250601", core.Exception{Original: at(2025, 6, 1, 9, 30), Skipped: true}), at(2025, 5, 31, 9, 30)},
	} {
		got := c.m.CurrentOccurrence(now, 10*time.Minute, 15*time.Minute)
		if !got.Start.Equal(c.want) || !got.End.Equal(got.Start.Add(30*time.Minute)) {
			t.Errorf("%s: CurrentOccurrence = %v to %v, want start %v", c.name, got.Start, got.End, c.want)
		}
	}
}
