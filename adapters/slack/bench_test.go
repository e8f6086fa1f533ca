package slack_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/internal/testenv"
)

// baselineNs is the baseline's ns/op from the same run, for the ratio.
var baselineNs float64

// BenchmarkSignedList measures a signed "/meet list" over HTTP (signature,
// form parsing, the bbolt read of 5 then 40 stored meetings, mrkdwn
// rendering; list is read-only, so it writes no delivery record)
// against a baseline handler in the same run that only checks the
// signature and answers 200. The list sub-benchmarks report their
// throughput as a fraction of the baseline's (target ≥ 0.5): once against
// the baseline run before them, once with the two alternating.
func BenchmarkSignedList(b *testing.B) {
	env := testenv.New(b, testenv.Options{RealClock: true, NoSync: true})
	stored := 0
	fill := func(n int) {
		for ; stored < n; stored++ {
			env.Schedule(testenv.Actor("U1"), fmt.Sprintf("Meeting %d", stored), time.Now().Add(24*time.Hour+time.Duration(stored)*time.Hour), 30*time.Minute)
		}
	}
	a := slack.New(slack.Options{Service: env.Service, SigningSecret: secret, Logger: zerolog.Nop(), Store: env.Store})
	mux := http.NewServeMux()
	a.Register(mux.Handle)
	list := httptest.NewServer(mux)
	b.Cleanup(list.Close)
	base := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil || slack.Verify(secret, r.Header, body, time.Now()) != nil {
			http.Error(w, "invalid request signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	b.Cleanup(base.Close)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	n := 0
	do := func(b *testing.B, target string) {
		n++
		form := url.Values{
			"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "user_name": {"u1"},
			"command": {"/meet"}, "text": {"list"}, "response_url": {"https://hooks.slack.com/commands/T1/1/x"},
			"trigger_id": {"bench." + strconv.Itoa(n) + "." + strconv.FormatInt(time.Now().UnixNano(), 36)},
		}
		resp, err := client.Do(signed(b, target, form.Encode(), time.Now()))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	run := func(b *testing.B, target string) {
		for b.Loop() {
			do(b, target)
		}
	}
	b.Run("baseline", func(b *testing.B) {
		run(b, base.URL+"/slack/commands")
		baselineNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	for _, n := range []int{5, 40} {
		fill(n)
		// Ensure what is timed is a real list of the n meetings, not a
		// quick refusal.
		resp, err := http.DefaultClient.Do(signed(b, list.URL+"/slack/commands", url.Values{
			"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U1"}, "command": {"/meet"}, "text": {"list"},
			"response_url": {"https://hooks.slack.com/commands/T1/1/x"}, "trigger_id": {"bench.check"},
		}.Encode(), time.Now()))
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// (A long list stops at the reply's length budget with "…and N more".)
		shown := strings.Count(string(body), "*Meeting ")
		if resp.StatusCode != http.StatusOK || shown != n && (shown < 10 || !strings.Contains(string(body), fmt.Sprintf("and %d more", n-shown))) {
			b.Fatalf("list of %d meetings: %d %s", n, resp.StatusCode, body)
		}
		b.Run(fmt.Sprintf("list/meetings=%d", n), func(b *testing.B) {
			run(b, list.URL+"/slack/commands")
			if ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N); ns > 0 && baselineNs > 0 {
				b.ReportMetric(baselineNs/ns, "x-baseline-throughput")
			}
		})
		// The same ratio with the two requests alternating in one loop, so
		// both see the same machine at the same moment: on a noisy host
		// this is the steadier number.
		b.Run(fmt.Sprintf("interleaved/meetings=%d", n), func(b *testing.B) {
			var inBase, inList time.Duration
			for b.Loop() {
				t0 := time.Now()
				do(b, base.URL+"/slack/commands")
				t1 := time.Now()
				do(b, list.URL+"/slack/commands")
				inBase, inList = inBase+t1.Sub(t0), inList+time.Since(t1)
			}
			if inList > 0 {
				b.ReportMetric(float64(inBase)/float64(inList), "x-baseline-throughput")
			}
		})
	}
	a.Wait()
}
