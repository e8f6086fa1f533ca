package core_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
	"github.com/meetbot/meetbot/storage/bolt"
	"github.com/rs/zerolog"
)

// bubble is a Service on real parts that can run inside a testing/synctest
// bubble, for tests about deadlines and waits: there every timer, context
// deadline and time.Now is the bubble's fake time, so a call deadline of
// 300 ms or a Retry-After of two minutes costs no real time and elapsed
// time can be asserted exactly. The Service reads "now" from
// core.SystemClock, which inside the bubble is that fake time, so
// core.Clock stays the one port for "now".
//
// It differs from testenv.Env in one part only: the RealtimeKit sandbox is
// reached through an in-process transport, not a loopback socket, because
// a goroutine waiting on a socket is not durably blocked and the bubble's
// clock would never move. The store is bbolt in a temporary directory.
type bubble struct {
	Service *core.Service
	Sandbox *sandbox.Server
	Logs    *testenv.SyncBuffer
}

// newBubble builds a bubble; call it inside synctest.Test, so that the
// parts' timers belong to the bubble and t.Cleanup closes them there.
func newBubble(t *testing.T, callTimeout time.Duration) *bubble {
	t.Helper()
	b := &bubble{Sandbox: sandbox.New(sandbox.Options{APIToken: "test-token"}), Logs: &testenv.SyncBuffer{}}
	log := zerolog.New(b.Logs).Level(zerolog.DebugLevel)
	conf, err := realtimekit.New(realtimekit.Config{
		BaseURL:      "http://sandbox.test/client/v4/",
		AccountID:    "acc",
		AppID:        "app",
		APIToken:     "test-token",
		CallTimeout:  callTimeout,
		Budget:       1200,
		BudgetWindow: 5 * time.Minute,
		HTTPClient:   &http.Client{Transport: handlerTransport{b.Sandbox}},
	}, log)
	if err != nil {
		t.Fatal(err)
	}
	store, err := bolt.Open(filepath.Join(t.TempDir(), "meetbot.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	cfg := core.Config{DefaultTimeZone: "America/New_York", PublicURL: "http://meet.test"}
	if b.Service, err = core.NewService(context.Background(), cfg, core.Deps{Store: store, Conference: conf, Logger: log}, nil); err != nil {
		t.Fatal(err)
	}
	return b
}

// handlerTransport answers requests with a handler in the caller's
// goroutine. Like a socket, it gives the request's context error when the
// context ends first: the sandbox stops a delayed answer when its client
// gives up, and the answer is then dropped.
type handlerTransport struct{ h http.Handler }

// RoundTrip implements http.RoundTripper.
func (tr handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	in := r.Clone(r.Context())
	in.RequestURI = r.URL.RequestURI()
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	tr.h.ServeHTTP(rec, in)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}
