package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/bolt"
)

// These tests run the web handler on real parts: core.Service on a bbolt
// file in a temp dir, and the official RealtimeKit SDK (adapters/realtimekit)
// over loopback HTTP against the in-process sandbox. Only the clock is fake,
// so nothing sleeps to synchronise: tests move time by hand.

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// t0 is a Wednesday afternoon in New York (EST).
var t0 = time.Date(2026, 11, 25, 14, 0, 0, 0, mustZone("America/New_York"))

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
}

type env struct {
	tb      testing.TB
	clock   *fakeClock
	logs    *syncBuffer
	sb      *sandbox.Server
	store   *bolt.DB
	svc     *core.Service
	handler *web.Handler
	srv     *httptest.Server
	client  *http.Client
}

// newEnv wires store, sandbox, SDK client, service and web handler, and
// serves the handler on a loopback httptest server whose URL is the
// service's PublicURL, so links point at it.
func newEnv(tb testing.TB, o envOpts) *env {
	tb.Helper()
	e := &env{tb: tb, clock: &fakeClock{now: t0}, logs: &syncBuffer{}}
	var sink io.Writer = e.logs
	if o.logger != nil {
		sink = o.logger
	}
	log := zerolog.New(sink).Level(zerolog.DebugLevel)

	e.sb = sandbox.New(sandbox.Options{APIToken: "test-token", Now: e.clock.Now})
	upstream := httptest.NewServer(e.sb)
	tb.Cleanup(upstream.Close)
	conf, err := realtimekit.New(realtimekit.Config{
		BaseURL:     upstream.URL + "/client/v4/",
		AccountID:   "acc",
		AppID:       "app",
		APIToken:    "test-token",
		CallTimeout: 5 * time.Second,
	}, log)
	if err != nil {
		tb.Fatal(err)
	}
	store, err := bolt.Open(filepath.Join(tb.TempDir(), "meetbot.db"), bolt.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	e.store = store

	// The listener exists before the server starts, so its URL can go into
	// the service's config before the handler is built.
	e.srv = httptest.NewUnstartedServer(nil)
	cfg := o.cfg
	cfg.PublicURL = "http://" + e.srv.Listener.Addr().String()
	e.svc, err = core.NewService(context.Background(), cfg, core.Deps{
		Store:      store,
		Conference: conf,
		Clock:      e.clock,
		Logger:     log,
	}, o.joinKey)
	if err != nil {
		tb.Fatal(err)
	}
	var decode func(string) (map[string]any, error)
	if o.sandbox {
		decode = decodeSandboxToken
	}
	e.handler = web.New(web.Options{
		Service:     e.svc,
		Logger:      log,
		Sandbox:     o.sandbox,
		DecodeToken: decode,
		Ready:       store.Ping,
		Now:         e.clock.Now,
	})
	e.srv.Config.Handler = e.handler
	e.srv.Start()
	tb.Cleanup(e.srv.Close)
	e.client = e.srv.Client()
	e.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return e
}

// decodeSandboxToken is what cmd/bot passes as Options.DecodeToken in
// sandbox mode: the sandbox's claims as a generic map.
func decodeSandboxToken(tok string) (map[string]any, error) {
	c, err := sandbox.DecodeToken(tok)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
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
