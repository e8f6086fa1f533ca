package metrics_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/metrics"
	"github.com/meetbot/meetbot/core"
)

// served scrapes m's admin handler over real HTTP and parses the text.
func served(t *testing.T, srv *httptest.Server) metrics.Families {
	t.Helper()
	f, err := metrics.Scrape(srv.Client(), srv.URL+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

type series struct {
	name   string
	labels map[string]string
}

// TestEachFamilyMoves: every family meetbot defines goes up by exactly one
// when its event is observed, read back from /metrics with the text
// parser, and the gauges read their sources at scrape time.
func TestEachFamilyMoves(t *testing.T) {
	var leading atomic.Bool
	var left atomic.Int64
	left.Store(900)
	pending := map[core.JobKind]int{core.JobRemind: 3}
	m := metrics.New(metrics.Options{
		Leading:     leading.Load,
		BudgetLeft:  func(p core.Priority) int { return int(left.Load()) / (1 + int(p)) },
		PendingJobs: func() map[core.JobKind]int { return pending },
		Version:     "v-test",
	})
	srv := httptest.NewServer(m.Admin())
	defer srv.Close()

	cases := []struct {
		family string
		event  func()
		moved  []series
	}{
		{"commands", func() { m.CommandDone(core.PlatformSlack, "schedule", "ok", 20*time.Millisecond) }, []series{
			{"meetbot_commands_total", map[string]string{"platform": "slack", "command": "schedule", "outcome": "ok"}},
			{"meetbot_command_duration_seconds", map[string]string{"platform": "slack", "command": "schedule"}},
		}},
		{"joins", func() { m.JoinOpened(core.JoinTooEarly, time.Millisecond) }, []series{
			{"meetbot_join_opens_total", map[string]string{"outcome": "too_early"}},
			{"meetbot_join_open_duration_seconds", map[string]string{"outcome": "too_early"}},
		}},
		{"realtimekit", func() { m.ConferenceCall("add_participant", "201", 30*time.Millisecond) }, []series{
			{"meetbot_realtimekit_calls_total", map[string]string{"op": "add_participant", "status": "201"}},
			{"meetbot_realtimekit_call_duration_seconds", map[string]string{"op": "add_participant"}},
		}},
		{"scheduler", func() { m.JobRun(core.JobRemind, "retried", 2*time.Second) }, []series{
			{"meetbot_scheduler_jobs_total", map[string]string{"kind": "remind", "outcome": "retried"}},
			{"meetbot_scheduler_lag_seconds", map[string]string{"kind": "remind"}},
		}},
		{"notifier", func() { m.NotifierPost(core.PlatformDiscord, "reminder", "unavailable") }, []series{
			{"meetbot_notifier_posts_total", map[string]string{"platform": "discord", "kind": "reminder", "outcome": "unavailable"}},
		}},
		{"webhooks", func() { m.WebhookEvent("meeting.ended", "duplicate") }, []series{
			{"meetbot_webhook_events_total", map[string]string{"event": "meeting.ended", "outcome": "duplicate"}},
		}},
		{"http", func() { m.HTTPRequest("/j/{code}", 200, time.Millisecond) }, []series{
			{"meetbot_http_requests_total", map[string]string{"route": "/j/{code}", "code": "200"}},
			{"meetbot_http_request_duration_seconds", map[string]string{"route": "/j/{code}"}},
		}},
	}
	for _, c := range cases {
		t.Run(c.family, func(t *testing.T) {
			before := served(t, srv)
			c.event()
			after := served(t, srv)
			for _, s := range c.moved {
				b, _ := before.Value(s.name, s.labels)
				a, ok := after.Value(s.name, s.labels)
				if !ok || a-b != 1 {
					t.Errorf("%s%v: %v → %v (found %v), want +1", s.name, s.labels, b, a, ok)
				}
			}
		})
	}

	t.Run("gauges", func(t *testing.T) {
		f := served(t, srv)
		if v, _ := f.Value("meetbot_leader", nil); v != 0 {
			t.Errorf("leader = %v before leading", v)
		}
		if v, _ := f.Value("meetbot_realtimekit_budget_left", map[string]string{"priority": "interactive"}); v != 900 {
			t.Errorf("interactive budget left = %v, want 900", v)
		}
		if v, _ := f.Value("meetbot_scheduler_jobs_pending", map[string]string{"kind": "remind"}); v != 3 {
			t.Errorf("pending remind = %v, want 3", v)
		}
		if v, ok := f.Value("meetbot_scheduler_jobs_pending", map[string]string{"kind": "close"}); !ok || v != 0 {
			t.Errorf("pending close = %v (found %v), want a 0 series", v, ok)
		}
		if _, ok := f.Value("meetbot_build_info", map[string]string{"version": "v-test"}); !ok {
			t.Error("no build_info series with the version")
		}
		leading.Store(true)
		left.Store(12)
		pending = map[core.JobKind]int{core.JobRemind: 2}
		f = served(t, srv)
		if v, _ := f.Value("meetbot_leader", nil); v != 1 {
			t.Errorf("leader = %v while leading", v)
		}
		if v, _ := f.Value("meetbot_realtimekit_budget_left", map[string]string{"priority": "interactive"}); v != 12 {
			t.Errorf("interactive budget left = %v after calls, want 12", v)
		}
		if v, _ := f.Value("meetbot_scheduler_jobs_pending", map[string]string{"kind": "remind"}); v != 2 {
			t.Errorf("pending remind = %v, want 2", v)
		}
	})

	t.Run("standard collectors", func(t *testing.T) {
		f := served(t, srv)
		for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
			if _, ok := f[name]; !ok {
				t.Errorf("no %s: the Go and process collectors are missing", name)
			}
		}
	})
}

// TestLabelsStayBounded: values outside a family's set, and anything that
// looks like text or an id rather than a label, become "other", so a bug
// upstream cannot leak user text into metrics or grow the series count.
func TestLabelsStayBounded(t *testing.T) {
	m := metrics.New(metrics.Options{})
	srv := httptest.NewServer(m.Admin())
	defer srv.Close()
	m.CommandDone("matrix", "schedule", "ok", 0)                           // unknown platform
	m.CommandDone(core.PlatformSlack, "schedule", "<!channel> hi", 0)      // text as an outcome
	m.NotifierPost(core.PlatformSlack, "reminder", "ok")                   // fine
	m.WebhookEvent("Meeting Started By Ana <ana@example.com>", "accepted") // text
	for i := range 100 {
		m.WebhookEvent("event.kind"+strings.Repeat("x", i%60), "accepted") // many distinct values
	}
	f := served(t, srv)
	if v, _ := f.Value("meetbot_commands_total", map[string]string{"platform": "other"}); v != 1 {
		t.Errorf("unknown platform counted under other: %v", v)
	}
	if v, _ := f.Value("meetbot_commands_total", map[string]string{"platform": "slack", "outcome": "other"}); v != 1 {
		t.Errorf("text outcome counted under other: %v", v)
	}
	fam := f["meetbot_webhook_events_total"]
	if n := len(fam.GetMetric()); n > 40 {
		t.Errorf("webhook events have %d series; the guard should cap them", n)
	}
	for _, s := range fam.GetMetric() {
		for _, lp := range s.GetLabel() {
			if strings.ContainsAny(lp.GetValue(), "<@ ") {
				t.Errorf("label %s=%q carries text", lp.GetName(), lp.GetValue())
			}
		}
	}
}

// TestPprofOnAdminOnly: the admin handler serves pprof; it is a handler of
// its own, so nothing reaches it through another listener.
func TestPprofOnAdmin(t *testing.T) {
	m := metrics.New(metrics.Options{})
	srv := httptest.NewServer(m.Admin())
	defer srv.Close()
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
	resp, err := srv.Client().Post(srv.URL+"/metrics", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %d, want 405", resp.StatusCode)
	}
}
