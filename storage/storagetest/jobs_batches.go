package storagetest

import (
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// runJobBatchTests covers job counts beyond what one backend transaction
// may hold (etcd's Txn takes 128 operations): a backend may claim fewer
// than asked and prune in chunks, but must hand out and prune everything.
func runJobBatchTests(t *testing.T, open func(*testing.T) core.Store) {
	// Ensure claims asked for more than a transaction holds return at most limit each, in due order, and every job once.
	t.Run("LargeClaimsInDueOrder", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		var want []core.DueJob
		for range 3 {
			m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
			var jobs []core.DueJob
			for i := range 50 {
				jobs = append(jobs, kindJob(wsA, m, i, base.Add(time.Duration(i)*time.Second)))
			}
			planJobs(t, s, wsA, m, jobs...)
			want = append(want, jobs...)
		}
		var got []core.DueJob
		for {
			c := claim(t, s, at(10), 256, "w1", time.Hour)
			if len(c) == 0 {
				break
			}
			if len(c) > 256 {
				t.Fatalf("one claim returned %d jobs, over its limit", len(c))
			}
			got = append(got, c...)
		}
		if len(got) != len(want) {
			t.Fatalf("claimed %d jobs, want %d", len(got), len(want))
		}
		seen := map[string]bool{}
		for i, j := range got {
			if seen[j.ID] {
				t.Fatalf("job %s claimed twice", j.ID)
			}
			seen[j.ID] = true
			if i > 0 && j.Due.Before(got[i-1].Due) {
				t.Fatalf("claims out of due order at %d: %v after %v", i, j.Due, got[i-1].Due)
			}
		}
	})

	// Ensure PruneJobs deletes a backlog larger than one transaction, and keeps what is not due for pruning.
	t.Run("PruneJobsLargeBacklog", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		var jobs []core.DueJob
		for i := range 150 {
			jobs = append(jobs, kindJob(wsA, m, i, at(1)))
		}
		keep := kindJob(wsA, m, 999, at(500))
		planJobs(t, s, wsA, m, append(jobs, keep)...)
		for {
			c := claim(t, s, at(1), 256, "w1", time.Hour)
			if len(c) == 0 {
				break
			}
			for _, j := range c {
				if err := s.CompleteJob(t.Context(), j.ID, "w1", at(2), ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		n, err := s.PruneJobs(t.Context(), at(3))
		if err != nil || n != len(jobs) {
			t.Fatalf("PruneJobs = %d, %v; want %d", n, err, len(jobs))
		}
		sameJobIDs(t, "left after pruning", findJobs(t, s, wsA, m), keep)
	})

	// Ensure DeleteMeeting removes a meeting with more jobs than one transaction holds, in every state, and nothing else.
	t.Run("DeleteMeetingManyJobs", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		keep := create(t, s, newMeeting(wsA, "C1", base, time.Hour)).ID
		var jobs []core.DueJob
		for i := range 300 {
			jobs = append(jobs, kindJob(wsA, m, i, base.Add(time.Duration(i)*time.Second)))
		}
		kept := kindJob(wsA, keep, 1, at(4))
		planJobs(t, s, wsA, m, jobs...)
		planJobs(t, s, wsA, keep, kept)
		// 20 done and 20 claimed; the other 260 pending.
		for _, j := range claim(t, s, base.Add(39*time.Second), 40, "w1", time.Hour)[:20] {
			if err := s.CompleteJob(t.Context(), j.ID, "w1", at(2), ""); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteMeeting(t.Context(), wsA, m); err != nil {
			t.Fatalf("DeleteMeeting of a meeting with %d jobs: %v", len(jobs), err)
		}
		if got := findJobs(t, s, wsA, m); len(got) != 0 {
			t.Fatalf("deleted meeting still has %d jobs", len(got))
		}
		sameJobIDs(t, "claim after delete", claim(t, s, at(10000), 256, "w2", rescue), kept)
		for _, j := range jobs[:40] {
			err := s.CompleteJob(t.Context(), j.ID, "w1", at(101), "")
			wantCode(t, err, core.ENOTFOUND, "completing job "+j.ID+" of a deleted meeting")
		}
		sameJobIDs(t, "other meeting", findJobs(t, s, wsA, keep), kept)
	})
}
