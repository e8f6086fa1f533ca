package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
	"github.com/meetbot/meetbot/internal/testenv"
	"github.com/meetbot/meetbot/storage/bolt"
)

// TestReadyzReflectsWrites: with the disk full (writes fail with ENOSPC,
// reads still work) /readyz answers 503, even before any command failed,
// and a /meet schedule answers with one plain sentence and stores
// nothing; once the disk has room again /readyz is 200 within the probe's
// two seconds. Before the fix /readyz ran a read and stayed 200. The disk
// fault exists only on bbolt, so the test runs in a synctest bubble and
// sleeps out the probe's cache.
func TestReadyzReflectsWrites(t *testing.T) { synctest.Test(t, testReadyzReflectsWrites) }

func testReadyzReflectsWrites(t *testing.T) {
	var diskFull atomic.Bool
	te := testenv.New(t, testenv.Options{Bubble: true, WriteFault: func() error {
		if diskFull.Load() {
			return &os.PathError{Op: "write", Path: "meetbot.db", Err: syscall.ENOSPC}
		}
		return nil
	}})
	h := web.New(web.Options{Service: te.Service, Logger: zerolog.Nop(), Ready: te.Store.Ping, Now: te.Time.Now})
	ready := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		return rec.Code
	}
	if c := ready(); c != http.StatusOK {
		t.Fatalf("readyz on a healthy store: %d", c)
	}
	diskFull.Store(true)
	time.Sleep(2 * time.Second)
	if c := ready(); c != http.StatusServiceUnavailable {
		t.Fatalf("readyz with a full disk: %d, want 503", c)
	}
	ctx := context.Background()
	r := chat.New(te.Service).Handle(ctx, testenv.Actor("ana"), "/meet schedule Planning tomorrow 3pm")
	if r.OK || r.Text != bolt.DiskFullMessage {
		t.Fatalf("schedule on a full disk: ok=%v %q, want %q", r.OK, r.Text, bolt.DiskFullMessage)
	}
	diskFull.Store(false)
	if ms, err := te.Store.FindMeetings(ctx, core.MeetingFilter{Workspace: testenv.Workspace}); err != nil || len(ms) != 0 {
		t.Fatalf("the failed schedule stored %d meetings (%v)", len(ms), err)
	}
	time.Sleep(2 * time.Second)
	if c := ready(); c != http.StatusOK {
		t.Fatalf("readyz once the disk has room: %d", c)
	}
}

// TestPostOnlyRoutesAnswer405: a route another adapter mounts for POST
// answers other methods with 405 and an Allow header, not the catch-all
// 404 (which says the route does not exist); other paths still get 404.
func TestPostOnlyRoutesAnswer405(t *testing.T) {
	h := web.New(web.Options{Logger: zerolog.Nop()})
	h.Handle("POST /hooks/in", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	h.Handle("GET /hooks/in", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	h.Handle("POST /only/post", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	do := func(method, path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec
	}
	for _, c := range []struct {
		method, path string
		code         int
		allow        string
	}{
		{"GET", "/only/post", http.StatusMethodNotAllowed, "POST"},
		{"PUT", "/only/post", http.StatusMethodNotAllowed, "POST"},
		{"POST", "/only/post", http.StatusNoContent, ""},
		{"DELETE", "/hooks/in", http.StatusMethodNotAllowed, "GET, HEAD, POST"},
		{"GET", "/hooks/in", http.StatusOK, ""},
		{"GET", "/nothing/here", http.StatusNotFound, ""},
	} {
		rec := do(c.method, c.path)
		if rec.Code != c.code || rec.Header().Get("Allow") != c.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q", c.method, c.path, rec.Code, rec.Header().Get("Allow"), c.code, c.allow)
		}
	}
}

// TestRespelledLinkRefused: a join link whose signature is spelled another
// way (its unused trailing bits set) is refused with 403 and carries no
// token, while the link as issued opens.
func TestRespelledLinkRefused(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	path := e.join(ana, m.ID)
	tok := e.token(wsLocal, m.ID, "ana")
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, path[len(path)-1])
	alt := path[:len(path)-1] + string(alphabet[last|1]) // 32-byte MAC: 43 chars, 2 unused bits
	r := e.get(alt)
	wantStatus(t, r, http.StatusForbidden)
	if strings.Contains(r.body, tok) {
		t.Fatal("a respelled link served the token")
	}
	r = e.get(path)
	wantStatus(t, r, http.StatusOK)
}
