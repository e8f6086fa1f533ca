package core_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/bolt"
)

// These tests run core.Service on real parts: a bbolt file in t.TempDir()
// and the official RealtimeKit SDK over loopback HTTP against the sandbox.
// Only the clock is fake, so no test sleeps to synchronise.

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

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
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

type bundle struct {
	t     testing.TB
	dir   string
	svc   *core.Service
	store *bolt.DB
	sb    *sandbox.Server
	conf  *realtimekit.Client
	clock *fakeClock
	logs  *syncBuffer
	cfg   core.Config
	// realClock makes the service use the wall clock (benchmarks).
	realClock bool
}

// t0 is a Wednesday afternoon in New York.
var t0 = time.Date(2026, 11, 25, 14, 0, 0, 0, mustZone("America/New_York"))

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

type setupOpts struct {
	callTimeout time.Duration
	budget      int
	realClock   bool
}

func setup(t testing.TB, o ...setupOpts) *bundle {
	t.Helper()
	var opt setupOpts
	if len(o) > 0 {
		opt = o[0]
	}
	if opt.callTimeout == 0 {
		opt.callTimeout = 2 * time.Second
	}
	if opt.budget == 0 {
		opt.budget = 1200
	}
	b := &bundle{t: t, dir: t.TempDir(), clock: &fakeClock{now: t0}, logs: &syncBuffer{}}
	b.sb = sandbox.New(sandbox.Options{APIToken: "test-token"})
	srv := httptest.NewServer(b.sb)
	t.Cleanup(srv.Close)
	conf, err := realtimekit.New(realtimekit.Config{
		BaseURL:      srv.URL + "/client/v4/",
		AccountID:    "acc",
		AppID:        "app",
		APIToken:     "test-token",
		CallTimeout:  opt.callTimeout,
		Budget:       opt.budget,
		BudgetWindow: 5 * time.Minute,
	}, zerolog.New(b.logs))
	if err != nil {
		t.Fatal(err)
	}
	b.conf = conf
	b.cfg = core.Config{DefaultTimeZone: "America/New_York", PublicURL: "http://meet.test"}
	b.realClock = opt.realClock
	b.open()
	return b
}

// open (re)opens the store and builds a service on it, as a process start does.
func (b *bundle) open() {
	b.t.Helper()
	store, err := bolt.Open(filepath.Join(b.dir, "meetbot.db"), bolt.Options{NoSync: os.Getenv("XNOSYNC") != ""})
	if err != nil {
		b.t.Fatal(err)
	}
	b.store = store
	b.t.Cleanup(func() { _ = store.Close() })
	var clock core.Clock = b.clock
	if b.realClock {
		clock = core.SystemClock
	}
	svc, err := core.NewService(context.Background(), b.cfg, core.Deps{
		Store:      store,
		Conference: b.conf,
		Clock:      clock,
		Logger:     zerolog.New(b.logs),
	}, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	b.svc = svc
}

// restart closes the store and opens it again with a fresh service.
func (b *bundle) restart() {
	b.t.Helper()
	if err := b.store.Close(); err != nil {
		b.t.Fatal(err)
	}
	b.open()
}

var ws = core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}

func actor(user string) core.Actor {
	return core.Actor{User: core.UserKey{Workspace: ws, UserID: user}, Name: "User " + user, Channel: "C1"}
}

func (b *bundle) schedule(a core.Actor, title string, start time.Time, d time.Duration) *core.Meeting {
	b.t.Helper()
	m, err := b.svc.Schedule(context.Background(), a, core.ScheduleRequest{Title: title, Start: start, Duration: d})
	if err != nil {
		b.t.Fatalf("schedule: %v", err)
	}
	return m
}

func wantCode(t *testing.T, err error, code core.Code) *core.Error {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	e, _ := core.AsError(err)
	return e
}
