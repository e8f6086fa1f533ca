package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/metrics"
	"github.com/meetbot/meetbot/core"
)

// lockedBuffer is a log sink the app writes to from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveObserved builds the app from cfgPath with a JSON logger into logs,
// calls jobRan after each job run, and starts it.
func serveObserved(t *testing.T, cfgPath string, logs io.Writer, jobRan func(core.DueJob)) *app {
	t.Helper()
	cfg, problems, err := LoadConfig(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v %v", err, problems)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := buildApp(ctx, cfg, zerolog.New(logs).Level(zerolog.InfoLevel), func(string) string { return "" })
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	a.jobRan = jobRan
	a.start(ctx)
	t.Cleanup(func() { a.shutdown(); cancel() })
	return a
}

var joinURLRe = regexp.MustCompile(`http://[^\s<>|"\\]+/j/[A-Za-z0-9_.%-]+`)

// TestAdminMetricsEndToEnd runs the wired bot with an admin listener and
// checks, by scraping /metrics with the Prometheus text parser, that a
// Slack command, a join link opened and refused, the RealtimeKit calls
// behind them, the scheduler's runs, a notifier post and the HTTP requests
// each move their family; that the gauges read leadership and the API
// budget; that metrics and pprof are on the admin listener only; and that
// each request's id is in its X-Request-Id header and in its log line.
func TestAdminMetricsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	cfgPath := writeConfig(t, dir, "slack:\n  signing_secret: "+secret+"\n")
	// writeConfig's http section gets the admin address added.
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	raw = []byte(strings.Replace(string(raw), "  listen: 127.0.0.1:0\n", "  listen: 127.0.0.1:0\n  admin_listen: 127.0.0.1:0\n", 1))
	if err := os.WriteFile(cfgPath, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	var logs lockedBuffer
	ran := make(chan core.DueJob, 64)
	a := serveObserved(t, cfgPath, &logs, func(j core.DueJob) {
		select {
		case ran <- j:
		default: // nobody waits any more; never hold the scheduler up
		}
	})
	base := "http://" + a.httpLn.Addr().String()
	admin := "http://" + a.adminLn.Addr().String()
	scrape := func() metrics.Families {
		t.Helper()
		f, err := metrics.Scrape(http.DefaultClient, admin+"/metrics")
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	val := func(f metrics.Families, name string, labels map[string]string) float64 {
		v, _ := f.Value(name, labels)
		return v
	}

	// Metrics and pprof are on the admin listener, and only there.
	for _, p := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("public GET %s: %d, want 404", p, resp.StatusCode)
		}
		resp, err = http.Get(admin + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("admin GET %s: %d, want 200", p, resp.StatusCode)
		}
	}

	before := scrape()
	if v := val(before, "meetbot_leader", nil); v != 1 {
		t.Errorf("leader = %v on bbolt, want 1", v)
	}

	// A command: "/meet now" schedules and opens a room at once.
	resp := postSlackCommand(t, base, secret, "now standup")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/meet now: %d %s", resp.StatusCode, body)
	}
	reqID := resp.Header.Get("X-Request-Id")
	if reqID == "" {
		t.Fatal("no X-Request-Id on the Slack command's answer")
	}
	// Its open job (due now) runs; wait for it.
	for j := range ran {
		if j.Kind == core.JobOpen {
			break
		}
	}

	// A join link: issued, then a tampered one refused.
	resp = postSlackCommand(t, base, secret, "join")
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	link := joinURLRe.FindString(string(body))
	if link == "" {
		t.Fatalf("no join link in %s", body)
	}
	for _, u := range []string{link, link[:len(link)-4] + "AAAA"} {
		r, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	// An announcement: cancelling tells the channel.
	id := regexp.MustCompile(`\(meeting ([a-z0-9-]+),`).FindStringSubmatch(string(body))
	cancelText := "cancel"
	if id != nil {
		cancelText += " " + id[1]
	}
	resp = postSlackCommand(t, base, secret, cancelText)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(strings.ToLower(string(body)), "cancel") {
		t.Fatalf("/meet %s: %d %s", cancelText, resp.StatusCode, body)
	}

	after := scrape()
	moved := []struct {
		name    string
		labels  map[string]string
		atLeast float64
	}{
		{"meetbot_commands_total", map[string]string{"platform": "slack", "command": "now", "outcome": "ok"}, 1},
		{"meetbot_commands_total", map[string]string{"platform": "slack", "command": "join", "outcome": "ok"}, 1},
		{"meetbot_command_duration_seconds", map[string]string{"platform": "slack", "command": "now"}, 1},
		{"meetbot_join_opens_total", map[string]string{"outcome": "issued"}, 1},
		{"meetbot_join_opens_total", map[string]string{"outcome": "refused"}, 1},
		{"meetbot_join_open_duration_seconds", map[string]string{"outcome": "issued"}, 1},
		{"meetbot_realtimekit_calls_total", map[string]string{"op": "create_meeting"}, 1},
		{"meetbot_realtimekit_calls_total", map[string]string{"op": "add_participant"}, 1},
		{"meetbot_realtimekit_call_duration_seconds", map[string]string{"op": "add_participant"}, 1},
		{"meetbot_scheduler_jobs_total", map[string]string{"kind": "open", "outcome": "done"}, 1},
		{"meetbot_scheduler_lag_seconds", map[string]string{"kind": "open"}, 1},
		{"meetbot_notifier_posts_total", map[string]string{"platform": "slack", "kind": "announcement"}, 1},
		{"meetbot_http_requests_total", map[string]string{"route": "POST /slack/commands", "code": "200"}, 3},
		{"meetbot_http_requests_total", map[string]string{"route": "/j/{code}", "code": "200"}, 1},
		{"meetbot_http_request_duration_seconds", map[string]string{"route": "/j/{code}"}, 2},
	}
	for _, m := range moved {
		if d := val(after, m.name, m.labels) - val(before, m.name, m.labels); d < m.atLeast {
			t.Errorf("%s%v moved by %v, want at least %v", m.name, m.labels, d, m.atLeast)
		}
	}
	if _, ok := after.Value("meetbot_scheduler_jobs_pending", map[string]string{"kind": "close"}); !ok {
		t.Error("no meetbot_scheduler_jobs_pending on bbolt")
	}
	if v := val(after, "meetbot_realtimekit_budget_left", map[string]string{"priority": "interactive"}); v <= 0 || v >= 1200 {
		t.Errorf("interactive budget left = %v after calls, want below the 1200 limit", v)
	}

	// No label carries an id or the title.
	for name, fam := range after {
		for _, m := range fam.GetMetric() {
			for _, lp := range m.GetLabel() {
				if strings.Contains(lp.GetValue(), "standup") || strings.Contains(lp.GetValue(), "T1") || strings.Contains(lp.GetValue(), "U1") {
					t.Errorf("%s has label %s=%q", name, lp.GetName(), lp.GetValue())
				}
			}
		}
	}

	// The command's request id is in its access line.
	found := false
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["message"] == "http request" && line["request_id"] == reqID {
			found = true
		}
	}
	if !found {
		t.Errorf("no access line with request_id %s", reqID)
	}
}

// TestAdminListenOffByDefault: without http.admin_listen nothing serves
// metrics or pprof, and check-config refuses an admin address that is
// the public one.
func TestAdminListenOffByDefault(t *testing.T) {
	a, base := serveFrom(t, writeConfig(t, t.TempDir(), ""))
	if a.adminSrv != nil || a.adminLn != nil {
		t.Fatal("an admin listener is open without http.admin_listen")
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("public /metrics: %d", resp.StatusCode)
	}
	cfg := DefaultConfig()
	cfg.HTTP.Listen, cfg.HTTP.AdminListen = "127.0.0.1:8080", "127.0.0.1:8080"
	if !containsProblem(cfg.Validate(), "http.admin_listen") {
		t.Errorf("admin_listen equal to listen accepted: %v", cfg.Validate())
	}
	cfg.HTTP.AdminListen = "nonsense"
	if !containsProblem(cfg.Validate(), "http.admin_listen") {
		t.Errorf("admin_listen %q accepted", cfg.HTTP.AdminListen)
	}
}

func containsProblem(problems []string, s string) bool {
	for _, p := range problems {
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}
