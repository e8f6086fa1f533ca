package bolt

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkNextDue measures what the scheduler pays on every wake-up, on a
// store with 1,000 and with 1,000,000 meetings of four planned jobs each
// (reminders 10m and 0m before, open, close; occurrences at random times
// over a week): NextDue, and a ClaimDue of up to 100 jobs when nothing is
// claimable. Both must cost a seek, not a scan, so the large store should
// be at most a small constant factor slower than the small one.
//
// The store is bulk-loaded (see bulkLoad; not timed), then reopened with
// the production options (fsync on). Before timing, the 100 earliest jobs
// are claimed, so the claimed index is not empty and the timed ClaimDue
// finds nothing due and no claim old enough to rescue.
//
// Run it with:
//
//	go test -run '^$' -bench BenchmarkNextDue -benchtime 2s ./storage/bolt
//
// The 1,000,000-meeting case is skipped with -short.
func BenchmarkNextDue(b *testing.B) {
	for _, c := range []struct {
		name string
		set  loadSet
	}{
		{"meetings=1k", loadSet{workspaces: 10, perWS: 100, seed: 1}},
		{"meetings=1M", loadSet{workspaces: 100, perWS: 10_000, seed: 1}},
	} {
		b.Run(c.name, func(b *testing.B) {
			if testing.Short() && c.set.workspaces*c.set.perWS > 100_000 {
				b.Skip("large store skipped in -short mode")
			}
			benchNextDue(b, c.set)
		})
	}
}

func benchNextDue(b *testing.B, set loadSet) {
	path := filepath.Join(b.TempDir(), "jobs.db")
	began := time.Now()
	due := bulkLoad(b, path, set)
	load := time.Since(began)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d meetings, %d jobs: loaded in %v, file %.1f MB",
		set.workspaces*set.perWS, len(due), load.Round(time.Millisecond), float64(fi.Size())/(1<<20))

	db, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	ctx := b.Context()
	const rescue = time.Hour
	now, ok := timeFromKey(due[99])
	if !ok {
		b.Fatal("bad due key")
	}
	claimed, err := db.ClaimDue(ctx, now, 100, "warmup", rescue)
	if err != nil || len(claimed) != 100 {
		b.Fatalf("claiming the 100 earliest jobs: %d, %v", len(claimed), err)
	}
	next, _ := timeFromKey(due[100])
	if got, ok, err := db.NextDue(ctx, rescue); err != nil || !ok || !got.Equal(next) {
		b.Fatalf("NextDue = %v, %v, %v; want %v", got, ok, err, next)
	}
	metrics := func(b *testing.B) {
		b.ReportMetric(load.Seconds(), "load-s")
		b.ReportMetric(float64(fi.Size())/(1<<20), "file-MB")
	}

	b.Run("NextDue", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := db.NextDue(ctx, rescue); err != nil {
				b.Fatal(err)
			}
		}
		metrics(b)
	})
	b.Run("ClaimDueIdle", func(b *testing.B) {
		for b.Loop() {
			got, err := db.ClaimDue(ctx, now, 100, "bench", rescue)
			if err != nil || len(got) != 0 {
				b.Fatalf("ClaimDue = %d jobs, %v; want none", len(got), err)
			}
		}
		metrics(b)
	})
}
