package browsertest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// checkPage opens url, checks its heading and that its text has every want,
// runs the accessibility check and takes the screenshots.
func checkPage(t *testing.T, ctx context.Context, name, url, heading string, want ...string) string {
	t.Helper()
	open(t, ctx, url, "refuse")
	waitFor(t, ctx, "the page", `document.readyState === "complete"`, 10*time.Second)
	h1 := eval[string](t, ctx, `(document.querySelector("h1") || {}).textContent || ""`)
	if !strings.Contains(h1, heading) {
		t.Errorf("%s: heading %q, want it to contain %q", name, h1, heading)
	}
	body := eval[string](t, ctx, `document.body.innerText`)
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s: page lacks %q:\n%s", name, w, body)
		}
	}
	if strings.Contains(body, "Meeting 1 ") || strings.Contains(h1, "Meeting ") {
		t.Errorf("%s: the page names the meeting by its number, not its title:\n%s", name, body)
	}
	checkA11y(t, ctx, name)
	screenshots(t, ctx, name)
	return body
}

// TestNoticePages: each way a link can stop working has its own plain
// page that names the meeting by its title and says what happened.
func TestNoticePages(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t, envOpts{})
	bg := context.Background()
	t0 := testenv.T0

	over := e.schedule(ana, core.ScheduleRequest{Title: "Quick sync", Start: t0.Add(time.Minute), Duration: 2 * time.Minute})
	overLink := e.join(bo, over.ID)
	gone := e.schedule(ana, core.ScheduleRequest{Title: "Retro", Start: t0.Add(2 * time.Minute)})
	goneLink := e.join(bo, gone.ID)
	if _, err := e.svc.Cancel(bg, ana, gone.ID); err != nil {
		t.Fatal(err)
	}
	rm := e.schedule(ana, core.ScheduleRequest{Title: "Hiring panel", Start: t0.Add(2 * time.Minute)})
	rmLink := e.join(bo, rm.ID)
	if _, err := e.svc.Remove(bg, ana, rm.ID, []string{"bo"}); err != nil {
		t.Fatal(err)
	}
	checkPage(t, ctx, "cancelled", goneLink.URL, "Retro was cancelled", "@ana cancelled it", "Organized by Ana Lima", "Was planned for", "Meeting details")
	checkPage(t, ctx, "removed", rmLink.URL, "You were removed from Hiring panel", "took you off")
	checkPage(t, ctx, "bad-code", e.srv.URL+"/j/not-a-real-code", "This link can't be used", "/meet join")
	checkPage(t, ctx, "not-found", e.srv.URL+"/nothing-here", "Not found")

	e.clock.Advance(9 * time.Minute) // Quick sync's window (to 14:08) is over
	checkPage(t, ctx, "ended", overLink.URL, "Quick sync is over", "It ended at 14:03 EST", "Meeting details")

	// A link that outlived its short life.
	e.clock.Advance(2 * time.Hour)
	long := e.schedule(ana, core.ScheduleRequest{Title: "Workshop", Start: e.clock.Now().Add(time.Minute), Duration: 3 * time.Hour})
	longLink := e.join(bo, long.ID)
	e.clock.Advance(61 * time.Minute)
	checkPage(t, ctx, "expired", longLink.URL, "This link to Workshop has expired", "/meet join "+long.ID)

	// The info page and the calendar file it links.
	info := e.svc.InfoURL(long)
	checkPage(t, ctx, "info", info, "Workshop", "Organized by Ana Lima", "/meet join "+long.ID, "Add to your calendar")
	r := e.get(strings.TrimPrefix(e.svc.CalendarURL(long), e.srv.URL))
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="workshop.ics"` {
		t.Errorf(".ics Content-Disposition = %q, want the title as its name", cd)
	}
	if r := e.get("/favicon.ico"); r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "image/") {
		t.Errorf("/favicon.ico: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
}

// TestSeriesOccurrenceOverOffersTheNext: the link of a weekly meeting's
// occurrence that is over says so and offers the next occurrence with its
// own wait link, which opens that occurrence's wait page.
func TestSeriesOccurrenceOverOffersTheNext(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, core.ScheduleRequest{Title: "Team sync", Start: testenv.T0.Add(2 * time.Minute), Recurrence: "FREQ=WEEKLY"})
	link := e.join(bo, m.ID)
	e.clock.Advance(2 * time.Hour)
	checkPage(t, ctx, "series-over", link.URL, "Team sync is over", "Next time", "Open its wait page")
	if err := click(ctx, "main h2 + p a"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the next occurrence's wait page", `!!document.getElementById("wait") && !document.getElementById("wait").hidden`, 10*time.Second)
	if left := eval[string](t, ctx, `document.getElementById("left").textContent`); !strings.Contains(left, "day") {
		t.Errorf("the next occurrence opens in %q, want days", left)
	}
}

// TestSandboxPageOnAPhone: the sandbox page's table headers fit their
// column on a 390 px screen instead of breaking mid-word.
func TestSandboxPageOnAPhone(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t, envOpts{sandbox: true})
	m := e.schedule(ana, core.ScheduleRequest{Title: "Design review", Start: testenv.T0.Add(2 * time.Minute)})
	link := e.join(ana, m.ID)
	checkPage(t, ctx, "sandbox", link.URL, "Design review", "customParticipantId")
	// page left the phone size last but one; check at 390 px.
	if err := phone(ctx); err != nil {
		t.Fatal(err)
	}
	broken := eval[[]string](t, ctx, `[...document.querySelectorAll("th")].filter((th) => {
		if (th.textContent.trim().includes(" ")) return false;
		const r = document.createRange(); r.selectNodeContents(th);
		return r.getClientRects().length > 1 || th.scrollWidth > th.clientWidth;
	}).map((th) => th.textContent)`)
	if len(broken) > 0 {
		t.Errorf("table headers broken or cut on a phone: %q", broken)
	}
}
