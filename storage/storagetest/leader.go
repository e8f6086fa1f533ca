package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// LeaderBackend is what RunLeader needs of a backend: one store, and the
// Leaders of the replicas that share it.
type LeaderBackend struct {
	// Store is a fresh, empty store. RunLeader closes it.
	Store core.Store
	// NewLeader returns the Leader of one more replica of Store (for
	// etcd: its own client and session). A backend that admits one process
	// only (bbolt) returns the Leader of that process, and sets Single.
	NewLeader func(t *testing.T) core.Leader
	// Single says no second replica can exist, so the cases about a
	// second campaigner are skipped.
	Single bool
	// Depose ends l's lead from outside, as a crash, a pause longer than
	// the lease or a partition does (etcd: revoke its session's lease).
	// Nil when the lead cannot be lost short of the process ending
	// (bbolt); the cases that need it are then skipped.
	Depose func(t *testing.T, l core.Leader)
}

// Resigner is a Leader that can hand the lead over at once, on a graceful
// stop. RunLeader tests Resign when a backend's Leader has it.
type Resigner interface {
	Resign(ctx context.Context) error
}

// RunLeader runs the conformance cases of core.Leader and of the fencing
// of job writes by leadership, each against a fresh backend from open. The
// cases run in parallel, as Run's do, so open must be safe to call from
// several goroutines and its backends must not share a store.
func RunLeader(t *testing.T, open func(t *testing.T) LeaderBackend) {
	t.Helper()
	fresh := func(t *testing.T) LeaderBackend {
		t.Helper()
		b := open(t)
		t.Cleanup(func() {
			if err := b.Store.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return b
	}

	// Ensure Lead returns a live context, refuses an ended one, and the lead ends with the caller's context.
	t.Run("LeadFollowsItsContext", func(t *testing.T) {
		t.Parallel()
		b := fresh(t)
		l := b.NewLeader(t)
		ended, cancel := context.WithCancel(t.Context())
		cancel()
		if lctx, err := l.Lead(ended); err == nil {
			t.Fatalf("Lead with an ended context = %v, nil; want an error", lctx)
		}
		ctx, cancel := context.WithCancel(t.Context())
		lctx := lead(t, l, ctx)
		if lctx.Err() != nil {
			t.Fatalf("a fresh lead context has ended: %v", lctx.Err())
		}
		cancel()
		<-lctx.Done()
	})

	// Ensure jobs are claimed and finished under a live lead's context (its fence holds).
	t.Run("JobsUnderTheLead", func(t *testing.T) {
		t.Parallel()
		b := fresh(t)
		s := b.Store
		lctx := lead(t, b.NewLeader(t), t.Context())
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a, c, f := kindJob(wsA, m, 1, at(1)), kindJob(wsA, m, 2, at(1)), kindJob(wsA, m, 3, at(1))
		planJobs(t, s, wsA, m, a, c, f)
		got, err := s.ClaimDue(lctx, at(1), 10, "w1", rescue)
		if err != nil || len(got) != 3 {
			t.Fatalf("ClaimDue under the lead = %q, %v; want the 3 jobs", jobIDs(got), err)
		}
		if err := s.CompleteJob(lctx, a.ID, "w1", at(2), "ref"); err != nil {
			t.Fatalf("CompleteJob under the lead: %v", err)
		}
		if err := s.RetryJob(lctx, c.ID, "w1", at(5), "later"); err != nil {
			t.Fatalf("RetryJob under the lead: %v", err)
		}
		if err := s.FailJob(lctx, f.ID, "w1", at(2), "no"); err != nil {
			t.Fatalf("FailJob under the lead: %v", err)
		}
		jobs := findJobs(t, s, wsA, m)
		if j := jobByID(t, jobs, a.ID); j.PostRef != "ref" || j.DoneAt.IsZero() {
			t.Fatalf("completed job = %+v", j)
		}
		if j := jobByID(t, jobs, c.ID); j.ClaimedBy != "" || !j.Due.Equal(at(5)) {
			t.Fatalf("retried job = %+v", j)
		}
		if j := jobByID(t, jobs, f.ID); !j.Failed {
			t.Fatalf("failed job = %+v", j)
		}
	})

	// Ensure a second replica's campaign waits while the first leads, and wins once the first resigns.
	t.Run("SecondCampaignerWaitsForResign", func(t *testing.T) {
		t.Parallel()
		b := fresh(t)
		if b.Single {
			t.Skip("the backend admits one process only")
		}
		l1, l2 := b.NewLeader(t), b.NewLeader(t)
		r, ok := l1.(Resigner)
		if !ok {
			t.Skip("the backend's Leader cannot resign")
		}
		l1ctx := lead(t, l1, t.Context())
		won := campaign(t, l2)
		// A fenced write round-trips through the store while l2 campaigns:
		// l1 must still be leading after it.
		m := create(t, b.Store, newMeeting(wsA, "C1", base, time.Hour)).ID
		planJobs(t, b.Store, wsA, m, kindJob(wsA, m, 1, at(1)))
		if got, err := b.Store.ClaimDue(l1ctx, at(1), 10, "w1", rescue); err != nil || len(got) != 1 {
			t.Fatalf("ClaimDue by the leader while another campaigns = %q, %v", jobIDs(got), err)
		}
		select {
		case res := <-won:
			t.Fatalf("a second replica won the lead while the first held it (err %v)", res.err)
		default:
		}
		if err := r.Resign(t.Context()); err != nil {
			t.Fatalf("Resign: %v", err)
		}
		if l1ctx.Err() == nil {
			t.Fatal("Resign returned before the resigned lead's context ended")
		}
		res := <-won
		if res.err != nil {
			t.Fatalf("second replica's Lead after the first resigned: %v", res.err)
		}
		if res.ctx.Err() != nil {
			t.Fatalf("the new lead's context has ended: %v", res.ctx.Err())
		}
	})

	// Ensure a lead lost from outside (lease gone) cancels the leader's context and lets another replica lead.
	t.Run("LostLeadCancelsContext", func(t *testing.T) {
		t.Parallel()
		b := fresh(t)
		if b.Single || b.Depose == nil {
			t.Skip("the backend's lead cannot be lost")
		}
		l1, l2 := b.NewLeader(t), b.NewLeader(t)
		l1ctx := lead(t, l1, t.Context())
		won := campaign(t, l2)
		b.Depose(t, l1)
		<-l1ctx.Done()
		if res := <-won; res.err != nil {
			t.Fatalf("second replica's Lead after the first was deposed: %v", res.err)
		}
		// The deposed replica can lead again once the new leader is gone.
		l3ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		again := make(chan error, 1)
		go func() {
			_, err := l1.Lead(l3ctx)
			again <- err
		}()
		b.Depose(t, l2)
		if err := <-again; err != nil {
			t.Fatalf("the deposed replica's Lead once the lead was free again: %v", err)
		}
	})

	// Ensure a leader deposed between claim and completion can neither finish nor claim, and the new leader rescues the job.
	t.Run("DeposedLeaderCannotFinishOrClaim", func(t *testing.T) {
		t.Parallel()
		b := fresh(t)
		if b.Single || b.Depose == nil {
			t.Skip("the backend's lead cannot be lost")
		}
		s := b.Store
		l1, l2 := b.NewLeader(t), b.NewLeader(t)
		l1ctx := lead(t, l1, t.Context())
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a, later := kindJob(wsA, m, 1, at(1)), kindJob(wsA, m, 2, at(3))
		planJobs(t, s, wsA, m, a, later)
		if got, err := s.ClaimDue(l1ctx, at(1), 10, "w1", rescue); err != nil || len(got) != 1 {
			t.Fatalf("ClaimDue by the leader = %q, %v", jobIDs(got), err)
		}
		// The process pauses here; meanwhile its lease runs out.
		b.Depose(t, l1)
		<-l1ctx.Done()
		// It wakes and records its run the way the scheduler does: with a
		// context that outlives the lead but keeps its values.
		late := context.WithoutCancel(l1ctx)
		wantCode(t, s.CompleteJob(late, a.ID, "w1", at(2), "late"), core.ECONFLICT, "CompleteJob by a deposed leader")
		wantCode(t, s.RetryJob(late, a.ID, "w1", at(2), "late"), core.ECONFLICT, "RetryJob by a deposed leader")
		wantCode(t, s.FailJob(late, a.ID, "w1", at(2), "late"), core.ECONFLICT, "FailJob by a deposed leader")
		_, err := s.ClaimDue(late, at(3), 10, "w1", rescue)
		wantCode(t, err, core.ECONFLICT, "ClaimDue by a deposed leader")
		jobs := findJobs(t, s, wsA, m)
		if j := jobByID(t, jobs, a.ID); j.ClaimedBy != "w1" || !j.DoneAt.IsZero() || j.Attempts != 0 {
			t.Fatalf("after the deposed leader's reports the job is %+v, want still claimed by w1", j)
		}
		if j := jobByID(t, jobs, later.ID); j.ClaimedBy != "" {
			t.Fatalf("the deposed leader's claim took %+v", j)
		}

		l2ctx := lead(t, l2, t.Context())
		got, err := s.ClaimDue(l2ctx, at(3), 10, "w2", rescue)
		if err != nil {
			t.Fatalf("ClaimDue by the new leader: %v", err)
		}
		sameJobIDs(t, "the new leader's claim (the rescue and the job due now)", got, a, later)
		if err := s.CompleteJob(l2ctx, a.ID, "w2", at(4), "by-w2"); err != nil {
			t.Fatalf("CompleteJob by the new leader: %v", err)
		}
		if j := jobByID(t, findJobs(t, s, wsA, m), a.ID); j.PostRef != "by-w2" || j.ClaimedBy != "w2" {
			t.Fatalf("rescued job = %+v, want done by w2", j)
		}
		// The old fence stays dead even though its replica's lease is gone
		// and nothing it holds matches any more.
		wantCode(t, s.CompleteJob(late, later.ID, "w2", at(4), "x"), core.ECONFLICT, "CompleteJob with the old fence")
	})
}

// lead makes l lead under ctx and fails the test otherwise.
func lead(t *testing.T, l core.Leader, ctx context.Context) context.Context {
	t.Helper()
	lctx, err := l.Lead(ctx)
	if err != nil {
		t.Fatalf("Lead: %v", err)
	}
	return lctx
}

type campaignResult struct {
	ctx context.Context
	err error
}

// campaign starts l's campaign in the background; the result arrives once
// it leads (or fails). The campaign ends with the test.
func campaign(t *testing.T, l core.Leader) <-chan campaignResult {
	won := make(chan campaignResult, 1)
	go func() {
		ctx, err := l.Lead(t.Context())
		won <- campaignResult{ctx, err}
	}()
	return won
}
