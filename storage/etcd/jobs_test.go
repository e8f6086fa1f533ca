package etcd_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
	"github.com/meetbot/meetbot/storage/storagetest"
)

// replica returns a store on the shared server under prefix (a fresh one
// when prefix is empty), closed when the test ends.
func replica(t *testing.T, prefix string) *etcd.DB {
	t.Helper()
	if prefix == "" {
		prefix = etcdtest.Prefix(t)
	}
	db, err := etcd.Open(t.Context(), etcd.Options{
		Endpoints: etcdtest.Shared(t), Prefix: prefix, LeaderTTL: time.Second,
		ReplicaID: fmt.Sprintf("r-%s", t.Name()), Logger: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Ensure etcd's Leader passes the leader conformance cases, with every
// replica on its own client and session.
func TestLeaderConformance(t *testing.T) {
	t.Parallel()
	storagetest.RunLeader(t, func(t *testing.T) storagetest.LeaderBackend {
		db := replica(t, "")
		return storagetest.LeaderBackend{
			Store: db,
			NewLeader: func(t *testing.T) core.Leader {
				l := etcd.NewLeader(replica(t, db.Prefix()))
				t.Cleanup(func() { _ = l.Close() })
				return l
			},
			Depose: func(t *testing.T, l core.Leader) {
				id := etcd.LeaseOf(l.(*etcd.Leader))
				if _, err := db.Client().Revoke(t.Context(), id); err != nil {
					t.Fatalf("revoke the leader's lease: %v", err)
				}
			},
		}
	})
}

var ws = core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}

func job(meeting string, n int, due time.Time) core.DueJob {
	occ := time.Date(2031, 1, 1, 9, 0, 0, 0, time.UTC)
	return core.DueJob{
		ID: core.JobID(ws, meeting, occ, core.JobRemind, time.Duration(n)*time.Minute), Due: due,
		Workspace: ws, Meeting: meeting, Occurrence: occ, Kind: core.JobRemind, Lead: time.Duration(n) * time.Minute,
	}
}

// Ensure a plan larger than one Txn, and a claim asked for more than one
// Txn holds, still work: the plan is whole, and claims come in batches of at
// most 40 until every job is taken once.
func TestLargePlanAndBatchedClaims(t *testing.T) {
	t.Parallel()
	db := replica(t, "")
	t0 := time.Date(2031, 1, 1, 8, 0, 0, 0, time.UTC)
	var jobs []core.DueJob
	for i := range 100 {
		jobs = append(jobs, job("7", i, t0.Add(time.Duration(i)*time.Second)))
	}
	if err := db.PlanJobs(t.Context(), ws, "7", jobs); err != nil {
		t.Fatalf("PlanJobs of 100 jobs: %v", err)
	}
	got, err := db.FindJobs(t.Context(), ws, "7")
	if err != nil || len(got) != 100 {
		t.Fatalf("FindJobs = %d jobs, %v; want 100", len(got), err)
	}
	seen := map[string]bool{}
	for {
		c, err := db.ClaimDue(t.Context(), t0.Add(time.Hour), 256, "w1", time.Hour)
		if err != nil {
			t.Fatalf("ClaimDue: %v", err)
		}
		if len(c) == 0 {
			break
		}
		if len(c) > 40 {
			t.Fatalf("one claim took %d jobs; a Txn holds 40", len(c))
		}
		for _, j := range c {
			if seen[j.ID] {
				t.Fatalf("job %s claimed twice", j.ID)
			}
			seen[j.ID] = true
		}
	}
	if len(seen) != 100 {
		t.Fatalf("claimed %d jobs, want 100", len(seen))
	}
	// Re-planning a third of them drops the rest, in several Txns.
	if err := db.PlanJobs(t.Context(), ws, "7", jobs[:30]); err != nil {
		t.Fatalf("re-plan: %v", err)
	}
	if got, _ := db.FindJobs(t.Context(), ws, "7"); len(got) != 30 {
		t.Fatalf("after re-plan %d jobs, want 30", len(got))
	}
}

// Ensure two replicas (two clients on one prefix) claiming at once never
// get the same job, and together get every due job.
func TestTwoClientsClaimEachJobOnce(t *testing.T) {
	t.Parallel()
	a := replica(t, "")
	b := replica(t, a.Prefix())
	t0 := time.Date(2031, 1, 1, 8, 0, 0, 0, time.UTC)
	total := 0
	for m := range 6 {
		var jobs []core.DueJob
		for i := range 20 {
			jobs = append(jobs, job(fmt.Sprint(m+1), i, t0.Add(time.Duration(i%5)*time.Minute)))
		}
		if err := a.PlanJobs(t.Context(), ws, fmt.Sprint(m+1), jobs); err != nil {
			t.Fatal(err)
		}
		total += len(jobs)
	}
	var (
		mu   sync.Mutex
		byID = map[string]string{}
		wg   sync.WaitGroup
	)
	for i, db := range []*etcd.DB{a, b, a, b} {
		owner := fmt.Sprintf("w%d", i)
		wg.Go(func() {
			for {
				c, err := db.ClaimDue(t.Context(), t0.Add(time.Hour), 9, owner, time.Hour)
				if err != nil {
					t.Errorf("ClaimDue by %s: %v", owner, err)
					return
				}
				if len(c) == 0 {
					return
				}
				mu.Lock()
				for _, j := range c {
					if prev, dup := byID[j.ID]; dup {
						t.Errorf("job %s handed to %s and %s", j.ID, prev, owner)
					}
					byID[j.ID] = owner
				}
				mu.Unlock()
				for _, j := range c {
					if err := db.CompleteJob(t.Context(), j.ID, owner, t0.Add(time.Hour), owner); err != nil {
						t.Errorf("CompleteJob: %v", err)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(byID) != total {
		t.Fatalf("claimed %d jobs, want %d", len(byID), total)
	}
	if _, ok, err := a.NextDue(t.Context(), time.Hour); err != nil || ok {
		t.Fatalf("NextDue after everything ran = %v, %v; want nothing", ok, err)
	}
}

// Ensure NextDue finds a job far from now (years), one overdue, and the
// claim deadline when it comes first, through its growing windows.
func TestNextDueWindows(t *testing.T) {
	t.Parallel()
	db := replica(t, "")
	if _, ok, err := db.NextDue(t.Context(), time.Minute); err != nil || ok {
		t.Fatalf("NextDue of an empty store = %v, %v", ok, err)
	}
	for _, due := range []time.Time{
		time.Now().Add(40 * 365 * 24 * time.Hour), time.Now().Add(3 * time.Hour), time.Now().Add(-time.Hour),
	} {
		if err := db.PlanJobs(t.Context(), ws, "1", []core.DueJob{job("1", 1, due)}); err != nil {
			t.Fatal(err)
		}
		at, ok, err := db.NextDue(t.Context(), time.Minute)
		if err != nil || !ok || !at.Equal(due.UTC()) {
			t.Fatalf("NextDue = %v, %v, %v; want %v", at, ok, err, due)
		}
	}
	claimAt := time.Now().Add(-time.Hour)
	if c, err := db.ClaimDue(context.Background(), claimAt, 1, "w1", time.Minute); err != nil || len(c) != 1 {
		t.Fatalf("ClaimDue = %v, %v", c, err)
	}
	if err := db.PlanJobs(t.Context(), ws, "2", []core.DueJob{job("2", 1, time.Now().Add(24*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if at, ok, err := db.NextDue(t.Context(), 2*time.Hour); err != nil || !ok || !at.Equal(claimAt.UTC().Add(2*time.Hour)) {
		t.Fatalf("NextDue with a claim due for rescue first = %v, %v, %v", at, ok, err)
	}
}

// Ensure a backlog of overdue jobs spread over hours is claimed whole, in
// due order, through the windows that follow the last claim, and that a job
// planned before where the last claim stopped is still claimed first.
func TestBacklogClaimsInDueOrder(t *testing.T) {
	t.Parallel()
	db := replica(t, "")
	now := time.Date(2031, 1, 1, 12, 0, 0, 0, time.UTC)
	var jobs []core.DueJob
	for i := range 300 {
		jobs = append(jobs, job("5", i, now.Add(-10*time.Hour).Add(time.Duration(i)*2*time.Minute)))
	}
	if err := db.PlanJobs(t.Context(), ws, "5", jobs); err != nil {
		t.Fatal(err)
	}
	var got []core.DueJob
	early := job("6", 1, now.Add(-12*time.Hour))
	for round := 0; ; round++ {
		c, err := db.ClaimDue(t.Context(), now, 256, "w1", time.Hour)
		if err != nil {
			t.Fatalf("ClaimDue: %v", err)
		}
		if len(c) == 0 {
			break
		}
		if round == 2 {
			if err := db.PlanJobs(t.Context(), ws, "6", []core.DueJob{early}); err != nil {
				t.Fatal(err)
			}
		}
		if round == 3 && c[0].ID != early.ID {
			t.Fatalf("the claim after an earlier job was planned starts with %s, want %s", c[0].ID, early.ID)
		}
		got = append(got, c...)
	}
	if len(got) != 301 {
		t.Fatalf("claimed %d jobs, want 301", len(got))
	}
	seen := map[string]bool{}
	for i, j := range got {
		if seen[j.ID] {
			t.Fatalf("job %s claimed twice", j.ID)
		}
		seen[j.ID] = true
		if i > 0 && j.Due.Before(got[i-1].Due) && j.ID != early.ID {
			t.Fatalf("claim %d out of due order: %v after %v", i, j.Due, got[i-1].Due)
		}
	}
}
