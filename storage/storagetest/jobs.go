package storagetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// runJobTests covers core.DueJobStore: planning (runJobPlanTests) and the
// scheduler's side, claiming and finishing (runJobClaimTests), and counts
// beyond one backend transaction (runJobBatchTests).
func runJobTests(t *testing.T, open func(*testing.T) core.Store) {
	runJobPlanTests(t, open)
	runJobClaimTests(t, open)
	runJobBatchTests(t, open)
}

// at returns base plus m minutes: job times in these tests.
func at(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }

// rescue is the claim rescue timeout the tests use unless they say.
const rescue = time.Minute

// newJob returns a planned (pending) job of meeting in ws for the
// occurrence starting at occ.
func newJob(ws core.WorkspaceKey, meeting string, occ time.Time, kind core.JobKind, lead time.Duration, due time.Time) core.DueJob {
	return core.DueJob{
		ID: core.JobID(ws, meeting, occ, kind, lead), Due: due, Workspace: ws, Meeting: meeting,
		Occurrence: occ, Kind: kind, Lead: lead,
	}
}

// occJobs returns what core plans for an occurrence starting at occ:
// reminders 10m and 0m before, open 5m before, close 35m after.
func occJobs(ws core.WorkspaceKey, meeting string, occ time.Time) []core.DueJob {
	return []core.DueJob{
		newJob(ws, meeting, occ, core.JobRemind, 10*time.Minute, occ.Add(-10*time.Minute)),
		newJob(ws, meeting, occ, core.JobOpen, 0, occ.Add(-5*time.Minute)),
		newJob(ws, meeting, occ, core.JobRemind, 0, occ),
		newJob(ws, meeting, occ, core.JobClose, 0, occ.Add(35*time.Minute)),
	}
}

// kindJob returns a job of a distinct kind and lead per n, due at due, so
// a test can plan several jobs of one occurrence with chosen times.
func kindJob(ws core.WorkspaceKey, meeting string, n int, due time.Time) core.DueJob {
	return newJob(ws, meeting, base, core.JobRemind, time.Duration(n)*time.Minute, due)
}

func planJobs(t *testing.T, s core.Store, ws core.WorkspaceKey, meeting string, jobs ...core.DueJob) {
	t.Helper()
	if err := s.PlanJobs(t.Context(), ws, meeting, jobs); err != nil {
		t.Fatalf("PlanJobs(%s, %q, %d jobs): %v", ws, meeting, len(jobs), err)
	}
}

func findJobs(t *testing.T, s core.Store, ws core.WorkspaceKey, meeting string) []core.DueJob {
	t.Helper()
	jobs, err := s.FindJobs(t.Context(), ws, meeting)
	if err != nil {
		t.Fatalf("FindJobs(%s, %q): %v", ws, meeting, err)
	}
	for i := 1; i < len(jobs); i++ {
		if jobs[i].Due.Before(jobs[i-1].Due) {
			t.Fatalf("FindJobs(%s, %q) not ordered by Due: %v", ws, meeting, jobIDs(jobs))
		}
	}
	return jobs
}

func claim(t *testing.T, s core.Store, now time.Time, limit int, owner string, rescue time.Duration) []core.DueJob {
	t.Helper()
	jobs, err := s.ClaimDue(t.Context(), now, limit, owner, rescue)
	if err != nil {
		t.Fatalf("ClaimDue(%v, %d, %q): %v", now, limit, owner, err)
	}
	for _, j := range jobs {
		if j.ClaimedBy != owner || !j.ClaimedAt.Equal(now) || !j.DoneAt.IsZero() {
			t.Fatalf("ClaimDue returned %+v, want it claimed by %q at %v", j, owner, now)
		}
	}
	return jobs
}

func nextDue(t *testing.T, s core.Store, rescue time.Duration) (time.Time, bool) {
	t.Helper()
	next, ok, err := s.NextDue(t.Context(), rescue)
	if err != nil {
		t.Fatalf("NextDue: %v", err)
	}
	return next, ok
}

