package web_test

import (
	"context"
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
	wantBody(t, withScript(t, e, r), `Opens in <strong id="left" role="timer">1 min 50 s</strong>`,
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

// TestWaitStateAsksTheServer: the wait page's question, GET
// /j/{code}?state=1, is answered by the server's clock: "before" with the
// time left and no token until the window opens, then "open" with the
// token and the media settings, and "gone" once the meeting is cancelled.
func TestWaitStateAsksTheServer(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Design review", t0.Add(20*time.Minute), 30*time.Minute)
	link, err := e.svc.Join(context.Background(), bo, m.ID)
	if err != nil || !link.Early {
		t.Fatalf("early join: %+v, %v", link, err)
	}
	path := strings.TrimPrefix(link.URL, e.srv.URL)

	r := e.get(path + "?state=1")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `"phase":"before"`, `"opens_in_ms":900000`)
	wantNotInBody(t, r, "token")
	wantJoinHeaders(t, r)

	e.clock.Advance(15 * time.Minute)
	r = e.get(path + "?state=1")
	tok := e.token(wsLocal, m.ID, "bo")
	wantBody(t, r, `"phase":"open"`, `"token":"`+tok+`"`, `"frameRate":{"ideal":30}`, `"screenshare":{"frameRate":{"ideal":5,"max":5}}`)

	if _, err := e.svc.Cancel(context.Background(), ana, m.ID); err != nil {
		t.Fatal(err)
	}
	r = e.get(path + "?state=1")
	wantBody(t, r, `"phase":"gone"`)
	wantNotInBody(t, r, tok)
}

// TestEarlyLinkFollowsAMove: an early link to a meeting moved an hour
// later opens a wait page for the new time that says it moved, and at the
// new opening it joins; the link's life moved with the meeting.
func TestEarlyLinkFollowsAMove(t *testing.T) {
	e := newEnv(t, envOpts{})
	start := t0.Add(30 * time.Minute)
	m := e.schedule(ana, "Budget", start, 30*time.Minute)
	link, err := e.svc.Join(context.Background(), bo, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(link.URL, e.srv.URL)
	if _, _, err := e.svc.Move(context.Background(), ana, m.ID, start.Add(time.Hour), false); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(start) // the old start: the meeting is an hour away now
	r := e.get(path)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "Joining opens at 15:25 EST", `<th scope="row">Moved</th>`, `"waiting":true`)

	e.clock.Set(start.Add(time.Hour)) // past the link's first expiry, inside the new window
	r = e.get(path + "?state=1")
	wantBody(t, r, `"phase":"open"`)
}
