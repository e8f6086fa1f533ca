package core_test

import (
	"context"
	"crypto/rand"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

// BenchmarkSchedule measures 64 concurrent schedules through core on a
// real bbolt file with fsync on, against raw bbolt Batch puts of a
// meeting-sized value measured in the same run. Compare the two
// sub-benchmarks' ns/op; each reports its p99 latency. A schedule makes
// no upstream call (the room job does, in the background), so "core" is
// one batched commit of the meeting and its jobs plus the command's own
// work; "upstreamOnly" is what the room job then sends per meeting, the
// cost that used to sit inside the command.
func BenchmarkSchedule(b *testing.B) {
	const writers = 64
	b.Run("core", func(b *testing.B) {
		// Logs are discarded, as a production level would drop the debug
		// lines; the test buffer's lock would otherwise be measured too.
		bd := setup(b, setupOpts{Budget: 1 << 30, RealClock: true, CallTimeout: 10 * time.Second, LogSink: io.Discard})
		ctx := context.Background()
		start := time.Now().Add(24 * time.Hour)
		var lat latencies
		b.SetParallelism(parallelismFor(writers))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				t := time.Now()
				if _, err := bd.Service.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: "Bench", Start: start, Duration: 30 * time.Minute}); err != nil {
					b.Error(err)
					return
				}
				lat.add(time.Since(t))
			}
		})
		b.StopTimer()
		lat.report(b)
	})
	// upstreamOnly is the two SDK calls a room job makes (create, then set
	// INACTIVE) with no store at all.
	b.Run("upstreamOnly", func(b *testing.B) {
		bd := setup(b, setupOpts{Budget: 1 << 30, RealClock: true, CallTimeout: 10 * time.Second})
		ctx := context.Background()
		var lat latencies
		b.SetParallelism(parallelismFor(writers))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				t := time.Now()
				if _, err := bd.Conf.CreateRoom(ctx, core.CreateRoomRequest{Title: "Bench", Tag: "mbbench", Status: core.RoomInactive}); err != nil {
					b.Error(err)
					return
				}
				lat.add(time.Since(t))
			}
		})
		b.StopTimer()
		lat.report(b)
	})
	b.Run("rawBatch", func(b *testing.B) {
		db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		db.MaxBatchSize, db.MaxBatchDelay = writers, 2*time.Millisecond
		if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("m")); return err }); err != nil {
			b.Fatal(err)
		}
		val := make([]byte, 450)
		var lat latencies
		b.SetParallelism(parallelismFor(writers))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			key := make([]byte, 16)
			for pb.Next() {
				_, _ = rand.Read(key)
				t := time.Now()
				err := db.Batch(func(tx *bbolt.Tx) error { return tx.Bucket([]byte("m")).Put(key, val) })
				if err != nil {
					b.Error(err)
					return
				}
				lat.add(time.Since(t))
			}
		})
		b.StopTimer()
		lat.report(b)
	})
}

// parallelismFor returns the RunParallel multiplier that yields n goroutines.
func parallelismFor(n int) int {
	p := n / testingProcs()
	if p < 1 {
		p = 1
	}
	return p
}

// testingProcs is GOMAXPROCS: RunParallel starts GOMAXPROCS × parallelism
// goroutines.
func testingProcs() int { return max(1, runtime.GOMAXPROCS(0)) }

type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	p := func(q float64) float64 { return float64(l.d[int(q*float64(len(l.d)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}
