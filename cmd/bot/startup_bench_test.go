package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/bolt"
)

// benchMeetings is how many meetings BenchmarkStartup puts in its file;
// MEETBOT_BENCH_MEETINGS overrides the default of 1,000,000.
func benchMeetings() int {
	if n, err := strconv.Atoi(os.Getenv("MEETBOT_BENCH_MEETINGS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// buildBenchFile fills a bbolt file with n scheduled meetings a month
// ahead (so nothing is due at start), each with its four planned jobs,
// through the store's own API with 64 concurrent writers. The file is kept
// in the temp dir and reused, since filling it takes a minute.
func buildBenchFile(b *testing.B, n int) string {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("meetbot-bench-%d.db", n))
	if _, err := os.Stat(path + ".done"); err == nil {
		return path
	}
	_ = os.Remove(path)
	db, err := bolt.Open(path, bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now().AddDate(0, 1, 0)
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	var wg sync.WaitGroup
	per := n / 64
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			ctx := context.Background()
			for range per {
				at := start.Add(time.Duration(rng.IntN(7*24*60)) * time.Minute)
				m := &core.Meeting{Workspace: ws, Channel: "C" + strconv.Itoa(rng.IntN(500)), Title: "Bench", Organizer: "U1",
					Start: at, TimeZone: "America/New_York", Duration: 30 * time.Minute, State: core.StateScheduled,
					RoomID: "room", RoomStatus: core.RoomInactive, CreatedAt: time.Now()}
				if err := db.CreateMeeting(ctx, m); err != nil {
					b.Error(err)
					return
				}
				job := func(k core.JobKind, due time.Time, lead time.Duration) core.DueJob {
					return core.DueJob{ID: core.JobID(ws, m.ID, at, k, lead), Due: due, Workspace: ws, Meeting: m.ID, Occurrence: at, Kind: k, Lead: lead}
				}
				jobs := []core.DueJob{job(core.JobRemind, at.Add(-10*time.Minute), 10*time.Minute), job(core.JobRemind, at, 0),
					job(core.JobOpen, at.Add(-5*time.Minute), 0), job(core.JobClose, at.Add(35*time.Minute), 0)}
				if err := db.PlanJobs(ctx, ws, m.ID, jobs); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	if b.Failed() {
		b.FailNow()
	}
	_ = os.WriteFile(path+".done", nil, 0o600)
	return path
}

// BenchmarkStartup measures process start to ready on a bbolt file with a
// million meetings (wiring, recovery, the scheduler's first look, until
// /readyz answers 200) and the Go heap in use after start: the scheduler
// must not load all meetings. Run with -benchtime=3x; the first run builds
// the file (excluded from the timing).
func BenchmarkStartup(b *testing.B) {
	n := benchMeetings()
	path := buildBenchFile(b, n)
	cfg := DefaultConfig()
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Storage.Bolt.Path = path
	cfg.Log.Level = "error"
	var heap, sys uint64
	b.ResetTimer()
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		t0 := time.Now()
		a, err := buildApp(ctx, cfg, zerolog.Nop(), func(string) string { return "" })
		if err != nil {
			b.Fatal(err)
		}
		a.start(ctx)
		url := "http://" + a.httpLn.Addr().String() + "/readyz"
		for {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
		}
		b.ReportMetric(float64(time.Since(t0).Milliseconds()), "ms-to-ready")
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		heap, sys = ms.HeapInuse, ms.Sys
		b.StopTimer()
		cancel()
		a.shutdown()
		b.StartTimer()
	}
	b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
	b.ReportMetric(float64(sys)/(1<<20), "sys-MB")
	b.ReportMetric(float64(n), "meetings")
}
