package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestReadyzReplicaJSON: with Options.Replica, /readyz says which driver
// and replica answer, whether the store does and whether this replica
// leads; a store that cannot be reached is 503 with its plain sentence,
// and an internal failure's text never reaches the body.
func TestReadyzReplicaJSON(t *testing.T) {
	te := testenv.New(t, testenv.Options{NoSync: true})
	var leading atomic.Bool
	var fail atomic.Pointer[error]
	ready := func(ctx context.Context) error {
		if err := fail.Load(); err != nil {
			return *err
		}
		return te.Store.Ping(ctx)
	}
	h := web.New(web.Options{Service: te.Service, Logger: zerolog.Nop(), Ready: ready,
		Replica: &web.Replica{Driver: te.Driver, ID: "replica-a", Leading: leading.Load}})
	get := func() (int, map[string]any, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("readyz body is not JSON: %q", rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		return rec.Code, body, rec.Body.String()
	}
	code, body, _ := get()
	if code != http.StatusOK || body["driver"] != te.Driver || body["replica"] != "replica-a" || body["store"] != "ok" || body["leading"] != false {
		t.Fatalf("healthy follower: %d %v", code, body)
	}
	leading.Store(true)
	if _, body, _ = get(); body["leading"] != true {
		t.Fatalf("leader: %v", body)
	}
	const sentence = "meetbot cannot reach its store; try again in a minute."
	var unreachable error = core.Wrap(core.EUNAVAILABLE, errors.New("dial tcp 10.0.0.1:2379: connection refused"), sentence)
	fail.Store(&unreachable)
	code, body, raw := get()
	if code != http.StatusServiceUnavailable || body["store"] != sentence || strings.Contains(raw, "10.0.0.1") {
		t.Fatalf("unreachable store: %d %s", code, raw)
	}
	var internal error = errors.New("bolt: database not open at /secret/path")
	fail.Store(&internal)
	code, body, raw = get()
	if code != http.StatusServiceUnavailable || body["store"] == "ok" || strings.Contains(raw, "/secret/path") {
		t.Fatalf("internal failure: %d %s", code, raw)
	}
	// /healthz stays plain and cheap, whatever the store does.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "ok\n" {
		t.Fatalf("healthz: %d %q", rec.Code, rec.Body.String())
	}
}
