package etcd_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// BenchmarkNextDue measures NextDue with 1k and with 1M meetings stored, one
// pending job each, due at random times over the coming year: the ratio
// shows whether finding the next job grows with what is stored. The 1M case
// seeds three million keys on a server of its own (minutes) and is skipped
// under -short.
//
//	go test -run XXX -bench NextDue -benchtime 400x ./storage/etcd/
func BenchmarkNextDue(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("meetings=%d", n), func(b *testing.B) {
			if n > 10_000 && testing.Short() {
				b.Skip("seeding a million jobs takes minutes; skipped under -short")
			}
			c := etcdtest.StartCluster(b, 1)
			db, err := etcd.Open(b.Context(), etcd.Options{Endpoints: c.Endpoints(), Prefix: "/bench/"})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			start := time.Now()
			seed(b, db, n)
			seeded := time.Since(start)
			// For comparison: the plain "first key of the index" Get, which
			// etcd answers by counting every key of its range.
			const naiveRuns = 20
			start = time.Now()
			for range naiveRuns {
				if _, err := db.Client().Get(b.Context(), db.DueIndex(), clientv3.WithRange(db.DueIndex()+"\xff"), clientv3.WithLimit(1), clientv3.WithKeysOnly()); err != nil {
					b.Fatal(err)
				}
			}
			naive := time.Since(start) / naiveRuns
			b.ResetTimer()
			for b.Loop() {
				if _, ok, err := db.NextDue(b.Context(), 2*time.Minute); err != nil || !ok {
					b.Fatalf("NextDue = %v, %v", ok, err)
				}
			}
			b.ReportMetric(seeded.Seconds(), "seed-s")
			b.ReportMetric(float64(naive.Nanoseconds()), "naive-first-key-ns")
		})
	}
}

// BenchmarkClaimDueBacklog measures a claim of 40 jobs (one Txn) while a
// backlog of overdue jobs waits, as after downtime: 20k and 200k overdue
// jobs, due over the past hour. 400 claims take 16k jobs, so neither
// backlog runs dry. The 200k case is skipped under -short.
//
//	go test -run XXX -bench ClaimDueBacklog -benchtime 400x ./storage/etcd/
func BenchmarkClaimDueBacklog(b *testing.B) {
	for _, n := range []int{20_000, 200_000} {
		b.Run(fmt.Sprintf("overdue=%d", n), func(b *testing.B) {
			if n > 20_000 && testing.Short() {
				b.Skip("seeding takes a while; skipped under -short")
			}
			if b.N > n/40 {
				b.Fatalf("%d claims would drain the backlog of %d", b.N, n)
			}
			c := etcdtest.StartCluster(b, 1)
			db, err := etcd.Open(b.Context(), etcd.Options{Endpoints: c.Endpoints(), Prefix: "/bench/"})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			now := time.Now()
			seedSpread(b, db, n, now.Add(-time.Hour), time.Hour)
			b.ResetTimer()
			for b.Loop() {
				got, err := db.ClaimDue(b.Context(), now, 256, "w1", time.Hour)
				if err != nil || len(got) == 0 {
					b.Fatalf("ClaimDue = %d jobs, %v", len(got), err)
				}
			}
		})
	}
}

// seed stores n meetings' worth of pending jobs due over the coming year.
func seed(b *testing.B, db *etcd.DB, n int) {
	seedSpread(b, db, n, time.Now(), 365*24*time.Hour)
}

// seedSpread stores n meetings' worth of pending jobs, one each, due at
// random times in [from, from+span), four writers at a time.
func seedSpread(b *testing.B, db *etcd.DB, n int, from time.Time, span time.Duration) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	jobs := make([]core.DueJob, n)
	for i := range jobs {
		ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T" + strconv.Itoa(i%500)}
		m := strconv.Itoa(i)
		occ := from.Add(10*time.Minute + time.Duration(rng.Int64N(int64(span))))
		jobs[i] = core.DueJob{
			ID: core.JobID(ws, m, occ, core.JobRemind, 10*time.Minute), Due: occ.Add(-10 * time.Minute),
			Workspace: ws, Meeting: m, Occurrence: occ, Kind: core.JobRemind, Lead: 10 * time.Minute,
		}
	}
	const writers = 4
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	per := (n + writers - 1) / writers
	for w := range writers {
		part := jobs[min(w*per, n):min((w+1)*per, n)]
		wg.Go(func() {
			for len(part) > 0 {
				k := min(len(part), 4200)
				if err := db.SeedJobs(b.Context(), part[:k]); err != nil {
					errs <- err
					return
				}
				part = part[k:]
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatalf("seed: %v", err)
	}
}
