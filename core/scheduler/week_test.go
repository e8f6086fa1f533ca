package scheduler_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// scheduleRandom schedules n meetings at random minutes over the week
// after start and returns them by id.
func scheduleRandom(t testing.TB, h *harness, n int, start time.Time, seed uint64) map[string]*core.Meeting {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	out := make(map[string]*core.Meeting, n)
	for i := range n {
		at := start.Add(15*time.Minute + time.Duration(rng.IntN(7*24*60))*time.Minute)
		d := time.Duration(15+rng.IntN(4)*15) * time.Minute
		a := testenv.Actor("u" + string(rune('a'+i%26)))
		m, err := h.env.Service.Schedule(context.Background(), a, core.ScheduleRequest{Title: "m", Start: at, Duration: d})
		if err != nil {
			t.Fatalf("schedule %d: %v", i, err)
		}
		out[m.ID] = m
	}
	return out
}

// checkWeek asserts that every meeting got each reminder exactly once at
// its time, in due order, and had its room opened and closed on time.
func checkWeek(t *testing.T, h *harness, meetings map[string]*core.Meeting, runs []run) {
	t.Helper()
	type key struct {
		id   string
		lead time.Duration
	}
	got := map[key]int{}
	var last time.Time
	for _, s := range h.rec.all() {
		m := meetings[s.reminder.Meeting.ID]
		want := m.Start.Add(-s.reminder.Lead)
		if !s.at.Equal(want) {
			t.Fatalf("meeting %s reminder (lead %v) at %v, want %v", m.ID, s.reminder.Lead, s.at, want)
		}
		if s.at.Before(last) {
			t.Fatalf("reminders out of order: %v after %v", s.at, last)
		}
		last = s.at
		got[key{m.ID, s.reminder.Lead}]++
	}
	opened, closed := map[string]time.Time{}, map[string]time.Time{}
	for _, r := range runs {
		switch r.job.Kind {
		case core.JobOpen:
			opened[r.job.Meeting] = r.at
		case core.JobClose:
			closed[r.job.Meeting] = r.at
		}
	}
	for id, m := range meetings {
		for _, lead := range []time.Duration{10 * time.Minute, 0} {
			if n := got[key{id, lead}]; n != 1 {
				t.Fatalf("meeting %s: reminder with lead %v sent %d times", id, lead, n)
			}
		}
		if !opened[id].Equal(m.Start.Add(-5 * time.Minute)) {
			t.Fatalf("meeting %s opened at %v, want %v", id, opened[id], m.Start.Add(-5*time.Minute))
		}
		if !closed[id].Equal(m.End().Add(5 * time.Minute)) {
			t.Fatalf("meeting %s closed at %v, want %v", id, closed[id], m.End().Add(5*time.Minute))
		}
		// The room was made by the room job after scheduling.
		cur, err := h.env.Store.FindMeetingByID(context.Background(), m.Workspace, id)
		if err != nil {
			t.Fatal(err)
		}
		info, ok := h.env.Sandbox.Meeting(cur.RoomID)
		if !ok || info.Status != "INACTIVE" {
			t.Fatalf("meeting %s room after the week: %+v", id, info)
		}
	}
}

// raceWeek is how many meetings the week tests schedule under the race
// detector, which makes every store write and HTTP call several times
// slower and needs no scale to see a race; raceBatch is the claim batch
// they run with there. 100 meetings are more than one batch of 64: the
// room jobs, all due at once after scheduling, are claimed in two batches
// and each batch is run by the 32 workers at the same time, and the week
// after still has every job kind, claims of jobs due together and
// reminders in due order. Without the race detector the batch is the
// scheduler's default (256) and the weeks are larger than it.
const (
	raceWeek  = 100
	raceBatch = 64
)

// newWeekHarness is newHarness with the claim batch the week tests run
// with (raceBatch under the race detector).
func newWeekHarness(t *testing.T) *harness {
	t.Helper()
	if raceEnabled {
		return newHarnessBatch(t, testenv.Options{}, raceBatch)
	}
	return newHarness(t, testenv.Options{})
}

// TestSimulatedWeek schedules many meetings at random times over a week and
// runs the week on an injected clock: every reminder is sent exactly once,
// in due order, and every room opens and closes at its times. It runs
// 10,000 meetings, 2,000 with -short and raceWeek under the race detector.
func TestSimulatedWeek(t *testing.T) {
	t.Parallel()
	n := 10000
	switch {
	case raceEnabled:
		n = raceWeek
	case testing.Short():
		n = 2000
	}
	h := newWeekHarness(t)
	start := h.env.Time.Now()
	meetings := scheduleRandom(t, h, n, start, 1)
	h.stepTo(t, start.Add(8*24*time.Hour))
	checkWeek(t, h, meetings, h.drainRuns())
	if next, ok, _ := h.env.Store.NextDue(context.Background(), time.Minute); ok {
		t.Fatalf("jobs left after the week, next at %v", next)
	}
}

// TestRestartMidWeek closes the bbolt file half-way through the week and
// continues on a reopened one: nothing lost, nothing doubled. It runs 500
// meetings, raceWeek under the race detector: about two in five of those
// (39 of the 100) have all their jobs before the restart, the rest after
// it, and the room jobs of all of them ran on the file closed.
func TestRestartMidWeek(t *testing.T) {
	t.Parallel()
	n := 500
	if raceEnabled {
		n = raceWeek
	}
	h := newWeekHarness(t)
	start := h.env.Time.Now()
	meetings := scheduleRandom(t, h, n, start, 2)
	h.stepTo(t, start.Add(3*24*time.Hour+7*time.Hour))
	runs := h.drainRuns()
	h.restart()
	h.stepTo(t, start.Add(8*24*time.Hour))
	checkWeek(t, h, meetings, append(runs, h.drainRuns()...))
}
