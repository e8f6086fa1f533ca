package bolt

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

var (
	jobWS = core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	jobT0 = time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC)
)

func minute(m int) time.Time { return jobT0.Add(time.Duration(m) * time.Minute) }

func testJob(ws core.WorkspaceKey, meeting string, n int, due time.Time) core.DueJob {
	return core.DueJob{
		ID: core.JobID(ws, meeting, jobT0, core.JobRemind, time.Duration(n)*time.Minute), Due: due,
		Workspace: ws, Meeting: meeting, Occurrence: jobT0, Kind: core.JobRemind, Lead: time.Duration(n) * time.Minute,
	}
}

// checkJobIndexes fails unless the job buckets agree: every record has
// exactly its state's index entry and its meeting entry, and no index entry
// lacks a record. It is the invariant every job method must keep.
func checkJobIndexes(t *testing.T, db *DB) {
	t.Helper()
	err := db.db.View(func(tx *bolt.Tx) error {
		want := map[string]map[string]bool{}
		for _, name := range [][]byte{bucketJobsDue, bucketJobsClaimed, bucketJobsDone, bucketJobsByMeeting} {
			want[string(name)] = map[string]bool{}
		}
		err := tx.Bucket(bucketJobs).ForEach(func(k, v []byte) error {
			j, err := decodeJob(string(k), v)
			if err != nil {
				return err
			}
			b, ik := stateIndex(j)
			want[string(b)][string(ik)] = true
			mk, err := jobMeetingKey(j)
			if err != nil {
				return err
			}
			want[string(bucketJobsByMeeting)][string(mk)] = true
			return nil
		})
		if err != nil {
			return err
		}
		for name, keys := range want {
			got := map[string]bool{}
			_ = tx.Bucket([]byte(name)).ForEach(func(k, _ []byte) error {
				got[string(k)] = true
				return nil
			})
			for k := range keys {
				if !got[k] {
					return fmt.Errorf("%s lacks %q", name, k)
				}
			}
			for k := range got {
				if !keys[k] {
					return fmt.Errorf("%s has stray entry %q", name, k)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("job indexes inconsistent: %v", err)
	}
}

// Ensure random sequences of every job operation keep records and indexes in step.
func TestJobIndexesStayConsistent(t *testing.T) {
	ctx := t.Context()
	db, err := Open(filepath.Join(t.TempDir(), "jobs.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	meetings := []string{"1", "2", "3"}
	now := minute(0)
	for step := range 3000 {
		m := meetings[rng.IntN(len(meetings))]
		var claimed []core.DueJob
		switch op := rng.IntN(10); {
		case op < 3:
			var jobs []core.DueJob
			for n := range 6 {
				if rng.IntN(2) == 0 {
					jobs = append(jobs, testJob(jobWS, m, n, now.Add(time.Duration(rng.IntN(20))*time.Minute)))
				}
			}
			err = db.PlanJobs(ctx, jobWS, m, jobs)
		case op < 6:
			claimed, err = db.ClaimDue(ctx, now, 1+rng.IntN(4), fmt.Sprint("w", rng.IntN(3)), 5*time.Minute)
		case op < 9:
			id := testJob(jobWS, m, rng.IntN(6), now).ID
			switch rng.IntN(3) {
			case 0:
				err = db.CompleteJob(ctx, id, fmt.Sprint("w", rng.IntN(3)), now, "ref")
			case 1:
				err = db.RetryJob(ctx, id, fmt.Sprint("w", rng.IntN(3)), now.Add(time.Duration(rng.IntN(5))*time.Minute), "x")
			default:
				err = db.FailJob(ctx, id, fmt.Sprint("w", rng.IntN(3)), now, "x")
			}
			if core.ErrorCode(err) == core.ENOTFOUND {
				err = nil
			}
		default:
			if rng.IntN(4) == 0 {
				err = db.DeleteMeeting(ctx, jobWS, m)
			} else {
				_, err = db.PruneJobs(ctx, now.Add(-10*time.Minute))
			}
		}
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		for _, j := range claimed {
			if j.Due.After(now) {
				t.Fatalf("step %d: claimed %s due %v at %v", step, j.ID, j.Due, now)
			}
		}
		now = now.Add(time.Duration(rng.IntN(90)) * time.Second)
		if step%50 == 0 {
			checkJobIndexes(t, db)
		}
	}
	checkJobIndexes(t, db)
}

// Ensure PruneJobs deletes only done jobs older than the cutoff, with their index entries, across chunks.
func TestPruneJobs(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t, t.TempDir())
	defer db.Close()
	defer func(n int) { pruneChunk = n }(pruneChunk)
	pruneChunk = 3

	var jobs []core.DueJob
	for n := range 10 {
		jobs = append(jobs, testJob(jobWS, "1", n, minute(n)))
	}
	if err := db.PlanJobs(ctx, jobWS, "1", jobs); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimDue(ctx, minute(100), 100, "w", time.Hour); err != nil {
		t.Fatal(err)
	}
	// Jobs 0..7 finish at minute 100+n (6 and 7 given up); 8 stays claimed, 9 is retried.
	for n := range 8 {
		finish := func(ctx context.Context, id string, at time.Time, why string) error {
			if n >= 6 {
				return db.FailJob(ctx, id, "w", at, why)
			}
			return db.CompleteJob(ctx, id, "w", at, why)
		}
		if err := finish(ctx, jobs[n].ID, minute(100+n), ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RetryJob(ctx, jobs[9].ID, "w", minute(0), "x"); err != nil {
		t.Fatal(err)
	}
	n, err := db.PruneJobs(ctx, minute(107))
	if err != nil || n != 7 {
		t.Fatalf("PruneJobs = %d, %v; want 7", n, err)
	}
	got, err := db.FindJobs(ctx, jobWS, "1")
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, j := range got {
		left = append(left, j.ID)
	}
	if want := []string{jobs[9].ID, jobs[7].ID, jobs[8].ID}; fmt.Sprint(left) != fmt.Sprint(want) {
		t.Fatalf("after prune %q, want %q", left, want)
	}
	checkJobIndexes(t, db)
	if n, err := db.PruneJobs(ctx, minute(107)); err != nil || n != 0 {
		t.Fatalf("second PruneJobs = %d, %v; want 0", n, err)
	}
}

// Ensure an index entry without a record is removed by the first ClaimDue
// that meets it, so NextDue cannot keep reporting work that is not there
// (which would spin the scheduler).
func TestStrayDueEntriesAreRemoved(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t, t.TempDir())
	defer db.Close()
	real := testJob(jobWS, "1", 1, minute(5))
	if err := db.PlanJobs(ctx, jobWS, "1", []core.DueJob{real}); err != nil {
		t.Fatal(err)
	}
	poke(t, db, bucketJobsDue, jobTimeKey(minute(1), "ghost"), nil)
	poke(t, db, bucketJobsClaimed, jobTimeKey(minute(2), real.ID), nil) // wrong state for the record
	if next, ok, _ := db.NextDue(ctx, 0); !ok || !next.Equal(minute(1)) {
		t.Fatalf("NextDue with a stray entry = %v, %v", next, ok)
	}
	got, err := db.ClaimDue(ctx, minute(3), 10, "w", 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("ClaimDue = %+v, %v; want nothing and no error", got, err)
	}
	if next, ok, _ := db.NextDue(ctx, 0); !ok || !next.Equal(minute(5)) {
		t.Fatalf("NextDue after cleanup = %v, %v; want %v", next, ok, minute(5))
	}
	checkJobIndexes(t, db)
}

// Ensure a corrupt job record is an internal error to readers, is skipped
// (and unindexed) by ClaimDue, and is still removed by DeleteMeeting.
func TestCorruptJobRecord(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t, t.TempDir())
	defer db.Close()
	bad, good := testJob(jobWS, "1", 1, minute(1)), testJob(jobWS, "1", 2, minute(2))
	if err := db.PlanJobs(ctx, jobWS, "1", []core.DueJob{bad, good}); err != nil {
		t.Fatal(err)
	}
	poke(t, db, bucketJobs, []byte(bad.ID), []byte("{not json"))
	if _, err := db.FindJobs(ctx, jobWS, "1"); core.ErrorCode(err) != core.EINTERNAL {
		t.Fatalf("FindJobs over a corrupt record: %v, want an internal error", err)
	}
	if err := db.CompleteJob(ctx, bad.ID, "w", minute(3), ""); core.ErrorCode(err) != core.EINTERNAL {
		t.Fatalf("CompleteJob of a corrupt record: %v, want an internal error", err)
	}
	got, err := db.ClaimDue(ctx, minute(3), 10, "w", time.Hour)
	if err != nil || len(got) != 1 || got[0].ID != good.ID {
		t.Fatalf("ClaimDue past a corrupt record = %+v, %v", got, err)
	}
	if err := db.DeleteMeeting(ctx, jobWS, "1"); err != nil {
		t.Fatalf("DeleteMeeting with a corrupt job: %v", err)
	}
	checkJobIndexes(t, db)
	if err := db.db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketJobs).Cursor().First(); k != nil {
			return fmt.Errorf("job %q left behind", k)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// txID returns the id of the last committed write transaction.
func txID(t *testing.T, db *DB) int {
	t.Helper()
	var id int
	if err := db.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

// Ensure ClaimDue with nothing claimable commits no write transaction (no fsync per idle wake-up).
func TestIdleClaimDueDoesNotWrite(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t, t.TempDir())
	defer db.Close()
	if err := db.PlanJobs(ctx, jobWS, "1", []core.DueJob{testJob(jobWS, "1", 1, minute(10))}); err != nil {
		t.Fatal(err)
	}
	before := txID(t, db)
	for range 3 {
		if got, err := db.ClaimDue(ctx, minute(9), 100, "w", time.Minute); err != nil || len(got) != 0 {
			t.Fatalf("ClaimDue = %+v, %v", got, err)
		}
	}
	if after := txID(t, db); after != before {
		t.Fatalf("idle ClaimDue committed %d transactions", after-before)
	}
}

// Ensure PlanJobs refuses jobs of another meeting or with unusable ids, and
// ignores the claim and outcome fields of what it is given.
func TestPlanJobsInput(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t, t.TempDir())
	defer db.Close()
	other := core.WorkspaceKey{Platform: core.PlatformDiscord, ID: "T1"}
	nul := testJob(jobWS, "1", 1, minute(1))
	nul.ID = "a\x00b"
	for name, j := range map[string]core.DueJob{
		"other workspace": testJob(other, "1", 1, minute(1)),
		"other meeting":   testJob(jobWS, "2", 1, minute(1)),
		"NUL in id":       nul,
		"empty id":        {Workspace: jobWS, Meeting: "1"},
	} {
		if err := db.PlanJobs(ctx, jobWS, "1", []core.DueJob{j}); err == nil {
			t.Errorf("PlanJobs of a job with %s succeeded", name)
		}
	}
	j := testJob(jobWS, "1", 1, minute(1))
	j.Attempts, j.ClaimedBy, j.ClaimedAt, j.DoneAt, j.Failed, j.PostRef, j.LastError = 3, "x", minute(0), minute(0), true, "p", "e"
	if err := db.PlanJobs(ctx, jobWS, "1", []core.DueJob{j}); err != nil {
		t.Fatal(err)
	}
	got, err := db.ClaimDue(ctx, minute(1), 1, "w", time.Hour)
	if err != nil || len(got) != 1 || got[0].Attempts != 0 || got[0].PostRef != "" || got[0].Failed {
		t.Fatalf("claim of a job planned with state fields = %+v, %v; want a fresh job", got, err)
	}
	if got, err := db.ClaimDue(ctx, minute(1), 0, "w", time.Hour); err != nil || got != nil {
		t.Fatalf("ClaimDue with limit 0 = %+v, %v; want nothing", got, err)
	}
	if _, err := db.ClaimDue(ctx, time.Time{}, 1, "w", time.Hour); err == nil {
		t.Fatal("ClaimDue at the zero time succeeded")
	}
	if _, err := db.ClaimDue(ctx, minute(1), 1, "", time.Hour); err == nil {
		t.Fatal("ClaimDue without an owner succeeded")
	}
}

// Ensure an old file is upgraded to the current schema on open.
func TestOpenUpgradesSchema(t *testing.T) {
	dir := t.TempDir()
	db := openTemp(t, dir)
	poke(t, db, bucketMeta, keySchema, []byte("1"))
	if err := db.db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bucketJobsDue) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openTemp(t, dir)
	defer db.Close()
	if err := db.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keySchema); !bytes.Equal(v, []byte(fmt.Sprint(schemaVersion))) {
			return fmt.Errorf("schema after open = %q", v)
		}
		if tx.Bucket(bucketJobsDue) == nil {
			return fmt.Errorf("no %s bucket after upgrade", bucketJobsDue)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// Ensure Lead grants leadership at once for the caller's context, and
// refuses once the context ended or the store (and its file lock) is gone.
func TestLeader(t *testing.T) {
	db := openTemp(t, t.TempDir())
	var l core.Leader = NewLeader(db)
	ctx, cancel := context.WithCancel(t.Context())
	lctx, err := l.Lead(ctx)
	if err != nil || lctx != ctx {
		t.Fatalf("Lead = %v, %v; want the caller's context", lctx, err)
	}
	cancel()
	if _, err := l.Lead(ctx); err == nil {
		t.Fatal("Lead with an ended context succeeded")
	}
	db.Close()
	if _, err := l.Lead(t.Context()); err == nil {
		t.Fatal("Lead on a closed store succeeded")
	}
}
