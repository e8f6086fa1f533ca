package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Ensure moving a whole series keeps its coming skips on the same meetings
// of the moved series (the k-th from now on), and drops past ones.
func TestMoveWholeSeriesKeepsComingSkips(t *testing.T) {
	env := setup(t)
	ctx := context.Background()
	ana := actor("ana")
	ny := testenvZone("America/New_York")
	now := env.Service.Now().In(ny)
	mon := time.Date(now.Year(), now.Month(), now.Day(), 10, 0, 0, 0, ny)
	for mon.Weekday() != time.Monday || !mon.After(now) {
		mon = mon.AddDate(0, 0, 1)
	}
	m, err := env.Service.Schedule(ctx, ana, core.ScheduleRequest{Title: "Weekly", Start: mon, TimeZone: "America/New_York",
		Duration: 30 * time.Minute, Recurrence: "FREQ=WEEKLY;BYDAY=MO"})
	if err != nil {
		t.Fatal(err)
	}
	// Skip the 2nd and 4th Mondays.
	for _, w := range []int{1, 3} {
		if _, _, err := env.Service.Skip(ctx, ana, m.ID, mon.AddDate(0, 0, 7*w)); err != nil {
			t.Fatalf("skip week %d: %v", w, err)
		}
	}
	tue := mon.AddDate(0, 0, 1).Add(time.Hour)
	moved, _, err := env.Service.Move(ctx, ana, m.ID, tue, true)
	if err != nil {
		t.Fatal(err)
	}
	var starts []time.Time
	for _, o := range moved.NextOccurrences(tue.Add(-time.Minute), 4) {
		starts = append(starts, o.Start.In(ny))
	}
	want := []time.Time{tue, tue.AddDate(0, 0, 14), tue.AddDate(0, 0, 28), tue.AddDate(0, 0, 35)}
	if len(starts) != len(want) {
		t.Fatalf("next meetings after the move = %v, want %v", starts, want)
	}
	for i := range want {
		if !starts[i].Equal(want[i]) {
			t.Fatalf("next meetings after the move = %v, want %v (2nd and 4th still skipped)", starts, want)
		}
	}
}
