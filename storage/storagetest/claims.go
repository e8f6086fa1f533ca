package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

func runJobClaimTests(t *testing.T, open func(*testing.T) core.Store) {
	// Ensure NextDue is the earliest pending Due or the earliest claim plus rescue, whichever is first.
	t.Run("NextDueFollowsPlansClaimsAndRescue", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		wantNext(t, s, rescue, time.Time{})
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a, b := kindJob(wsA, m, 1, at(10)), kindJob(wsA, m, 2, at(20))
		planJobs(t, s, wsA, m, b, a)
		wantNext(t, s, rescue, at(10))
		claim(t, s, at(12), 1, "w1", rescue)
		wantNext(t, s, time.Minute, at(13))
		wantNext(t, s, time.Hour, at(20))
		if err := s.CompleteJob(t.Context(), a.ID, "w1", at(13), ""); err != nil {
			t.Fatal(err)
		}
		wantNext(t, s, time.Minute, at(20))
		other := create(t, s, newMeeting(wsB, "C1", base, time.Hour)).ID
		planJobs(t, s, wsB, other, kindJob(wsB, other, 1, at(5)))
		wantNext(t, s, rescue, at(5))
		claim(t, s, at(100), 10, "w1", rescue)
		wantNext(t, s, rescue, at(100).Add(rescue))
	})

	// Ensure ClaimDue returns what is due by now (inclusive) in due order across workspaces, up to limit.
	t.Run("ClaimDueOrderLimitAndNow", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var m string
		for _, ws := range []core.WorkspaceKey{wsA, wsB, wsC} {
			id := create(t, s, newMeeting(ws, "C1", base, time.Hour)).ID
			if m != "" && id != m {
				t.Fatalf("setup: want the same meeting id in every workspace, got %q and %q", m, id)
			}
			m = id
		}
		j1, j2, j3 := kindJob(wsB, m, 1, at(1)), kindJob(wsA, m, 2, at(2)), kindJob(wsC, m, 3, at(3))
		j4, j5, late := kindJob(wsA, m, 4, at(4)), kindJob(wsB, m, 5, at(5)), kindJob(wsC, m, 6, at(60))
		planJobs(t, s, wsA, m, j4, j2)
		planJobs(t, s, wsB, m, j5, j1)
		planJobs(t, s, wsC, m, late, j3)

		first := claim(t, s, at(5), 2, "w1", rescue)
		sameJobIDs(t, "limit 2", first, j1, j2)
		for i, want := range []core.DueJob{j1, j2} {
			want.ClaimedBy, want.ClaimedAt = "w1", at(5)
			sameJob(t, first[i], want)
		}
		sameJobIDs(t, "the rest due by now", claim(t, s, at(5), 10, "w1", rescue), j3, j4, j5)
		sameJobIDs(t, "nothing left", claim(t, s, at(5), 10, "w1", rescue))
		sameJobIDs(t, "a nanosecond before the late job", claim(t, s, at(60).Add(-1), 10, "w1", time.Hour))
		sameJobIDs(t, "exactly at the late job", claim(t, s, at(60), 10, "w1", time.Hour), late)
	})

	// Ensure a claim holds until rescue has passed, then another owner takes the job over.
	t.Run("ClaimHeldUntilRescue", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a := kindJob(wsA, m, 1, at(1))
		planJobs(t, s, wsA, m, a)
		sameJobIDs(t, "first claim", claim(t, s, at(1), 10, "w1", rescue), a)
		sameJobIDs(t, "before rescue", claim(t, s, at(1).Add(rescue-time.Nanosecond), 10, "w2", rescue))
		wantNext(t, s, rescue, at(1).Add(rescue))
		rescued := claim(t, s, at(1).Add(rescue), 10, "w2", rescue)
		sameJobIDs(t, "at rescue", rescued, a)
		wantNext(t, s, rescue, at(1).Add(2*rescue))

		// The owner that lost the claim reports late: nothing changes, the
		// job stays the rescuer's, and the rescuer's outcome is recorded.
		if err := s.CompleteJob(t.Context(), a.ID, "w1", at(3), "from-w1"); err != nil {
			t.Fatalf("CompleteJob by the owner that lost the claim: %v", err)
		}
		if got := findJobs(t, s, wsA, m)[0]; got.ClaimedBy != "w2" || !got.DoneAt.IsZero() {
			t.Fatalf("after the stale owner's completion the job is %+v, want still claimed by w2", got)
		}
		if err := s.CompleteJob(t.Context(), a.ID, "w2", at(4), "from-w2"); err != nil {
			t.Fatalf("CompleteJob by the rescuer: %v", err)
		}
		if err := s.CompleteJob(t.Context(), a.ID, "w2", at(6), "again"); err != nil {
			t.Fatalf("second CompleteJob by the rescuer: %v", err)
		}
		if err := s.RetryJob(t.Context(), a.ID, "w2", at(5), "late failure"); err != nil {
			t.Fatalf("RetryJob of a done job: %v", err)
		}
		got := findJobs(t, s, wsA, m)[0]
		if got.PostRef != "from-w2" || !got.DoneAt.Equal(at(4)) || got.Attempts != 0 {
			t.Fatalf("job after a stale completion, two by the owner and a late retry = %+v, want the owner's first completion", got)
		}
		sameJobIDs(t, "a done job is never claimed", claim(t, s, at(1000), 10, "w3", rescue))
		wantNext(t, s, rescue, time.Time{})
	})

	// Ensure a claim can be retaken at the very instant it was made (a new leader retakes every claim with rescue 0, and a clock may not have moved), and then completes for the new owner only.
	t.Run("ClaimRetakenAtTheSameInstant", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a := kindJob(wsA, m, 1, at(1))
		planJobs(t, s, wsA, m, a)
		sameJobIDs(t, "first claim", claim(t, s, at(1), 10, "w1", rescue), a)
		sameJobIDs(t, "retaken at once", claim(t, s, at(1), 10, "w2", 0), a)
		if got := findJobs(t, s, wsA, m)[0]; got.ClaimedBy != "w2" || !got.ClaimedAt.Equal(at(1)) {
			t.Fatalf("after the retake the job is %+v, want claimed by w2 at %v", got, at(1))
		}
		wantNext(t, s, rescue, at(1).Add(rescue))
		if err := s.CompleteJob(t.Context(), a.ID, "w1", at(2), "from-w1"); err != nil {
			t.Fatalf("CompleteJob by the owner that lost the claim: %v", err)
		}
		if err := s.CompleteJob(t.Context(), a.ID, "w2", at(2), "from-w2"); err != nil {
			t.Fatalf("CompleteJob by the new owner: %v", err)
		}
		if got := findJobs(t, s, wsA, m)[0]; got.PostRef != "from-w2" || got.DoneAt.IsZero() {
			t.Fatalf("job = %+v, want done by w2", got)
		}
		sameJobIDs(t, "a done job is never claimed", claim(t, s, at(1000), 10, "w3", 0))
		wantNext(t, s, rescue, time.Time{})
	})

	// Ensure a stale owner's late failure cannot release or give up the claim of the scheduler that rescued the job.
	t.Run("StaleOwnerCannotReleaseRescuedClaim", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a := kindJob(wsA, m, 1, at(1))
		planJobs(t, s, wsA, m, a)
		claim(t, s, at(1), 10, "w1", rescue)
		sameJobIDs(t, "rescued", claim(t, s, at(1).Add(rescue), 10, "w2", rescue), a)
		if err := s.RetryJob(t.Context(), a.ID, "w1", at(2), "w1 timed out"); err != nil {
			t.Fatalf("RetryJob by the stale owner: %v", err)
		}
		if err := s.FailJob(t.Context(), a.ID, "w1", at(2), "w1 gave up"); err != nil {
			t.Fatalf("FailJob by the stale owner: %v", err)
		}
		got := findJobs(t, s, wsA, m)[0]
		if got.ClaimedBy != "w2" || !got.DoneAt.IsZero() || got.Failed || got.Attempts != 0 {
			t.Fatalf("after the stale owner's reports the job is %+v, want it still claimed by w2", got)
		}
		sameJobIDs(t, "nobody else may claim it meanwhile", claim(t, s, at(1).Add(rescue+time.Second), 10, "w3", rescue))
		if err := s.RetryJob(t.Context(), a.ID, "w2", at(50), "w2 failed too"); err != nil {
			t.Fatalf("RetryJob by the owner: %v", err)
		}
		if got := findJobs(t, s, wsA, m)[0]; got.ClaimedBy != "" || got.Attempts != 1 || !got.Due.Equal(at(50)) {
			t.Fatalf("the owner's retry did not release the claim: %+v", got)
		}
	})

	// Ensure rescued claims and newly due jobs come out of one claim together, by Due.
	t.Run("ClaimDueMergesRescuedAndDue", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a, b, c := kindJob(wsA, m, 1, at(1)), kindJob(wsA, m, 2, at(3)), kindJob(wsA, m, 3, at(0))
		planJobs(t, s, wsA, m, a)
		claim(t, s, at(1), 10, "dead", rescue)
		planJobs(t, s, wsA, m, a, b, c)
		sameJobIDs(t, "rescued with due", claim(t, s, at(3), 10, "w1", 2*time.Minute), c, a, b)
	})

	// Ensure CompleteJob records the outcome, and a done job is neither claimable nor due.
	t.Run("CompleteJob", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a := kindJob(wsA, m, 1, at(1))
		planJobs(t, s, wsA, m, a)
		claim(t, s, at(1), 10, "w1", rescue)
		if err := s.CompleteJob(t.Context(), a.ID, "w1", at(2), "msg-123"); err != nil {
			t.Fatalf("CompleteJob: %v", err)
		}
		want := a
		want.ClaimedBy, want.ClaimedAt, want.DoneAt, want.PostRef = "w1", at(1), at(2), "msg-123"
		sameJob(t, findJobs(t, s, wsA, m)[0], want)
		sameJobIDs(t, "after completion", claim(t, s, at(1000), 10, "w2", rescue))
		wantNext(t, s, rescue, time.Time{})
	})

	// Ensure RetryJob releases the claim, counts the attempt and makes the job due again at the given time.
	t.Run("RetryJob", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a := kindJob(wsA, m, 1, at(1))
		planJobs(t, s, wsA, m, a)
		attempts := 0
		for round := 1; round <= 2; round++ {
			now := at(10 * round)
			sameJobIDs(t, "claim", claim(t, s, now, 10, "w1", time.Hour), a)
			if err := s.RetryJob(t.Context(), a.ID, "w1", now.Add(30*time.Second), "chat is down"); err != nil {
				t.Fatalf("RetryJob: %v", err)
			}
			attempts++
			want := a
			want.Due, want.Attempts, want.LastError = now.Add(30*time.Second), attempts, "chat is down"
			sameJob(t, findJobs(t, s, wsA, m)[0], want)
			wantNext(t, s, time.Hour, now.Add(30*time.Second))
			sameJobIDs(t, "before the retry time", claim(t, s, now.Add(29*time.Second), 10, "w1", time.Hour))
			got := claim(t, s, now.Add(30*time.Second), 10, "w1", time.Hour)
			if len(got) != 1 || got[0].Attempts != attempts {
				t.Fatalf("claim at the retry time = %+v, want the job with %d attempts", got, attempts)
			}
			// Fail this claim too, due at the next round.
			if err := s.RetryJob(t.Context(), a.ID, "w1", at(10*(round+1)), "timeout"); err != nil {
				t.Fatalf("RetryJob: %v", err)
			}
			attempts++
		}
	})

	// Ensure FailJob gives the job up for good, with the reason, even across a re-plan.
	t.Run("FailJob", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		a := kindJob(wsA, m, 1, at(1))
		planJobs(t, s, wsA, m, a)
		claim(t, s, at(1), 10, "w1", rescue)
		if err := s.FailJob(t.Context(), a.ID, "w1", at(2), "channel archived"); err != nil {
			t.Fatalf("FailJob: %v", err)
		}
		want := a
		want.ClaimedBy, want.ClaimedAt, want.DoneAt = "w1", at(1), at(2)
		want.Failed, want.LastError, want.Attempts = true, "channel archived", 1
		sameJob(t, findJobs(t, s, wsA, m)[0], want)
		planJobs(t, s, wsA, m, a)
		sameJob(t, findJobs(t, s, wsA, m)[0], want)
		sameJobIDs(t, "after giving up", claim(t, s, at(1000), 10, "w2", rescue))
		if err := s.CompleteJob(t.Context(), a.ID, "w1", at(3), "late"); err != nil {
			t.Fatalf("CompleteJob of a failed job: %v", err)
		}
		sameJob(t, findJobs(t, s, wsA, m)[0], want)
	})

	// Ensure finishing an unknown job is ENOTFOUND.
	t.Run("UnknownJobIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		planJobs(t, s, wsA, m, kindJob(wsA, m, 1, at(1)))
		for _, id := range []string{"nope", kindJob(wsB, m, 1, at(1)).ID, ""} {
			wantCode(t, s.CompleteJob(t.Context(), id, "w1", at(1), ""), core.ENOTFOUND, "CompleteJob("+id+")")
			wantCode(t, s.RetryJob(t.Context(), id, "w1", at(1), "x"), core.ENOTFOUND, "RetryJob("+id+")")
			wantCode(t, s.FailJob(t.Context(), id, "w1", at(1), "x"), core.ENOTFOUND, "FailJob("+id+")")
		}
	})

	// Ensure PruneJobs deletes only done jobs older than the cutoff, and that
	// a pruned id planned again is a new pending job.
	t.Run("PruneJobs", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		o := create(t, s, newMeeting(wsB, "C1", base, time.Hour)).ID
		old, failed, recent := kindJob(wsA, m, 1, at(1)), kindJob(wsA, m, 2, at(2)), kindJob(wsA, m, 3, at(3))
		claimed, pending, foreign := kindJob(wsA, m, 4, at(4)), kindJob(wsA, m, 5, at(500)), kindJob(wsB, o, 1, at(1))
		planJobs(t, s, wsA, m, old, failed, recent, claimed, pending)
		planJobs(t, s, wsB, o, foreign)
		claim(t, s, at(4), 10, "w1", time.Hour)
		for _, f := range []struct {
			j    core.DueJob
			when int
		}{{old, 10}, {recent, 100}, {foreign, 11}} {
			if err := s.CompleteJob(t.Context(), f.j.ID, "w1", at(f.when), ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.FailJob(t.Context(), failed.ID, "w1", at(12), "gone"); err != nil {
			t.Fatal(err)
		}
		n, err := s.PruneJobs(t.Context(), at(50))
		if err != nil || n != 3 {
			t.Fatalf("PruneJobs = %d, %v; want the 3 jobs done before the cutoff", n, err)
		}
		sameJobIDs(t, "kept", findJobs(t, s, wsA, m), recent, claimed, pending)
		sameJobIDs(t, "other workspace", findJobs(t, s, wsB, o))
		if n, err := s.PruneJobs(t.Context(), at(50)); err != nil || n != 0 {
			t.Fatalf("second PruneJobs = %d, %v; want nothing left to prune", n, err)
		}
		planJobs(t, s, wsA, m, old, recent, claimed, pending)
		if got := jobByID(t, findJobs(t, s, wsA, m), old.ID); !got.DoneAt.IsZero() || got.ClaimedBy != "" {
			t.Fatalf("pruned job planned again = %+v, want pending", got)
		}
	})

	// Ensure 8 concurrent claimers never get the same job, and together get every due job once.
	t.Run("ConcurrentClaimDueHandsEachJobOnce", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const perMeeting, claimers = 20, 8
		var all []core.DueJob
		for _, ws := range []core.WorkspaceKey{wsA, wsB, wsC} {
			for range 4 {
				m := create(t, s, newMeeting(ws, "C1", base, time.Hour)).ID
				var jobs []core.DueJob
				for i := range perMeeting {
					jobs = append(jobs, kindJob(ws, m, i, at(i%7)))
				}
				planJobs(t, s, ws, m, jobs...)
				all = append(all, jobs...)
			}
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			byID = map[string]string{}
		)
		for c := range claimers {
			wg.Go(func() {
				owner := ownerName(c)
				for {
					got, err := s.ClaimDue(t.Context(), at(10), 7, owner, time.Hour)
					if err != nil {
						t.Errorf("ClaimDue by %s: %v", owner, err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, j := range got {
						if prev, dup := byID[j.ID]; dup {
							t.Errorf("job %s handed to %s and %s", j.ID, prev, owner)
						}
						byID[j.ID] = owner
					}
					mu.Unlock()
					for _, j := range got {
						if err := s.CompleteJob(t.Context(), j.ID, owner, at(11), owner); err != nil {
							t.Errorf("CompleteJob: %v", err)
						}
					}
				}
			})
		}
		wg.Wait()
		if len(byID) != len(all) {
			t.Fatalf("claimed %d distinct jobs, want %d", len(byID), len(all))
		}
		for _, j := range all {
			got := jobByID(t, findJobs(t, s, j.Workspace, j.Meeting), j.ID)
			if got.DoneAt.IsZero() || got.ClaimedBy != byID[j.ID] || got.PostRef != byID[j.ID] {
				t.Fatalf("job %s = %+v, want done by %s", j.ID, got, byID[j.ID])
			}
		}
		wantNext(t, s, time.Hour, time.Time{})
	})
}
