package bolt

import (
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

// TestPendingJobCounts: the kept counts follow every change of a job's
// state (planned, re-planned away, claimed, retried, completed, given up,
// the meeting deleted), and a file without counts is counted on open.
func TestPendingJobCounts(t *testing.T) {
	dir := t.TempDir()
	db := openTemp(t, dir)
	ctx := t.Context()
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	at := time.Date(2031, 1, 1, 10, 0, 0, 0, time.UTC)
	m := &core.Meeting{Workspace: ws, Channel: "C1", Title: "one", Organizer: "U1", Start: at, Duration: time.Hour, State: core.StateScheduled}
	if err := db.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	job := func(k core.JobKind, due time.Time, lead time.Duration) core.DueJob {
		return core.DueJob{ID: core.JobID(ws, m.ID, at, k, lead), Due: due, Workspace: ws, Meeting: m.ID, Occurrence: at, Kind: k, Lead: lead}
	}
	want := func(step string, remind, open, close int) {
		t.Helper()
		got := db.PendingJobs()
		if got[core.JobRemind] != remind || got[core.JobOpen] != open || got[core.JobClose] != close || got[core.JobProvision] != 0 {
			t.Fatalf("%s: pending %v, want remind %d open %d close %d", step, got, remind, open, close)
		}
	}
	want("empty", 0, 0, 0)
	jobs := []core.DueJob{job(core.JobRemind, at.Add(-10*time.Minute), 10*time.Minute), job(core.JobRemind, at, 0),
		job(core.JobOpen, at.Add(-5*time.Minute), 0), job(core.JobClose, at.Add(65*time.Minute), 0)}
	if err := db.PlanJobs(ctx, ws, m.ID, jobs); err != nil {
		t.Fatal(err)
	}
	want("planned", 2, 1, 1)
	if err := db.PlanJobs(ctx, ws, m.ID, jobs); err != nil {
		t.Fatal(err)
	}
	want("re-planned the same", 2, 1, 1)
	if err := db.PlanJobs(ctx, ws, m.ID, jobs[1:]); err != nil {
		t.Fatal(err)
	}
	want("one reminder planned away", 1, 1, 1)
	claimed, err := db.ClaimDue(ctx, at.Add(-4*time.Minute), 10, "me", time.Minute)
	if err != nil || len(claimed) != 1 || claimed[0].Kind != core.JobOpen {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	want("open claimed (still pending)", 1, 1, 1)
	if err := db.RetryJob(ctx, claimed[0].ID, "me", at.Add(-3*time.Minute), "try again"); err != nil {
		t.Fatal(err)
	}
	want("open retried", 1, 1, 1)
	claimed, _ = db.ClaimDue(ctx, at.Add(-2*time.Minute), 10, "me", time.Minute)
	if err := db.CompleteJob(ctx, claimed[0].ID, "me", at.Add(-2*time.Minute), ""); err != nil {
		t.Fatal(err)
	}
	want("open done", 1, 0, 1)
	claimed, _ = db.ClaimDue(ctx, at, 10, "me", time.Minute)
	if len(claimed) != 1 {
		t.Fatalf("claim the reminder: %v", claimed)
	}
	if err := db.FailJob(ctx, claimed[0].ID, "me", at, "gone"); err != nil {
		t.Fatal(err)
	}
	want("reminder given up", 0, 0, 1)

	// A file from before the counts: drop them, reopen, counted again.
	if err := db.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		for _, k := range pendingKinds {
			if err := meta.Delete(pendingKey(k)); err != nil {
				return err
			}
		}
		return meta.Delete(keyPendingCounted)
	}); err != nil {
		t.Fatal(err)
	}
	want("counts dropped", 0, 0, 0)
	db.Close()
	db = openTemp(t, dir)
	want("recounted on open", 0, 0, 1)

	if err := db.DeleteMeeting(ctx, ws, m.ID); err != nil {
		t.Fatal(err)
	}
	want("meeting deleted", 0, 0, 0)
	db.Close()
}
