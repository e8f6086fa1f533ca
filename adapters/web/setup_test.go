package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// These tests run the web handler on real parts (internal/testenv):
// core.Service on a bbolt file in a temp dir, and the official RealtimeKit
// SDK over loopback HTTP against the in-process sandbox. Only the clock is
// fake, so nothing sleeps to synchronise: tests move time by hand.

// t0 is a Wednesday afternoon in New York (EST).
var t0 = testenv.T0

var (
	wsLocal = core.WorkspaceKey{Platform: core.PlatformConsole, ID: "local"}
	wsOther = core.WorkspaceKey{Platform: core.PlatformConsole, ID: "other"}
)

func actorIn(ws core.WorkspaceKey, id, name string) core.Actor {
	return core.Actor{User: core.UserKey{Workspace: ws, UserID: id}, Name: name, Channel: "general"}
}

var (
	ana = actorIn(wsLocal, "ana", "Ana")
	bo  = actorIn(wsLocal, "bo", "Bo")
	cy  = actorIn(wsOther, "cy", "Cy")
)

type envOpts struct {
	sandbox bool
	cfg     core.Config
	joinKey []byte
	logger  io.Writer // nil: the env's own buffer
	uiKit   string    // web.ui_kit_base_url; empty: the default CDN
}

type env struct {
	tb      testing.TB
	clock   *testenv.Clock
	logs    *testenv.SyncBuffer
	sb      *sandbox.Server
	store   core.Store
	svc     *core.Service
	handler *web.Handler
	srv     *httptest.Server
	client  *http.Client
}

// newEnv builds the service on real parts (internal/testenv) and serves the
// handler on a loopback httptest server whose URL is the service's
// PublicURL, so links point at it.
func newEnv(tb testing.TB, o envOpts) *env {
	tb.Helper()
	// The listener exists before the server starts, so its URL can go into
	// the service's config before the handler is built.
	srv := httptest.NewUnstartedServer(nil)
	cfg := o.cfg
	cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	// NoSync: these tests check what is answered and stored, not what a
	// power cut leaves; the fsyncs only made each write wait on the disk.
	te := testenv.New(tb, testenv.Options{Config: cfg, JoinKey: o.joinKey, LogSink: o.logger, CallTimeout: 5 * time.Second, NoSync: true})
	e := &env{tb: tb, clock: te.Clock, logs: te.Logs, sb: te.Sandbox, store: te.Store, svc: te.Service, srv: srv}
	var sink io.Writer = e.logs
	if o.logger != nil {
		sink = o.logger
	}
	var decode func(string) (map[string]any, error)
	if o.sandbox {
		decode = sandbox.DecodeTokenMap
	}
	e.handler = web.New(web.Options{
		Service:      e.svc,
		Logger:       zerolog.New(sink).Level(zerolog.DebugLevel),
		Sandbox:      o.sandbox,
		DecodeToken:  decode,
		Ready:        e.store.Ping,
		Now:          e.clock.Now,
		UIKitBaseURL: o.uiKit,
	})
	e.srv.Config.Handler = e.handler
	e.srv.Start()
	tb.Cleanup(e.srv.Close)
	e.client = e.srv.Client()
	e.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return e
}

func (e *env) schedule(a core.Actor, title string, start time.Time, d time.Duration) *core.Meeting {
	e.tb.Helper()
	m, err := e.svc.Schedule(context.Background(), a, core.ScheduleRequest{
		Title: title, Start: start, Duration: d, TimeZone: "America/New_York",
	})
	if err != nil {
		e.tb.Fatalf("schedule: %v", err)
	}
	return m
}

// join asks core for a personal link and returns its path on the server.
func (e *env) join(a core.Actor, id string) string {
	e.tb.Helper()
	link, err := e.svc.Join(context.Background(), a, id)
	if err != nil {
		e.tb.Fatalf("join %s as %s: %v", id, a.User.UserID, err)
	}
	path, ok := strings.CutPrefix(link.URL, e.srv.URL)
	if !ok || !strings.HasPrefix(path, "/j/") {
		e.tb.Fatalf("link %q is not on %s/j/", link.URL, e.srv.URL)
	}
	return path
}

// token returns the stored participant token of user for meeting id.
func (e *env) token(ws core.WorkspaceKey, id, user string) string {
	e.tb.Helper()
	p, err := e.store.FindParticipant(context.Background(), ws, id, user)
	if err != nil {
		e.tb.Fatalf("find participant: %v", err)
	}
	if p.Token == "" {
		e.tb.Fatal("participant has no token")
	}
	return p.Token
}

type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(method, path string, hdr ...string) response {
	e.tb.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		e.tb.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.tb.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (e *env) get(path string) response {
	e.tb.Helper()
	return e.do(http.MethodGet, path)
}

func wantStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body:\n%s", r.status, status, r.body)
	}
}

func wantBody(t *testing.T, r response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.body, s) {
			t.Errorf("body lacks %q; body:\n%s", s, r.body)
		}
	}
}

func wantNotInBody(t *testing.T, r response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if s != "" && strings.Contains(r.body, s) {
			t.Errorf("body contains %q but must not", s)
		}
	}
}

// wantJoinHeaders checks the headers every /j/ response carries.
func wantJoinHeaders(t *testing.T, r response) {
	t.Helper()
	for k, v := range map[string]string{
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
	} {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	csp := r.header.Get("Content-Security-Policy")
	wants := []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"}
	if r.status/100 != 3 {
		wants = append(wants, "'nonce-") // a page, not the mux's redirect
	}
	for _, want := range wants {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if r.header.Get("Set-Cookie") != "" {
		t.Errorf("a join page sets a cookie: %q", r.header.Get("Set-Cookie"))
	}
}
