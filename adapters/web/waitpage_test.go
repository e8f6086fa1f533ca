package web_test

import (
	"net/http"
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
	wantBody(t, r, `Opens in <strong id="left" role="timer">1 min 50 s</strong>`,
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
