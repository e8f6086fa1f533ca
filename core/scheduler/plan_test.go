package scheduler_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// pendingJobs lists a meeting's not-done jobs as "kind@time" strings.
func pendingJobs(t *testing.T, h *harness, m *core.Meeting) []string {
	t.Helper()
	jobs, err := h.env.Store.FindJobs(context.Background(), m.Workspace, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range jobs {
		if j.DoneAt.IsZero() {
			out = append(out, fmt.Sprintf("%s%d@%s", j.Kind, int(j.Lead.Minutes()), j.Due.UTC().Format("01-02T15:04")))
		}
	}
	slices.Sort(out)
	return out
}

func want(start time.Time, d time.Duration) []string {
	f := func(t time.Time) string { return t.UTC().Format("01-02T15:04") }
	out := []string{
		"remind10@" + f(start.Add(-10*time.Minute)),
		"remind0@" + f(start),
		"provision0@" + f(start.Add(-10*time.Minute)),
		"open0@" + f(start.Add(-5*time.Minute)),
		"close0@" + f(start.Add(d+5*time.Minute)),
	}
	slices.Sort(out)
	return out
}

// TestReplanExactly checks that skip, move and cancel leave exactly the
// jobs the new plan needs: old ones gone, new ones present.
func TestReplanExactly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	ana := testenv.Actor("ana")
	now := h.env.Time.Now()
	start := now.Add(2 * time.Hour)

	one := h.env.Schedule(ana, "One-off", start, 30*time.Minute)
	if got := pendingJobs(t, h, one); !slices.Equal(got, want(start, 30*time.Minute)) {
		t.Fatalf("planned %v\nwant %v", got, want(start, 30*time.Minute))
	}
	// Move a one-off: every job moves.
	moved := start.Add(26 * time.Hour)
	if _, _, err := h.env.Service.Move(ctx, ana, one.ID, moved, false); err != nil {
		t.Fatal(err)
	}
	if got := pendingJobs(t, h, one); !slices.Equal(got, want(moved, 30*time.Minute)) {
		t.Fatalf("after move %v\nwant %v", got, want(moved, 30*time.Minute))
	}
	// Cancel: nothing left to do.
	if _, err := h.env.Service.Cancel(ctx, ana, one.ID); err != nil {
		t.Fatal(err)
	}
	if got := pendingJobs(t, h, one); len(got) != 0 {
		t.Fatalf("after cancel %v", got)
	}

	// A daily series: skipping the next occurrence plans the one after it.
	m, err := h.env.Service.Schedule(ctx, ana, core.ScheduleRequest{Title: "Daily", Start: start, Duration: 15 * time.Minute, Recurrence: "FREQ=DAILY"})
	if err != nil {
		t.Fatal(err)
	}
	// Scheduled, it has its room job, due at once, which writes the rest
	// of the plan before it makes the room.
	if got := pendingJobs(t, h, m); !slices.Equal(got, []string{"room0@" + now.UTC().Format("01-02T15:04")}) {
		t.Fatalf("series scheduled with %v, want only its room job", got)
	}
	m = h.env.MakeRoom(m)
	if got := pendingJobs(t, h, m); !slices.Equal(got, want(start, 15*time.Minute)) {
		t.Fatalf("series planned after its room %v", got)
	}
	if _, _, err := h.env.Service.Skip(ctx, ana, m.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	next := start.AddDate(0, 0, 1)
	if got := pendingJobs(t, h, m); !slices.Equal(got, want(next, 15*time.Minute)) {
		t.Fatalf("after skip %v\nwant %v", got, want(next, 15*time.Minute))
	}
	// Move only the next occurrence to 3 hours later.
	later := next.Add(3 * time.Hour)
	if _, _, err := h.env.Service.Move(ctx, ana, m.ID, later, false); err != nil {
		t.Fatal(err)
	}
	if got := pendingJobs(t, h, m); !slices.Equal(got, want(later, 15*time.Minute)) {
		t.Fatalf("after moving one occurrence %v\nwant %v", got, want(later, 15*time.Minute))
	}
	// Running through it: after its close, the following day is planned.
	h.stepTo(t, later.Add(time.Hour))
	day3 := start.AddDate(0, 0, 2)
	if got := pendingJobs(t, h, m); !slices.Equal(got, want(day3, 15*time.Minute)) {
		t.Fatalf("after the moved occurrence %v\nwant %v", got, want(day3, 15*time.Minute))
	}
	if n := len(h.rec.announcements()); n != 4 { // move, cancel, skip, move
		t.Fatalf("announcements = %d", n)
	}
}

// TestProvisioningFiveHundred: 500 "yes" RSVPs on a meeting starting in 10
// minutes are all provisioned before the start within the API budget, and
// at the start 500 joins make no add-participant call. Under the race
// detector it runs 100 RSVPs against a budget of 240 (a fifth of both):
// the same share of the budget, and every one still provisioned ahead;
// the full scale runs in CI's -short pass.
func TestProvisioningFiveHundred(t *testing.T) {
	t.Parallel()
	n, budget := 500, 1200
	if raceEnabled {
		n, budget = 100, 240
	}
	h := newHarness(t, testenv.Options{Budget: budget})
	ctx := context.Background()
	now := h.env.Time.Now()
	start := now.Add(10 * time.Minute)
	m := h.env.Schedule(testenv.Actor("ana"), "All hands", start, time.Hour)
	for i := range n {
		if _, err := h.env.Service.RSVP(ctx, testenv.Actor(fmt.Sprintf("p%03d", i)), m.ID, core.RSVPYes); err != nil {
			t.Fatal(err)
		}
	}
	h.env.Sandbox.ResetCalls()
	h.stepTo(t, start.Add(-time.Second))
	if got := h.env.Sandbox.Calls(sandbox.OpAddParticipant); got != n {
		t.Fatalf("provisioned %d participants, want %d", got, n)
	}
	if total := h.env.Sandbox.TotalCalls(); total > budget {
		t.Fatalf("%d calls exceed the budget of %d", total, budget)
	}
	h.env.Sandbox.ResetCalls()
	h.env.Clock.Set(start)
	for i := range n {
		if _, err := h.env.Service.Join(ctx, testenv.Actor(fmt.Sprintf("p%03d", i)), m.ID); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.env.Sandbox.Calls(sandbox.OpAddParticipant); got != 0 {
		t.Fatalf("joins at the start made %d add-participant calls", got)
	}
}

// TestMoveWholeSeries moves a weekly Monday series to Tuesdays: the rule
// follows, the old jobs go and the new ones come; a two-day series refuses
// a start on a day it does not hold.
func TestMoveWholeSeries(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	ana := testenv.Actor("ana")
	ny := testenv.MustZone("America/New_York")
	mon := time.Date(2026, 11, 30, 10, 0, 0, 0, ny)
	m, err := h.env.Service.Schedule(ctx, ana, core.ScheduleRequest{Title: "Weekly", Start: mon, TimeZone: "America/New_York", Duration: 30 * time.Minute, Recurrence: "FREQ=WEEKLY;BYDAY=MO"})
	if err != nil {
		t.Fatal(err)
	}
	m = h.env.MakeRoom(m)
	tue := time.Date(2026, 12, 1, 11, 0, 0, 0, ny)
	moved, _, err := h.env.Service.Move(ctx, ana, m.ID, tue, true)
	if err != nil {
		t.Fatal(err)
	}
	if moved.Recurrence != "FREQ=WEEKLY;BYDAY=TU" {
		t.Fatalf("rule after move = %q", moved.Recurrence)
	}
	if got := pendingJobs(t, h, m); !slices.Equal(got, want(tue, 30*time.Minute)) {
		t.Fatalf("after moving the series %v\nwant %v", got, want(tue, 30*time.Minute))
	}
	next := moved.NextOccurrences(tue.Add(time.Minute), 1)
	if len(next) != 1 || !next[0].Start.Equal(tue.AddDate(0, 0, 7)) {
		t.Fatalf("next occurrence = %+v", next)
	}
	two, err := h.env.Service.Schedule(ctx, ana, core.ScheduleRequest{Title: "Twice", Start: mon, TimeZone: "America/New_York", Duration: 30 * time.Minute, Recurrence: "FREQ=WEEKLY;BYDAY=MO,WE"})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = h.env.Service.Move(ctx, ana, two.ID, tue, true)
	if core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("moving a Mon/Wed series to a Tuesday: %v", err)
	}
}

// Ensure announcements carry personal messages only where the workspace
// turned DMs on: a cancel tells the "yes" RSVPs in person only then.
func TestAnnouncementDMsFollowWorkspaceSetting(t *testing.T) {
	t.Parallel()
	for _, dms := range []bool{false, true} {
		h := newHarness(t, testenv.Options{})
		ctx := context.Background()
		ana := testenv.Actor("ana")
		m := h.env.Schedule(ana, "Sync", testenv.T0.Add(2*time.Hour), 30*time.Minute)
		if _, err := h.env.Service.RSVP(ctx, testenv.Actor("bo"), m.ID, core.RSVPYes); err != nil {
			t.Fatal(err)
		}
		if err := h.env.Store.PutWorkspace(ctx, &core.Workspace{Key: m.Workspace, DMReminders: dms}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.env.Service.Cancel(ctx, ana, m.ID); err != nil {
			t.Fatal(err)
		}
		got := h.rec.announcements()
		if len(got) != 1 || got[0].Kind != "cancelled" {
			t.Fatalf("dms=%v: announcements %+v", dms, got)
		}
		if want := map[bool]int{false: 0, true: 1}[dms]; len(got[0].DMs) != want {
			t.Fatalf("dms=%v: announcement DMs %v, want %d", dms, got[0].DMs, want)
		}
	}
}

// Ensure a private meeting, which gets no channel reminder, reminds its
// organizer and invitees in person even where the workspace did not turn
// DMs on; and its cancellation is told to them, not to whoever cancelled.
func TestPrivateMeetingRemindsInPerson(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	ana := testenv.Actor("ana")
	m, err := h.env.Service.Schedule(ctx, ana, core.ScheduleRequest{Title: "1:1", Start: testenv.T0.Add(2 * time.Hour),
		Duration: 30 * time.Minute, Private: true, Invitees: []string{"bo"}})
	if err != nil {
		t.Fatal(err)
	}
	m = h.env.MakeRoom(m) // its room job writes the plan
	jobs, err := h.env.Store.FindJobs(ctx, m.Workspace, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var remind core.DueJob
	for _, j := range jobs {
		if j.Kind == core.JobRemind {
			remind = j
			break
		}
	}
	if remind.ID == "" {
		t.Fatalf("no remind job among %+v", jobs)
	}
	h.env.Clock.Set(remind.Due)
	if _, err := h.env.Service.RunJob(ctx, remind); err != nil {
		t.Fatal(err)
	}
	sent := h.rec.all()
	if len(sent) != 1 || !slices.Equal(sent[0].reminder.DMs, []string{"ana", "bo"}) {
		t.Fatalf("private reminder DMs = %+v, want ana and bo", sent)
	}
	if _, err := h.env.Service.Cancel(ctx, ana, m.ID); err != nil {
		t.Fatal(err)
	}
	got := h.rec.announcements()
	if len(got) != 1 || !slices.Equal(got[0].DMs, []string{"bo"}) {
		t.Fatalf("private cancellation DMs = %+v, want bo only", got)
	}
}

// Ensure whoever made a change is not told of it in person: a host who
// said "yes" and cancels gets no DM about their own cancellation, where
// the workspace turned DMs on.
func TestAnnouncementSkipsTheActor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	ana := testenv.Actor("ana")
	m := h.env.Schedule(ana, "Sync", testenv.T0.Add(2*time.Hour), 30*time.Minute)
	for _, u := range []string{"ana", "bo"} {
		if _, err := h.env.Service.RSVP(ctx, testenv.Actor(u), m.ID, core.RSVPYes); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.env.Store.PutWorkspace(ctx, &core.Workspace{Key: m.Workspace, DMReminders: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.env.Service.Cancel(ctx, ana, m.ID); err != nil {
		t.Fatal(err)
	}
	got := h.rec.announcements()
	if len(got) != 1 || !slices.Equal(got[0].DMs, []string{"bo"}) {
		t.Fatalf("cancellation DMs = %+v, want bo only", got)
	}
}
