package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// BenchmarkMetricsScrape measures GET /metrics on the admin listener of a
// bot serving a bbolt file with 1,000 meetings, then one with
// benchMeetings() (1,000,000 unless MEETBOT_BENCH_MEETINGS says
// otherwise), each meeting with its four planned jobs: a scrape must cost
// the same whatever is stored (target: under 5 ms, and the large file's
// ns/op at most 1.5× the small one's, reported as x-small). Run with
// -benchtime=200x; building the large file takes a minute or two the first
// time and is reused after (buildBenchFile).
func BenchmarkMetricsScrape(b *testing.B) {
	var smallNs float64
	for _, n := range []int{1000, benchMeetings()} {
		path := buildBenchFile(b, n)
		b.Run(fmt.Sprintf("meetings=%d", n), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.HTTP.Listen = "127.0.0.1:0"
			cfg.HTTP.AdminListen = "127.0.0.1:0"
			cfg.Storage.Bolt.Path = path
			cfg.Log.Level = "error"
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, err := buildApp(ctx, cfg, zerolog.Nop(), func(string) string { return "" })
			if err != nil {
				b.Fatal(err)
			}
			a.start(ctx)
			defer a.shutdown()
			url := "http://" + a.adminLn.Addr().String() + "/metrics"
			client := &http.Client{Timeout: 10 * time.Second}
			get := func() int64 {
				resp, err := client.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
				return n
			}
			size := get() // warm: the first scrape builds the Go collector's descriptions
			b.ResetTimer()
			for b.Loop() {
				get()
			}
			ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(ns/1e6, "ms/scrape")
			b.ReportMetric(float64(size), "bytes")
			if n == 1000 {
				smallNs = ns
			} else if smallNs > 0 {
				b.ReportMetric(ns/smallNs, "x-small")
			}
		})
	}
}
