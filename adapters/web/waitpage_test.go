package web_test

import (
	"encoding/json"
	"math"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
)

// TestWaitCountdownText: above a minute the countdown gives minutes and
// seconds, so 110 s is never "2 min"; from an hour on, hours and minutes
// rounded up; from a day on, days and hours.
func TestWaitCountdownText(t *testing.T) {
	for secs, want := range map[int]string{
		1: "1 s", 59: "59 s", 60: "1 min", 61: "1 min 1 s", 110: "1 min 50 s", 119: "1 min 59 s",
		120: "2 min", 3599: "59 min 59 s", 3600: "1 h", 3601: "1 h 1 min", 5400: "1 h 30 min",
		86399: "1 day", 86400: "1 day", 90000: "1 day 1 h", 2*86400 + 3600: "2 days 1 h",
	} {
		if got := web.Countdown(secs); got != want {
			t.Errorf("Countdown(%d) = %q, want %q", secs, got, want)
		}
	}
}

// waitPage schedules a meeting whose window opens in left and returns the
// wait page its organizer's link shows now. Links are issued only inside
// the window, so the clock goes there for the join and then back.
func waitPage(t *testing.T, e *env, left time.Duration) response {
	t.Helper()
	now := e.clock.Now()
	m := e.schedule(ana, "Design review", now.Add(left+5*time.Minute), 30*time.Minute)
	e.clock.Advance(left)
	path := e.join(ana, m.ID)
	e.clock.Advance(-left)
	r := e.get(path)
	wantStatus(t, r, http.StatusOK)
	return r
}

// TestWaitPageRefreshOnlyWithoutScript: the page's script reloads it when
// the window opens; the meta refresh is the fallback for browsers without
// JavaScript, so it sits inside <noscript> and nowhere else.
func TestWaitPageRefreshOnlyWithoutScript(t *testing.T) {
	e := newEnv(t, envOpts{cfg: core.Config{LinkTTL: time.Hour}})
	r := waitPage(t, e, 110*time.Second)
	wantBody(t, r, `(in <span id="left">1 min 50 s</span>)`,
		`<noscript><meta http-equiv="refresh" content="60"></noscript>`, "location.reload()")
	if n := strings.Count(r.body, "http-equiv"); n != 1 {
		t.Errorf("%d meta refreshes, want the one inside <noscript>:\n%s", n, r.body)
	}
	head, _, _ := strings.Cut(r.body, "</head>")
	outside := head
	for {
		before, rest, ok := strings.Cut(outside, "<noscript>")
		if !ok {
			break
		}
		_, after, _ := strings.Cut(rest, "</noscript>")
		outside = before + after
	}
	if strings.Contains(outside, "refresh") {
		t.Errorf("a refresh outside <noscript>:\n%s", head)
	}
}

// waitRun is what testdata/pagejs/wait.mjs reports.
type waitRun struct {
	Scripts int `json:"scripts"`
	Steps   []struct {
		MS   int64  `json:"ms"`
		Text string `json:"text"`
	} `json:"steps"`
	ReloadMS      int64 `json:"reloadMs"`
	PendingTimers int   `json:"pendingTimers"`
}

// TestWaitPageScriptCountsDown runs the wait page's own script under node
// in a fake browser whose timers fire late: every second it must show the
// same text as the server's Countdown for the time really left (minutes
// and seconds, hours and minutes), and it must reload the page only once
// the window has opened, within three seconds.
func TestWaitPageScriptCountsDown(t *testing.T) {
	node := needNode(t, "; the wait page's script cannot be run")
	e := newEnv(t, envOpts{cfg: core.Config{LinkTTL: 3 * time.Hour}})
	for _, left := range []time.Duration{110 * time.Second, 2*time.Hour + 30*time.Second} {
		t.Run(left.String(), func(t *testing.T) {
			r := waitPage(t, e, left)
			secs := int64(left / time.Second)
			cmd := exec.Command(node, "wait.mjs", "13", "20000")
			cmd.Dir = "testdata/pagejs"
			cmd.Stdin = strings.NewReader(r.body)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("wait.mjs: %v", err)
			}
			var run waitRun
			if err := json.Unmarshal(out, &run); err != nil {
				t.Fatalf("wait.mjs printed %.300q…: %v", out, err)
			}
			// Late timers skip a second now and then, never many.
			if run.Scripts != 1 || len(run.Steps) < int(secs)*9/10 {
				t.Fatalf("%d scripts ran, %d steps for %d s:\n%s", run.Scripts, len(run.Steps), secs, r.body)
			}
			for _, s := range run.Steps {
				leftMS := secs*1000 - s.MS
				want := "a moment"
				if leftMS > 0 {
					want = web.Countdown(int(math.Ceil(float64(leftMS) / 1000)))
				}
				if s.Text != want {
					t.Fatalf("after %d ms the page shows %q, want %q", s.MS, s.Text, want)
				}
			}
			// One tick (1 s, a little late) and the page's spread (at most
			// 1.8 s) after the window opens; never before.
			if run.ReloadMS < secs*1000 || run.ReloadMS > secs*1000+3000 {
				t.Errorf("page reloaded after %d ms, want within 3 s after %d s", run.ReloadMS, secs)
			}
		})
	}
}