// wantNext fails unless NextDue(rescue) reports want (zero: nothing).
func wantNext(t *testing.T, s core.Store, rescue time.Duration, want time.Time) {
	t.Helper()
	next, ok := nextDue(t, s, rescue)
	if ok != !want.IsZero() || ok && !next.Equal(want) {
		t.Fatalf("NextDue(%v) = %v, %v; want %v", rescue, next, ok, want)
	}
}

func jobIDs(jobs []core.DueJob) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

// sameJobIDs fails unless jobs are exactly want, in that order.
func sameJobIDs(t *testing.T, what string, jobs []core.DueJob, want ...core.DueJob) {
	t.Helper()
	if got, w := jobIDs(jobs), jobIDs(want); !slices.Equal(got, w) {
		t.Fatalf("%s: jobs\n %q\nwant\n %q", what, got, w)
	}
}

// sameJob fails unless got equals want, comparing instants with Equal.
func sameJob(t *testing.T, got, want core.DueJob) {
	t.Helper()
	for _, f := range []struct {
		name string
		g, w *time.Time
	}{
		{"Due", &got.Due, &want.Due}, {"Occurrence", &got.Occurrence, &want.Occurrence},
		{"ClaimedAt", &got.ClaimedAt, &want.ClaimedAt}, {"DoneAt", &got.DoneAt, &want.DoneAt},
	} {
		sameTime(t, "job "+want.ID+" "+f.name, *f.g, *f.w)
		*f.g, *f.w = time.Time{}, time.Time{}
	}
	if got != want {
		t.Fatalf("job differs:\n got %+v\nwant %+v", got, want)
	}
}

// jobByID returns the job with id among jobs, failing when absent.
func jobByID(t *testing.T, jobs []core.DueJob, id string) core.DueJob {
	t.Helper()
	for _, j := range jobs {
		if j.ID == id {
			return j
		}
	}
	t.Fatalf("job %q not among %q", id, jobIDs(jobs))
	return core.DueJob{}
}

