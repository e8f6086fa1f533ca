package browsertest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// initCall is one RealtimeKitClient.init call the probe recorded.
type initCall struct {
	At   float64 `json:"at"` // ms since the navigation started
	Wall float64 `json:"wall"`
	Opts struct {
		AuthToken string `json:"authToken"`
		Defaults  struct {
			Audio              bool            `json:"audio"`
			Video              bool            `json:"video"`
			MediaConfiguration json.RawMessage `json:"mediaConfiguration"`
		} `json:"defaults"`
	} `json:"opts"`
}

func initCalls(t *testing.T, ctx context.Context) []initCall {
	t.Helper()
	raw := eval[string](t, ctx, `JSON.stringify(window.__meetbot.initCalls)`)
	var calls []initCall
	if err := json.Unmarshal([]byte(raw), &calls); err != nil {
		t.Fatalf("init calls %q: %v", raw, err)
	}
	return calls
}

// TestMeetingPageStartsUIKit opens a personal link inside the window with
// the real pinned packages: RealtimeKitClient and the UI Kit's elements
// get defined, init is called once with exactly the issued token and the
// workspace's media settings, and when the token is refused the page says
// so above everything (no rtk-meeting covers it), with a retry button and
// the /meet join fallback, and logs the error.
func TestMeetingPageStartsUIKit(t *testing.T) {
	t.Parallel() // the time to init is logged, not asserted
	ctx := tab(t)
	e := newEnv(t, envOpts{})
	admin := ana
	admin.IsAdmin = true
	if _, err := e.svc.UpdateSettings(context.Background(), admin, core.SettingChange{Name: core.SettingVideo, Media: core.MediaSettings{Video: "1080p"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.UpdateSettings(context.Background(), admin, core.SettingChange{Name: core.SettingFrameRate, Media: core.MediaSettings{FrameRate: 24}}); err != nil {
		t.Fatal(err)
	}
	m := e.schedule(ana, core.ScheduleRequest{Title: "Design review", Start: testenv.T0.Add(2 * time.Minute)})
	link := e.join(bo, m.ID)
	tok := e.token(m.ID, "bo")

	open(t, ctx, link.URL, "refuse")
	waitFor(t, ctx, "init", `window.__meetbot.initCalls.length > 0`, 20*time.Second)
	waitFor(t, ctx, "the error state", `!document.getElementById("failed").hidden`, 10*time.Second)

	if !eval[bool](t, ctx, `typeof window.RealtimeKitClient === "function" || typeof window.RealtimeKitClient === "object"`) {
		t.Error("RealtimeKitClient is not defined")
	}
	for _, el := range []string{"rtk-meeting", "rtk-setup-screen"} {
		waitFor(t, ctx, "the custom element "+el, `customElements.get("`+el+`") !== undefined`, 20*time.Second)
	}
	calls := initCalls(t, ctx)
	if len(calls) != 1 {
		t.Fatalf("init called %d times, want once", len(calls))
	}
	c := calls[0]
	if c.Opts.AuthToken != tok {
		t.Errorf("init got token %.20q…, want the issued one %.20q…", c.Opts.AuthToken, tok)
	}
	if !c.Opts.Defaults.Audio || !c.Opts.Defaults.Video {
		t.Errorf("init defaults audio %v video %v, want both on", c.Opts.Defaults.Audio, c.Opts.Defaults.Video)
	}
	want := web.MediaConfiguration(core.MediaSettings{Video: "1080p", FrameRate: 24, ScreenshareFrameRate: 5})
	if string(c.Opts.Defaults.MediaConfiguration) != string(want) {
		t.Errorf("init mediaConfiguration = %s, want %s", c.Opts.Defaults.MediaConfiguration, want)
	}
	coreAt := eval[float64](t, ctx, `(performance.getEntriesByType("resource").find((e) => e.name.endsWith("/dist/browser.js")) || {}).responseEnd || 0`)
	t.Logf("join link opened → RealtimeKitClient.init called: %.0f ms (packages served from 127.0.0.1; the client script had arrived at %.0f ms)", c.At, coreAt)

	// The error is visible, on top, with what to do.
	reason := eval[string](t, ctx, `document.getElementById("failed-reason").textContent`)
	if !strings.Contains(reason, "refused") {
		t.Errorf("error reason %q does not say the service refused", reason)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("rtk-meeting").length`); n != 0 {
		t.Errorf("%d rtk-meeting elements left over the error", n)
	}
	if !eval[bool](t, ctx, `(() => { const b = document.getElementById("retry"); const r = b.getBoundingClientRect();
		return r.width > 0 && document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b; })()`) {
		t.Error("the retry button is not visible on top")
	}
	if !eval[bool](t, ctx, `document.activeElement === document.getElementById("retry")`) {
		t.Error("focus is not on the retry button")
	}
	if body := eval[string](t, ctx, `document.body.innerText`); !strings.Contains(body, "/meet join "+m.ID) {
		t.Errorf("the page does not offer /meet join %s:\n%s", m.ID, body)
	}
	if errs := eval[[]string](t, ctx, `window.__meetbot.consoleErrors`); len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), "refused") {
		t.Errorf("console errors %q do not log the failure", errs)
	}
	// Tab from the retry button reaches the next control in reading order.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
		t.Fatal(err)
	}
	if got := eval[string](t, ctx, `document.activeElement.textContent`); got != "Add to calendar (.ics)" {
		t.Errorf("Tab from the retry button went to %q, want the calendar link", got)
	}
	noThirdPartyFonts(t, ctx)
	checkA11y(t, ctx, "meeting-error")
	screenshots(t, ctx, "meeting-error")

	// Retry calls init again with the same token.
	if err := click(ctx, "#retry"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the second init", `window.__meetbot.initCalls.length === 2`, 10*time.Second)
}
