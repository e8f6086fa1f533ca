package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Ensure a timing change also re-plans a meeting waiting for its room (its
// room was lost upstream and could not be re-created yet). Such a meeting
// is listed and keeps its jobs, so it must follow the new reminders too.
func TestTimingChangeReplansPendingMeetings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	m := b.Schedule(actor("ana"), "Sync", t0.Add(24*time.Hour), time.Hour)
	if _, err := b.Store.UpdateMeeting(ctx, ws, m.ID, func(x *core.Meeting) error {
		x.State = core.StatePending
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if r := pendingJobs(t, b, m.ID)[core.JobRemind]; len(r) != 2 {
		t.Fatalf("reminders before the change = %+v", r)
	}
	update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{}})
	if r := pendingJobs(t, b, m.ID)[core.JobRemind]; len(r) != 0 {
		t.Fatalf("reminders off left %d reminders of a meeting waiting for its room", len(r))
	}
}
