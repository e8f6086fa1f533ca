package core_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// A change to a meeting after one of its reminders fell due but before the
// scheduler ran it (the scheduler behind, a leader change) re-plans the
// meeting. The re-plan must keep that reminder: it once planned only the
// reminders still ahead, and the store dropped the due one, which was then
// never sent (found by internal/cluster's exactly-once failover test).
func TestReplanKeepsDueReminder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	m := b.Schedule(actor("ana"), "Standup", t0.Add(time.Hour), 30*time.Minute)
	if got := remindLeads(pendingJobs(t, b, m.ID)[core.JobRemind]); !slices.Equal(got, []time.Duration{0, 10 * time.Minute}) {
		t.Fatalf("reminders planned: %v, want [0s 10m0s]", got)
	}
	// The 10-minute reminder is due at t0+50m; nothing runs it.
	b.Clock.Advance(50*time.Minute + time.Second)
	if _, err := b.Service.RSVP(ctx, actor("bo"), m.ID, core.RSVPYes); err != nil {
		t.Fatal(err)
	}
	cur, err := b.Store.FindMeetingByID(ctx, ws, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Service.Plan(ctx, cur); err != nil {
		t.Fatal(err)
	}
	due := pendingJobs(t, b, m.ID)[core.JobRemind]
	if got := remindLeads(due); !slices.Equal(got, []time.Duration{0, 10 * time.Minute}) {
		t.Fatalf("reminders left after a re-plan past the 10-minute lead: %v, want [0s 10m0s]", got)
	}
	for _, j := range due {
		if want := m.Start.Add(-j.Lead); !j.Due.Equal(want) {
			t.Errorf("reminder %v due %v after the re-plan, want its own time %v", j.Lead, j.Due, want)
		}
	}
	// It still runs, once.
	next, err := b.Store.ClaimDue(ctx, b.Clock.Now(), 10, "test", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(next, func(j core.DueJob) bool { return j.Kind == core.JobRemind && j.Lead == 10*time.Minute }); i < 0 {
		t.Fatalf("the due 10-minute reminder is not claimable: claimed %d jobs", len(next))
	}
}

// The other side of the rule: a re-plan keeps due reminders it finds, but
// never makes one. A meeting scheduled inside its 10-minute lead gets no
// 10-minute reminder (it would repeat the confirmation just posted), and
// re-planning it later does not add one.
func TestReplanMakesNoPassedReminder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	m := b.Schedule(actor("ana"), "Soon", t0.Add(5*time.Minute), 30*time.Minute)
	b.Clock.Advance(time.Minute)
	if err := b.Service.Plan(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := remindLeads(pendingJobs(t, b, m.ID)[core.JobRemind]); !slices.Equal(got, []time.Duration{0}) {
		t.Fatalf("reminders of a meeting scheduled inside its lead, re-planned: %v, want [0s]", got)
	}
}
