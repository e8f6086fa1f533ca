package browsertest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

var (
	wsLocal = core.WorkspaceKey{Platform: core.PlatformConsole, ID: "local"}
	ana     = core.Actor{User: core.UserKey{Workspace: wsLocal, UserID: "ana"}, Name: "Ana Lima", Channel: "design"}
	bo      = core.Actor{User: core.UserKey{Workspace: wsLocal, UserID: "bo"}, Name: "Bo", Channel: "design"}
)

// env is the service on real parts (internal/testenv: bbolt in a temp dir,
// the RealtimeKit sandbox through the official SDK) behind the web handler
// on a loopback server, with the meeting page loading the UI Kit from a
// local copy of the packages.
type env struct {
	t     *testing.T
	te    *testenv.Env
	clock *testenv.Clock
	svc   *core.Service
	srv   *httptest.Server
	cdn   *cdn
}

type envOpts struct {
	sandbox bool
	kitBase string // web.ui_kit_base_url; empty: the local copy
	// editCDN gives the env a local copy of its own, whose files the test
	// may change (env.cdn.setEdit); otherwise it shares the package's,
	// which the browser caches as it would jsDelivr's.
	editCDN bool
}

func newEnv(t *testing.T, o envOpts) *env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	te := testenv.New(t, testenv.Options{
		Config:      core.Config{PublicURL: "http://" + srv.Listener.Addr().String(), LinkTTL: time.Hour},
		CallTimeout: 5 * time.Second,
		NoSync:      true, // what is answered and stored, not what a power cut leaves
	})
	e := &env{t: t, te: te, clock: te.Clock, svc: te.Service, srv: srv}
	base := o.kitBase
	switch {
	case base != "":
	case o.editCDN:
		e.cdn = newCDN(t)
		base = e.cdn.base()
	default:
		base = sharedCDN(t).base()
	}
	var decode func(string) (map[string]any, error)
	if o.sandbox {
		decode = sandbox.DecodeTokenMap
	}
	srv.Config.Handler = web.New(web.Options{
		Service:      te.Service,
		Logger:       zerolog.New(te.Logs).Level(zerolog.DebugLevel),
		Sandbox:      o.sandbox,
		DecodeToken:  decode,
		Now:          te.Clock.Now,
		UIKitBaseURL: base,
	})
	srv.Start()
	t.Cleanup(srv.Close)
	return e
}

func (e *env) schedule(a core.Actor, req core.ScheduleRequest) *core.Meeting {
	e.t.Helper()
	if req.TimeZone == "" {
		req.TimeZone = "America/New_York"
	}
	if req.Duration == 0 {
		req.Duration = 30 * time.Minute
	}
	m, err := e.svc.Schedule(context.Background(), a, req)
	if err != nil {
		e.t.Fatalf("schedule: %v", err)
	}
	return m
}

// join returns a's personal link to meeting id.
func (e *env) join(a core.Actor, id string) *core.JoinLink {
	e.t.Helper()
	link, err := e.svc.Join(context.Background(), a, id)
	if err != nil {
		e.t.Fatalf("join %s as %s: %v", id, a.User.UserID, err)
	}
	if !strings.HasPrefix(link.URL, e.srv.URL+"/j/") {
		e.t.Fatalf("link %q is not on %s", link.URL, e.srv.URL)
	}
	return link
}

// token is the participant token core stored for user in meeting id.
func (e *env) token(id, user string) string {
	e.t.Helper()
	p, err := e.te.Store.FindParticipant(context.Background(), wsLocal, id, user)
	if err != nil {
		e.t.Fatalf("participant %s/%s: %v", id, user, err)
	}
	return p.Token
}

// tick makes the service's clock run at the wall clock's pace from now
// on, starting at start: an injected server clock that tells the wait page
// when its window opens. It stops at the end of the test.
func (e *env) tick(start time.Time) (realStart time.Time) {
	realStart = time.Now()
	e.clock.Set(start)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(5 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				e.clock.Set(start.Add(time.Since(realStart)))
			}
		}
	}()
	e.t.Cleanup(func() { close(done); wg.Wait() })
	return realStart
}

