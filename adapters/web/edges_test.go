package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
)

// Edges of the join route and the rest of the surface: odd paths and
// methods, unfurlers, upstream outages, internal failures, health and
// mounted routes.

func TestOversizedCodeIsRejectedBeforeCore(t *testing.T) {
	e := newEnv(t, envOpts{})
	before := e.sb.TotalCalls()
	huge := "/j/" + strings.Repeat("A", 1025)
	for _, p := range []string{huge, huge + "/", huge + "/x", huge + "." + strings.Repeat("B", 4096)} {
		r := e.get(p)
		wantStatus(t, r, http.StatusBadRequest)
		wantJoinHeaders(t, r)
		wantBody(t, r, "too long")
	}
	if got := e.sb.TotalCalls(); got != before {
		t.Errorf("upstream calls went from %d to %d", before, got)
	}
}

func TestOddJoinPaths(t *testing.T) {
	e := newEnv(t, envOpts{})
	for _, p := range []string{"/j", "/j/", "/j/a/b", "/j//"} {
		r := e.get(p)
		// The mux redirects unclean paths ("//") to their clean form.
		if r.status != http.StatusNotFound && r.status/100 != 3 {
			t.Errorf("%s: status %d, want 404 or the mux's clean-path redirect", p, r.status)
		}
		wantJoinHeaders(t, r)
	}
	r := e.do(http.MethodPost, "/j/whatever")
	wantStatus(t, r, http.StatusMethodNotAllowed)
	wantJoinHeaders(t, r)
	if r.header.Get("Allow") != "GET, HEAD" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
	wantStatus(t, e.get("/j/not-a-code"), http.StatusForbidden)
}

func TestLinkPreviewGetsNoToken(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	path := e.join(ana, m.ID)
	tok := e.token(wsLocal, m.ID, "ana")
	for _, ua := range []string{"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)"} {
		r := e.do(http.MethodGet, path, "User-Agent", ua)
		wantStatus(t, r, http.StatusOK)
		wantJoinHeaders(t, r)
		wantBody(t, r, "personal meeting link")
		wantNotInBody(t, r, tok, "Weekly sync")
	}
}

func TestUnavailableUpstreamIs503WithRetryAfter(t *testing.T) {
	// A short token age makes opening the link refresh the token upstream.
	e := newEnv(t, envOpts{cfg: core.Config{TokenMaxAge: time.Minute}})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	path := e.join(ana, m.ID)
	e.clock.Advance(2 * time.Minute)
	e.sb.AddFault(sandbox.Fault{Op: sandbox.OpRefreshToken, Status: http.StatusServiceUnavailable, RetryAfter: 7 * time.Second})

	r := e.get(path)
	wantStatus(t, r, http.StatusServiceUnavailable)
	wantJoinHeaders(t, r)
	if got := r.header.Get("Retry-After"); got != "7" {
		t.Errorf("Retry-After = %q, want 7", got)
	}
	wantBody(t, r, "try again in 7 s")

	e.sb.ClearFaults()
	wantStatus(t, e.get(path), http.StatusOK)
}

func TestInternalErrorIsGenericAndLoggedOnce(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	path := e.join(ana, m.ID)
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	r := e.get(path)
	wantStatus(t, r, http.StatusInternalServerError)
	wantJoinHeaders(t, r)
	wantBody(t, r, "Something went wrong on our side.", r.header.Get("X-Request-Id"))
	wantNotInBody(t, r, "bolt", "database")
	if n := strings.Count(e.logs.String(), `"join link failed"`); n != 1 {
		t.Errorf("internal error logged %d times, want once", n)
	}
}

func TestNotFoundAndHealth(t *testing.T) {
	e := newEnv(t, envOpts{})
	r := e.get("/nope")
	wantStatus(t, r, http.StatusNotFound)
	wantBody(t, r, "There is nothing at this address")

	r = e.get("/healthz")
	wantStatus(t, r, http.StatusOK)
	if r.body != "ok\n" {
		t.Errorf("healthz body %q", r.body)
	}
	wantStatus(t, e.do(http.MethodHead, "/healthz"), http.StatusOK)
	wantStatus(t, e.do(http.MethodPost, "/healthz"), http.StatusMethodNotAllowed)

	wantStatus(t, e.get("/readyz"), http.StatusOK)
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	r = e.get("/readyz")
	wantStatus(t, r, http.StatusServiceUnavailable)
	wantNotInBody(t, r, "bolt", "closed")
	wantStatus(t, e.get("/healthz"), http.StatusOK)
}

func TestMountedRoutesShareTheServer(t *testing.T) {
	e := newEnv(t, envOpts{})
	e.handler.Handle("POST /slack/events", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	wantStatus(t, e.do(http.MethodPost, "/slack/events"), http.StatusNoContent)
	if !strings.Contains(e.logs.String(), `"route":"POST /slack/events"`) {
		t.Error("mounted route is not in the access log")
	}
}

// TestWithoutService checks that a handler built without a service still
// serves health, answers join links with 503, and rejects an oversized code
// before it would need the service at all.
func TestWithoutService(t *testing.T) {
	h := web.New(web.Options{Logger: zerolog.Nop()})
	serve := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	if rec := serve("/healthz"); rec.Code != http.StatusOK {
		t.Errorf("healthz: %d", rec.Code)
	}
	if rec := serve("/readyz"); rec.Code != http.StatusOK {
		t.Errorf("readyz without a Ready func: %d", rec.Code)
	}
	rec := serve("/j/abc.def")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("join without a service: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := serve("/j/" + strings.Repeat("a", 5000)); rec.Code != http.StatusBadRequest {
		t.Errorf("oversized code: %d, want 400", rec.Code)
	}
}
