package browsertest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestWaitPageSwitchesToMeeting: a Join five minutes early gives the link
// at once; its page shows the meeting, the start in the viewer's zone
// beside the organizer's, and a countdown, then turns into the meeting by
// itself when the server's clock reaches the window's opening: init is
// called with the token on the same page (no reload, same address), never
// before the window opened.
func TestWaitPageSwitchesToMeeting(t *testing.T) {
	t.Parallel() // what it asserts holds however slow the machine: see the countdown check
	ctx := tab(t)
	e := newEnv(t, envOpts{})
	timezone(t, ctx, "Europe/Berlin")
	start := testenv.T0.Add(10 * time.Minute)
	m := e.schedule(ana, core.ScheduleRequest{Title: "Design review", Start: start})
	opens := start.Add(-5 * time.Minute)

	// The server's clock stands still 3 s before the window opens while
	// the page loads and is checked, so it cannot open under the checks
	// however slow the machine (the page, counting down by itself, asks
	// at its deadline and is told to wait). Only then does the clock run,
	// set to open when the page next expects it to.
	const lead = 3 * time.Second
	e.clock.Set(opens.Add(-lead))
	link := e.join(bo, m.ID)
	if !link.Early || !link.Expires.Equal(link.Window.Closes) {
		t.Fatalf("a Join 3 s early: early %v, expires %v (window closes %v)", link.Early, link.Expires, link.Window.Closes)
	}

	navStart := time.Now()
	open(t, ctx, link.URL, "refuse")
	waitFor(t, ctx, "the countdown", `document.getElementById("left").textContent.endsWith(" s")`, 5*time.Second)
	// The page counts down from its response's arrival (after navStart)
	// until a first question moves its deadline, which cannot happen before
	// navStart+lead: until then it shows at most the lead, and at least
	// what is left of it when the text has been read.
	text := eval[string](t, ctx, `document.getElementById("left").textContent`)
	after := time.Now()
	if !strings.HasSuffix(text, " s") || text == "0 s" {
		t.Errorf("countdown shows %q, want seconds left", text)
	}
	if after.Before(navStart.Add(lead)) {
		lo := int(navStart.Add(lead).Sub(after).Seconds())
		hi := int(lead.Seconds()) + 1
		ok := false
		for left := lo; left <= hi; left++ {
			ok = ok || text == web.Countdown(left)
		}
		if !ok {
			t.Errorf("countdown shows %q with %d to %d s left", text, lo, hi)
		}
	}
	body := eval[string](t, ctx, `document.body.innerText`)
	for _, want := range []string{"Design review", "Organized by Ana Lima", "your time (Europe/Berlin)", "for the organizer", "Joining opens at", "Add to calendar"} {
		if !strings.Contains(body, want) {
			t.Errorf("wait page lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(body, "8:10 PM your time") { // 14:10 EST is 20:10 in Berlin
		t.Errorf("wait page does not show the Berlin time of the start:\n%s", body)
	}
	checkA11y(t, ctx, "wait")
	screenshots(t, ctx, "wait")
	// The page becomes the meeting in place, so camera and microphone must
	// be allowed from the start (a permissions policy is fixed at load).
	for _, feature := range []string{"camera", "microphone"} {
		if !eval[bool](t, ctx, `document.featurePolicy ? document.featurePolicy.allowsFeature("`+feature+`") : true`) {
			t.Errorf("the wait page's permissions policy blocks the %s the meeting will need", feature)
		}
	}
	marker := eval[float64](t, ctx, `window.__meetbot.marker`)
	href := eval[string](t, ctx, `location.href`)
	// The clock has stood before the opening all along: no init yet.
	if n := len(initCalls(t, ctx)); n != 0 {
		t.Fatalf("init called %d times before the window opened", n)
	}

	// The page's deadline is its last answer's arrival (or its response's)
	// plus the lead it was told; the server opens then. An answer still in
	// flight moves it later, which costs the test time, not correctness.
	rem := time.Duration(eval[float64](t, ctx, `(() => {
  const a = window.__meetbot.asks.filter((a) => a.url.includes("state=1") && a.end);
  const nav = performance.getEntriesByType("navigation")[0];
  const base = a.length ? a[a.length - 1].end : performance.timeOrigin + nav.responseStart;
  return base + `+strconv.Itoa(int(lead.Milliseconds()))+` - Date.now();
})()`)) * time.Millisecond
	rem = min(max(rem, 0), lead)
	openReal := e.tick(opens.Add(-rem)).Add(rem)

	waitFor(t, ctx, "the switch to the meeting", `window.__meetbot.initCalls.length > 0`, 15*time.Second)
	c := initCalls(t, ctx)[0]
	delay := time.UnixMilli(int64(c.Wall)).Sub(openReal)
	t.Logf("wait page: window opened → init called after %d ms (target < 2000 ms)", delay.Milliseconds())
	type ask struct{ Start, End float64 }
	asks := eval[[]ask](t, ctx, `window.__meetbot.asks.filter((a) => a.url.includes("state=1"))`)
	if n := len(asks); n > 0 {
		last := asks[n-1]
		t.Logf("  its %d question(s) to the server: the last sent %d ms after the opening, answered in %d ms; init %d ms after the answer",
			n, time.UnixMilli(int64(last.Start)).Sub(openReal).Milliseconds(), int64(last.End-last.Start), int64(c.Wall-last.End))
	}
	if delay < -50*time.Millisecond { // clocks of one machine; a little slack for the page's ms rounding
		t.Errorf("init was called %v before the window opened", -delay)
	}
	if c.Opts.AuthToken != e.token(m.ID, "bo") {
		t.Error("init did not get the participant token the server issued at the opening")
	}
	if got := eval[float64](t, ctx, `window.__meetbot.marker`); got != marker {
		t.Error("the page reloaded to switch; it should switch in place")
	}
	if got := eval[string](t, ctx, `location.href`); got != href {
		t.Errorf("the address changed from %q to %q", href, got)
	}
}

// TestWaitPageOfMovedMeetingKeepsWaiting: an early link to a meeting that
// is then moved an hour later opens a wait page for the new time (not an
// "ended" or "expired" page), and the server keeps answering "before".
func TestWaitPageOfMovedMeetingKeepsWaiting(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t, envOpts{})
	start := testenv.T0.Add(30 * time.Minute)
	m := e.schedule(ana, core.ScheduleRequest{Title: "Budget", Start: start})
	link := e.join(bo, m.ID)
	if _, _, err := e.svc.Move(context.Background(), ana, m.ID, start.Add(time.Hour), false); err != nil {
		t.Fatal(err)
	}
	e.clock.Set(start.Add(-5 * time.Minute)) // the old window's opening
	open(t, ctx, link.URL, "refuse")
	waitFor(t, ctx, "the wait page", `!document.getElementById("wait").hidden`, 5*time.Second)
	body := eval[string](t, ctx, `document.body.innerText`)
	for _, want := range []string{"Budget", "Moved", "Opens in", "Joining opens at 15:25 EST"} {
		if !strings.Contains(body, want) {
			t.Errorf("moved meeting's wait page lacks %q:\n%s", want, body)
		}
	}
	if left := eval[string](t, ctx, `document.getElementById("left").textContent`); left != "1 h" && !strings.HasPrefix(left, "59 min") {
		t.Errorf("the moved meeting opens in %q, want about an hour", left)
	}
	state := eval[string](t, ctx, `fetch(location.pathname + "?state=1").then((r) => r.json()).then((j) => j.phase)`)
	if state != "before" {
		t.Errorf("server says %q for the moved meeting, want before", state)
	}
	checkA11y(t, ctx, "wait-moved")
	screenshots(t, ctx, "wait-moved")
}

// TestSandboxWaitPageOpensTheSandboxPage: in sandbox (local) mode there is
// no UI Kit to start, so at the opening the wait page loads the sandbox's
// page of what would be joined.
func TestSandboxWaitPageOpensTheSandboxPage(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t, envOpts{sandbox: true})
	start := testenv.T0.Add(10 * time.Minute)
	m := e.schedule(ana, core.ScheduleRequest{Title: "Local demo", Start: start})
	opens := start.Add(-5 * time.Minute)
	e.clock.Set(opens.Add(-2 * time.Second))
	link := e.join(bo, m.ID)
	e.tick(opens.Add(-2 * time.Second))
	open(t, ctx, link.URL, "refuse")
	waitFor(t, ctx, "the sandbox page", `document.body.innerText.includes("Sandbox mode")`, 15*time.Second)
	if n := len(eval[[]any](t, ctx, `window.__meetbot.initCalls`)); n != 0 {
		t.Errorf("init called %d times in sandbox mode", n)
	}
}
