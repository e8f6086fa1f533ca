package browsertest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// emulateMedia sets the prefers-* media features of the tab.
func emulateMedia(t *testing.T, ctx context.Context, scheme string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
			{Name: "prefers-color-scheme", Value: scheme}, {Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	}))
	if err != nil {
		t.Fatalf("emulate media: %v", err)
	}
}

// axeViolation is one serious or critical axe-core finding.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkA11y runs axe-core (from the packed npm package, injected through
// DevTools so the page's CSP is left as it is) on the page as it is now and
// fails the test on any serious or critical violation. The page must also
// have a lang, a level-one heading and a title.
func checkA11y(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	src, ok := packages(t)["axe-core@4.11.0"]["axe.min.js"]
	if !ok {
		t.Fatal("axe-core package has no axe.min.js")
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](string(src)+";true")); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	for _, scheme := range []string{"light", "dark"} {
		emulateMedia(t, ctx, scheme)
		runAxe(t, ctx, name+" ("+scheme+")")
	}
	emulateMedia(t, ctx, "light")
	if lang := eval[string](t, ctx, `document.documentElement.lang`); lang == "" {
		t.Errorf("%s: no lang on <html>", name)
	}
	if n := eval[int](t, ctx, `[...document.querySelectorAll("h1")].filter((h) => h.offsetParent !== null || h.classList.contains("sr-only")).length`); n < 1 {
		t.Errorf("%s: no level-one heading", name)
	}
	// Focus follows the reading order: no positive tabindex anywhere.
	if n := eval[int](t, ctx, `[...document.querySelectorAll("[tabindex]")].filter((e) => e.tabIndex > 0).length`); n > 0 {
		t.Errorf("%s: %d elements jump the focus order with a positive tabindex", name, n)
	}
	// With reduced motion asked for, nothing moves.
	if n := eval[int](t, ctx, `document.getAnimations().filter((a) => a.playState === "running").length`); n > 0 {
		t.Errorf("%s: %d animations run although the viewer asked for reduced motion", name, n)
	}
}

// runAxe runs axe-core once and reports serious and critical violations.
func runAxe(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	raw := eval[string](t, ctx, `axe.run(document, { resultTypes: ["violations"] }).then((r) => JSON.stringify(
		r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => ({
			id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }))))`)
	var found []axeViolation
	if err := json.Unmarshal([]byte(raw), &found); err != nil {
		t.Fatalf("axe result %q: %v", raw, err)
	}
	for _, v := range found {
		t.Errorf("%s: axe %s (%s): %s at %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
	}
}

// noThirdPartyFonts checks that the page asked no font host for anything:
// neither a request it made nor one its CSP blocked.
func noThirdPartyFonts(t *testing.T, ctx context.Context) {
	t.Helper()
	seen := eval[[]string](t, ctx, `performance.getEntriesByType("resource").map((e) => e.name).concat(window.__meetbot.violations)`)
	for _, u := range seen {
		if strings.Contains(u, "fonts.googleapis") || strings.Contains(u, "fonts.gstatic") || strings.Contains(u, "rsms.me") {
			t.Errorf("the page asked a third-party font host: %s", u)
		}
	}
	if f := eval[string](t, ctx, `getComputedStyle(document.body).fontFamily`); strings.Contains(strings.ToLower(f), "serif") && !strings.Contains(strings.ToLower(f), "sans-serif") {
		t.Errorf("body font is %q, a serif fallback", f)
	}
}

// click clicks the element sel.
func click(ctx context.Context, sel string) error {
	return chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
}