func runJobPlanTests(t *testing.T, open func(*testing.T) core.Store) {
	// Ensure planned jobs round-trip field by field, and planning the same jobs twice stores them once.
	t.Run("PlanJobsIsAnUpsert", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", at(60), time.Hour)).ID
		jobs := occJobs(wsA, m, at(60))
		planJobs(t, s, wsA, m, jobs...)
		planJobs(t, s, wsA, m, jobs...)
		got := findJobs(t, s, wsA, m)
		sameJobIDs(t, "after planning twice", got, jobs...)
		for i := range jobs {
			sameJob(t, got[i], jobs[i])
		}
		// A repeated id in one plan is one job.
		planJobs(t, s, wsA, m, append(jobs, jobs[1])...)
		sameJobIDs(t, "after a plan with a repeated id", findJobs(t, s, wsA, m), jobs...)
		claimed := claim(t, s, at(100), 100, "w1", rescue)
		sameJobIDs(t, "claimed after three plans", claimed, jobs...)
	})

	// Ensure a re-plan deletes the pending jobs it no longer has, adds the new ones and moves changed ones.
	t.Run("ReplanDropsAndAddsExactly", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a, b, c := kindJob(wsA, m, 1, at(10)), kindJob(wsA, m, 2, at(20)), kindJob(wsA, m, 3, at(30))
		planJobs(t, s, wsA, m, a, b, c)
		b2, d := b, kindJob(wsA, m, 4, at(40))
		b2.Due = at(35)
		planJobs(t, s, wsA, m, d, c, b2)
		got := findJobs(t, s, wsA, m)
		sameJobIDs(t, "after re-plan", got, c, b2, d)
		sameJob(t, got[1], b2)
		wantNext(t, s, rescue, at(30))
		sameJobIDs(t, "nothing due before the moved time", claim(t, s, at(34), 10, "w1", rescue), c)
		sameJobIDs(t, "claimed after the moved time", claim(t, s, at(100), 10, "w1", 24*time.Hour), b2, d)
		planJobs(t, s, wsA, m)
		if got := findJobs(t, s, wsA, m); len(got) != 0 {
			t.Fatalf("an empty plan left %q", jobIDs(got))
		}
		wantNext(t, s, rescue, time.Time{})
	})

	// Ensure done jobs survive re-plans, and planning a done id again does not make it pending.
	t.Run("ReplanKeepsDoneJobs", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a, b := kindJob(wsA, m, 1, at(10)), kindJob(wsA, m, 2, at(20))
		planJobs(t, s, wsA, m, a, b)
		sameJobIDs(t, "first claim", claim(t, s, at(10), 10, "w1", rescue), a)
		if err := s.CompleteJob(t.Context(), a.ID, "w1", at(11), "post-1"); err != nil {
			t.Fatalf("CompleteJob: %v", err)
		}
		a2 := a
		a2.Due = at(15)
		planJobs(t, s, wsA, m, a2, b)
		got := findJobs(t, s, wsA, m)
		sameJobIDs(t, "after re-plan", got, a, b)
		done := a
		done.ClaimedBy, done.ClaimedAt, done.DoneAt, done.PostRef = "w1", at(10), at(11), "post-1"
		sameJob(t, got[0], done)
		sameJobIDs(t, "claim after re-plan", claim(t, s, at(100), 10, "w2", rescue), b)
		planJobs(t, s, wsA, m)
		got = findJobs(t, s, wsA, m)
		sameJobIDs(t, "after an empty plan", got, a)
		sameJob(t, got[0], done)
		wantNext(t, s, rescue, time.Time{})
	})

	// Ensure a re-plan leaves a claimed job in the plan to its owner, and deletes one that left the plan.
	t.Run("ReplanAndClaimedJobs", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a, b := kindJob(wsA, m, 1, at(10)), kindJob(wsA, m, 2, at(10))
		planJobs(t, s, wsA, m, a, b)
		claim(t, s, at(10), 10, "w1", rescue)
		a2 := a
		a2.Due = at(5)
		planJobs(t, s, wsA, m, a2)
		got := findJobs(t, s, wsA, m)
		sameJobIDs(t, "after re-plan", got, a)
		if j := got[0]; j.ClaimedBy != "w1" || !j.ClaimedAt.Equal(at(10)) || !j.DoneAt.IsZero() {
			t.Fatalf("claimed job after re-plan = %+v, want still claimed by w1", j)
		}
		if c := claim(t, s, at(10), 10, "w2", rescue); len(c) != 0 {
			t.Fatalf("re-plan made a fresh claim claimable again: %q", jobIDs(c))
		}
		wantNext(t, s, rescue, at(10).Add(rescue))
		err := s.CompleteJob(t.Context(), b.ID, "w1", at(11), "")
		wantCode(t, err, core.ENOTFOUND, "completing a claimed job that a re-plan dropped")
		if err := s.CompleteJob(t.Context(), a.ID, "w1", at(11), "ref"); err != nil {
			t.Fatalf("CompleteJob of the kept claim: %v", err)
		}
	})

	// Ensure a re-plan moves a retried pending job to the new time and keeps its attempts.
	t.Run("ReplanMovesRetriedJob", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a := kindJob(wsA, m, 1, at(10))
		planJobs(t, s, wsA, m, a)
		claim(t, s, at(10), 1, "w1", rescue)
		if err := s.RetryJob(t.Context(), a.ID, "w1", at(12), "chat is down"); err != nil {
			t.Fatalf("RetryJob: %v", err)
		}
		a.Due = at(20)
		planJobs(t, s, wsA, m, a)
		want := a
		want.Attempts, want.LastError = 1, "chat is down"
		sameJob(t, findJobs(t, s, wsA, m)[0], want)
		wantNext(t, s, rescue, at(20))
		if c := claim(t, s, at(19), 10, "w1", rescue); len(c) != 0 {
			t.Fatalf("claimed %q before the re-planned time", jobIDs(c))
		}
		if c := claim(t, s, at(20), 10, "w1", rescue); len(c) != 1 || c[0].Attempts != 1 {
			t.Fatalf("claim at the re-planned time = %+v", c)
		}
	})

	// Ensure FindJobs lists one meeting's pending, claimed and done jobs by Due, in its workspace only.
	t.Run("FindJobsOrderAndScope", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		other := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		for _, ws := range []core.WorkspaceKey{wsB, wsC} {
			if id := create(t, s, newMeeting(ws, "C1", base, time.Hour)).ID; id != m {
				t.Fatalf("setup: want meeting id %q in %s too, got %q", m, ws, id)
			}
			planJobs(t, s, ws, m, kindJob(ws, m, 1, at(1)), kindJob(ws, m, 9, at(9)))
		}
		a, b, c := kindJob(wsA, m, 3, at(30)), kindJob(wsA, m, 1, at(10)), kindJob(wsA, m, 2, at(20))
		planJobs(t, s, wsA, m, a, b, c)
		planJobs(t, s, wsA, other, kindJob(wsA, other, 1, at(15)))
		sameJobIDs(t, "pending", findJobs(t, s, wsA, m), b, c, a)

		// Claim b (done below) and c, in whichever workspace order the store picks.
		claimed := claim(t, s, at(20), 100, "w1", time.Hour)
		if len(claimed) != 7 {
			t.Fatalf("claimed %q, want the 7 jobs due by %v", jobIDs(claimed), at(20))
		}
		if err := s.CompleteJob(t.Context(), b.ID, "w1", at(21), "p"); err != nil {
			t.Fatal(err)
		}
		got := findJobs(t, s, wsA, m)
		sameJobIDs(t, "mixed states", got, b, c, a)
		if got[0].DoneAt.IsZero() || got[1].ClaimedBy != "w1" || !got[2].ClaimedAt.IsZero() {
			t.Fatalf("states = %+v", got)
		}
		if got := findJobs(t, s, wsA, "999999"); len(got) != 0 {
			t.Fatalf("jobs of a meeting that has none: %q", jobIDs(got))
		}
	})

	// Ensure DeleteMeeting removes the meeting's jobs in every state, and nothing else.
	t.Run("DeleteMeetingRemovesJobs", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		keep := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		if id := create(t, s, newMeeting(wsB, "C1", base, time.Hour)).ID; id != m {
			t.Fatalf("setup: want meeting id %q in %s too, got %q", m, wsB, id)
		}
		done, claimed, pending := kindJob(wsA, m, 1, at(1)), kindJob(wsA, m, 2, at(2)), kindJob(wsA, m, 3, at(3))
		kept, foreign := kindJob(wsA, keep, 1, at(4)), kindJob(wsB, m, 1, at(5))
		planJobs(t, s, wsA, m, done, claimed, pending)
		planJobs(t, s, wsA, keep, kept)
		planJobs(t, s, wsB, m, foreign)
		claim(t, s, at(2), 2, "w1", rescue)
		if err := s.CompleteJob(t.Context(), done.ID, "w1", at(2), ""); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteMeeting(t.Context(), wsA, m); err != nil {
			t.Fatalf("DeleteMeeting: %v", err)
		}
		if got := findJobs(t, s, wsA, m); len(got) != 0 {
			t.Fatalf("deleted meeting still has jobs %q", jobIDs(got))
		}
		wantNext(t, s, rescue, at(4))
		sameJobIDs(t, "claim after delete", claim(t, s, at(100), 100, "w2", rescue), kept, foreign)
		for _, id := range []string{done.ID, claimed.ID, pending.ID} {
			err := s.CompleteJob(t.Context(), id, "w2", at(101), "")
			wantCode(t, err, core.ENOTFOUND, "completing job "+id+" of a deleted meeting")
		}
		sameJobIDs(t, "other meeting", findJobs(t, s, wsA, keep), kept)
		sameJobIDs(t, "same id in another workspace", findJobs(t, s, wsB, m), foreign)
	})

	// Ensure a cancelled context plans nothing.
	t.Run("PlanJobsCancelledContext", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.PlanJobs(ctx, wsA, m, occJobs(wsA, m, at(60))); err == nil {
			t.Fatal("PlanJobs with a cancelled context succeeded")
		}
		if _, err := s.ClaimDue(ctx, at(100), 10, "w1", rescue); err == nil {
			t.Fatal("ClaimDue with a cancelled context succeeded")
		}
		if got := findJobs(t, s, wsA, m); len(got) != 0 {
			t.Fatalf("refused plan stored %q", jobIDs(got))
		}
	})
}

// ownerName names concurrent claimers.
func ownerName(i int) string { return fmt.Sprintf("w%d", i) }