// probe is injected into every page before its own scripts: it records
// each RealtimeKitClient.init call (wrapping init as soon as the SDK
// defines the global), console errors and CSP violations. mode "refuse"
// makes init reject as the service does for a refused token, without
// contacting it; "real" lets the SDK's init run.
func probe(mode string) string {
	return `(() => {
  const rec = window.__meetbot = { initCalls: [], consoleErrors: [], violations: [], marker: Math.random() };
  const error = console.error;
  console.error = function (...args) {
    rec.consoleErrors.push(args.map((a) => (a && a.message) ? a.message : String(a)).join(" "));
    return error.apply(this, args);
  };
  const fetch0 = window.fetch.bind(window);
  rec.asks = [];
  window.fetch = (url, opts) => {
    const ask = { url: String(url), start: Date.now() };
    rec.asks.push(ask);
    return fetch0(url, opts).then((r) => { ask.end = Date.now(); return r; });
  };
  document.addEventListener("securitypolicyviolation", (e) => rec.violations.push(e.violatedDirective + " " + e.blockedURI));
  let client;
  Object.defineProperty(window, "RealtimeKitClient", {
    configurable: true,
    get() { return client; },
    set(v) {
      if (v && typeof v.init === "function") {
        const init = v.init.bind(v);
        const wrapped = function (opts) {
          rec.initCalls.push({ at: performance.now(), wall: Date.now(), opts: JSON.parse(JSON.stringify(opts)) });
          if ("` + mode + `" === "real") return init(opts);
          const err = new Error("the participant token was refused (test)");
          err.code = "0004";
          return Promise.reject(err);
        };
        Object.defineProperty(v, "init", { value: wrapped, configurable: true, writable: true });
      }
      client = v;
    },
  });
})();`
}

// open loads url in the tab with the probe installed first.
func open(t *testing.T, ctx context.Context, url, mode string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: probe(mode)})
		return err
	}), chromedp.Navigate(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
}

// timezone makes the tab's browser think it is in zone.
func timezone(t *testing.T, ctx context.Context, zone string) {
	t.Helper()
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone})
		return err
	}))
	if err != nil {
		t.Fatalf("timezone %s: %v", zone, err)
	}
}

// eval evaluates a JavaScript expression in the page (awaiting a promise).
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.80q: %v", js, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true.
func waitFor(t *testing.T, ctx context.Context, what, js string, timeout time.Duration) {
	t.Helper()
	end := time.Now().Add(timeout)
	var err error
	for {
		// A navigation under the poll loses its JavaScript context; poll
		// again in the new document until the time is up.
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(time.Until(end))))
		if err == nil || time.Now().After(end) || !(strings.Contains(err.Error(), "context") || strings.Contains(err.Error(), "navigated")) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({text: document.body && document.body.innerText, errors: window.__meetbot && window.__meetbot.consoleErrors, csp: window.__meetbot && window.__meetbot.violations})`))
		t.Fatalf("waiting for %s (%s): %v\npage: %s", what, js, err, state)
	}
}

// screenshots writes the page at 1280×800 and 390×844 under
// MEETBOT_SCREENSHOTS when it is set, and checks on the phone size that
// nothing is wider than the screen.
func screenshots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("MEETBOT_SCREENSHOTS")
	for _, size := range []struct {
		w, h   int64
		mobile bool
	}{{390, 844, true}, {1280, 800, false}} {
		opts := []chromedp.EmulateViewportOption{}
		if size.mobile {
			opts = append(opts, chromedp.EmulateScale(3), chromedp.EmulateMobile)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.w, size.h, opts...)); err != nil {
			t.Fatalf("viewport: %v", err)
		}
		if size.mobile {
			if over := eval[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
				t.Errorf("%s: on a 390 px screen the page is %d px too wide", name, over)
			}
		}
		if dir == "" {
			continue
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		file := filepath.Join(dir, name+"-"+itoa(size.w)+"x"+itoa(size.h)+".png")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// get fetches path from the server without a browser.
func (e *env) get(path string) *http.Response {
	e.t.Helper()
	r, err := e.srv.Client().Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { r.Body.Close() })
	return r
}

// phone sets the tab to a 390×844 phone screen.
func phone(ctx context.Context) error {
	return chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile))
}
