// Package testenv builds a core.Service on real parts for tests: a store
// (a bbolt file in t.TempDir(), or a unique key prefix on the embedded etcd
// server of storage/etcd/etcdtest, opened through the storage factory) and
// the official RealtimeKit SDK talking to the sandbox through an
// in-process HTTP transport (HandlerTransport), no socket. Only time is
// fake, so tests advance it instead of sleeping. It is test support,
// imported only from _test.go files.
//
// The service's clock is Env.Time, a core.Clock, and comes in two kinds
// (clock.go). Tests whose code under test waits on timers (the scheduler's
// loop, call deadlines, Retry-After, cache lifetimes) build the Env inside
// synctest.Test with Options.Bubble: every timer, deadline and time.Now
// there is the bubble's fake time, Env.Time reads it from Options.Start
// on, and the test sleeps to let time pass. Such an Env is always on
// bbolt, whatever MEETBOT_TEST_STORE says: the etcd client keeps gRPC
// connections over loopback, and a goroutine blocked on a socket never
// lets a bubble's time move. Tests that run on either store stay outside
// a bubble and move Env.Clock, a hand-moved Clock, which Env.Time then is.
//
// The driver comes from Options.Driver, else from the environment variable
// MEETBOT_TEST_STORE (bolt or etcd; default bolt), so one variable runs the
// scheduler and adapter suites on either backend. The etcd backend is
// built only with the build tag etcdstore (etcd.go): the embedded etcd
// server and the etcd client with gRPC that the storage factory brings
// (about 340 of the 600 packages core/chat's test linked) took most of
// the time spent linking each test binary that imports testenv, so the
// default build opens bbolt itself, as the factory's bolt driver does,
// and links neither. Without the tag an Env asked for etcd fails its test
// at once (noetcd.go) rather than quietly running on bbolt:
//
//	MEETBOT_TEST_STORE=etcd go test -tags etcdstore ./core/scheduler/ ./adapters/web/
package testenv

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/bolt"
)

// The drivers an Env runs on, by the names storage.Bolt and storage.Etcd
// give them (etcd_test.go checks they agree). They are repeated here so that a
// test asks which store it runs on without importing storage, whose etcd
// driver would link the etcd client and gRPC into every test binary.
const (
	Bolt = "bolt"
	Etcd = "etcd"
)

// StoreEnv is the environment variable that picks the driver of every Env
// whose Options leave Driver empty. While it says etcd, a build without the
// tag etcdstore fails every New (needsTag), even for an Env that would be
// on bbolt anyway (Options.Bubble, an explicit Driver), so a run meant for
// etcd cannot pass on bbolt alone.
const StoreEnv = "MEETBOT_TEST_STORE"

// needsTag is how New fails under MEETBOT_TEST_STORE=etcd in a build
// without the etcd backend (etcdBuilt false; noetcd.go).
const needsTag = "MEETBOT_TEST_STORE=etcd needs -tags etcdstore"

// DefaultDriver is the driver MEETBOT_TEST_STORE names (Bolt when
// unset), for tests that build their own parts on the same backend.
func DefaultDriver() string {
	if d := os.Getenv(StoreEnv); d != "" {
		return d
	}
	return Bolt
}

// SyncBuffer is a log sink safe for concurrent writers, so tests can assert
// on everything that was logged.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// T0 is a Wednesday afternoon in New York, the default start of the clock.
var T0 = time.Date(2026, 11, 25, 14, 0, 0, 0, MustZone("America/New_York"))

// MustZone loads an IANA zone or panics (test data only).
func MustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// noSyncBatchDelay is how long a batched bbolt write waits for others
// under Options.NoSync.
const noSyncBatchDelay = 50 * time.Microsecond

// Options tune an Env; zero values are sensible.
type Options struct {
	CallTimeout time.Duration // default 2s
	Budget      int           // default 1200
	RealClock   bool          // use the wall clock (benchmarks)
	// Bubble says New is called inside a testing/synctest bubble: Env.Time
	// is then the bubble's fake time from Start, so timers and deadlines in
	// the code under test move with it, and Env.Clock is nil. The store is
	// bbolt (an empty Driver means bolt, etcd is refused).
	Bubble bool
	// NoSync runs bbolt without fsync (bolt only; the etcd server never
	// fsyncs), and with a batch delay of noSyncBatchDelay instead of 2 ms:
	// a commit without fsync is cheap, so waiting for company only slows
	// a test's writes down (concurrent writes are still batched).
	NoSync bool
	// Driver is Bolt or Etcd; empty means DefaultDriver().
	Driver   string
	Config   core.Config   // default: New York zone, PublicURL http://meet.test
	Start    time.Time     // clock start; default T0
	JoinKey  []byte        // join-link key; default: generated and kept in the store
	LogSink  io.Writer     // where logs go; default Env.Logs
	Notifier core.Notifier // reminders and announcements; default none
	// SandboxState, when set, keeps the sandbox's rooms and participants
	// in this file (sandbox.Open), as local mode does.
	SandboxState string
	// SandboxRateLimit, when set, makes the sandbox enforce Cloudflare's
	// limit: this many calls per 5 minutes, then a 5-minute lock-out of 429s
	// (sandbox.Options.RateLimit).
	SandboxRateLimit int
	// WriteFault is passed to the bbolt store (see bolt.Options): set, it
	// can fail writes as a full disk would, and the store's readiness
	// cache then runs on the fake clock. It exists only on bbolt: on etcd
	// New skips the test, saying why.
	WriteFault func() error
}

// Env is a running service with its parts exposed for assertions.
type Env struct {
	T       testing.TB
	Dir     string
	Service *core.Service
	// Store is the backend's store (a *bolt.DB, or an *etcd.DB).
	Store core.Store
	// Driver is the driver this Env runs on (Bolt or Etcd).
	Driver  string
	Sandbox *sandbox.Server
	Conf    *realtimekit.Client
	// Time is the service's clock: Clock outside a bubble, the bubble's
	// time inside one (Options.Bubble), the wall clock with
	// Options.RealClock.
	Time core.Clock
	// Clock moves Time by hand outside a bubble; nil inside one, where
	// tests sleep instead.
	Clock  *Clock
	Logs   *SyncBuffer
	Config core.Config
	opts   Options
	// leader is the backend's core.Leader (Leader).
	leader core.Leader
	// etcdPrefix is this Env's keyspace on the shared etcd server, kept
	// across Restart.
	etcdPrefix string
	// serving is the sandbox the in-process transport routes to, swapped
	// by RestartSandbox.
	serving atomic.Pointer[sandbox.Server]
}

// New builds an Env; everything is closed by t.Cleanup.
func New(t testing.TB, o Options) *Env {
	t.Helper()
	if o.CallTimeout == 0 {
		o.CallTimeout = 2 * time.Second
	}
	if o.Budget == 0 {
		o.Budget = 1200
	}
	if o.Start.IsZero() {
		o.Start = T0
	}
	if o.Config.DefaultTimeZone == "" {
		o.Config.DefaultTimeZone = "America/New_York"
	}
	if o.Config.PublicURL == "" {
		o.Config.PublicURL = "http://meet.test"
	}
	if DefaultDriver() == Etcd && !etcdBuilt {
		t.Fatal(needsTag)
	}
	if o.Driver == "" {
		o.Driver = DefaultDriver()
		if o.Bubble {
			o.Driver = Bolt
		}
	}
	switch o.Driver {
	case Bolt:
	case Etcd:
		if !etcdBuilt {
			t.Fatal("testenv: Options.Driver etcd needs -tags etcdstore")
		}
		if o.WriteFault != nil {
			t.Skip("Options.WriteFault acts out a full disk under bbolt; etcd has no such hook (MEETBOT_TEST_STORE=etcd)")
		}
	default:
		t.Fatalf("testenv: driver %q is neither bolt nor etcd (%s)", o.Driver, StoreEnv)
	}
	if o.Bubble && o.Driver != Bolt {
		t.Fatalf("testenv: Options.Bubble needs the bolt driver, not %s: the etcd client's sockets would keep the bubble's time still", o.Driver)
	}
	e := &Env{T: t, Dir: t.TempDir(), Logs: &SyncBuffer{}, Config: o.Config, Driver: o.Driver, opts: o}
	switch {
	case o.Bubble:
		e.Time = BubbleTime(o.Start)
	case o.RealClock:
		e.Clock, e.Time = NewClock(o.Start), core.SystemClock
	default:
		e.Clock = NewClock(o.Start)
		e.Time = e.Clock
	}
	if o.Driver == Etcd {
		e.etcdPrefix = newEtcdPrefix(t)
	}
	e.startSandbox()
	route := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.serving.Load().ServeHTTP(w, r) })
	conf, err := realtimekit.New(realtimekit.Config{
		BaseURL:      SandboxURL + "/client/v4/",
		HTTPClient:   &http.Client{Transport: HandlerTransport{Handler: route}},
		AccountID:    "acc",
		AppID:        "app",
		APIToken:     "test-token",
		CallTimeout:  o.CallTimeout,
		Budget:       o.Budget,
		BudgetWindow: 5 * time.Minute,
	}, e.logger())
	if err != nil {
		t.Fatal(err)
	}
	e.Conf = conf
	e.open()
	return e
}

// open (re)opens the store and builds a service on it, as a process start does.
func (e *Env) open() {
	e.T.Helper()
	if e.Driver == Etcd {
		e.Store, e.leader = e.openEtcd()
	} else {
		e.Store, e.leader = e.openBolt()
	}
	store := e.Store
	e.T.Cleanup(func() { _ = store.Close() })
	svc, err := core.NewService(context.Background(), e.Config, core.Deps{
		Store:      store,
		Conference: e.Conf,
		Clock:      e.Time,
		Notifier:   e.opts.Notifier,
		Logger:     e.logger(),
	}, e.opts.JoinKey)
	if err != nil {
		e.T.Fatal(err)
	}
	e.Service = svc
}

// openBolt opens the bbolt file as the storage factory's bolt driver does
// (storage.Open: bolt.Open and bolt.NewLeader on it), without linking the
// factory's etcd driver.
func (e *Env) openBolt() (core.Store, core.Leader) {
	e.T.Helper()
	o := bolt.Options{NoSync: e.opts.NoSync}
	if e.opts.NoSync {
		o.MaxBatchDelay = noSyncBatchDelay
	}
	if e.opts.WriteFault != nil {
		o.WriteFault, o.Now = e.opts.WriteFault, e.Time.Now
	}
	db, err := bolt.Open(filepath.Join(e.Dir, "meetbot.db"), o)
	if err != nil {
		e.T.Fatal(err)
	}
	return db, bolt.NewLeader(db)
}

// logger writes to Options.LogSink, else to Logs, at debug level so tests
// that look for leaked secrets see every line.
func (e *Env) logger() zerolog.Logger {
	var w io.Writer = e.Logs
	if e.opts.LogSink != nil {
		w = e.opts.LogSink
	}
	return zerolog.New(w).Level(zerolog.DebugLevel)
}

// Restart closes the store and opens it again with a fresh service, as a
// process restart on the same file (or the same etcd prefix) does.
func (e *Env) Restart() {
	e.T.Helper()
	if err := e.Store.Close(); err != nil {
		e.T.Fatal(err)
	}
	e.open()
}

// startSandbox builds the sandbox (from Options.SandboxState when set) and
// routes the loopback server to it.
func (e *Env) startSandbox() {
	e.T.Helper()
	o := sandbox.Options{APIToken: "test-token", Now: e.Time.Now, RateLimit: e.opts.SandboxRateLimit}
	sb := sandbox.New(o)
	if e.opts.SandboxState != "" {
		var err error
		if sb, err = sandbox.Open(e.opts.SandboxState, o); err != nil {
			e.T.Fatal(err)
		}
	}
	e.Sandbox = sb
	e.serving.Store(sb)
}

// RestartSandbox replaces the RealtimeKit sandbox with a new one behind
// the same transport, as restarting local mode does: empty (every room lost)
// unless Options.SandboxState keeps them. Call it while no request is in
// flight.
func (e *Env) RestartSandbox() {
	e.T.Helper()
	e.startSandbox()
}

// Leader is the backend's core.Leader, for tests that run a scheduler.
func (e *Env) Leader() core.Leader { return e.leader }

// Workspace is the workspace Actor puts users in.
var Workspace = core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}

// Actor is user in Workspace, typing in channel C1.
func Actor(user string) core.Actor {
	return core.Actor{User: core.UserKey{Workspace: Workspace, UserID: user}, Name: "User " + user, Channel: "C1"}
}

// Schedule schedules a meeting and makes its video room, as the leader's
// scheduler does at once (the room job), or fails the test. Tests of the
// background creation itself call Service.Schedule and run the job.
func (e *Env) Schedule(a core.Actor, title string, start time.Time, d time.Duration) *core.Meeting {
	e.T.Helper()
	m, err := e.Service.Schedule(context.Background(), a, core.ScheduleRequest{Title: title, Start: start, Duration: d})
	if err != nil {
		e.T.Fatalf("schedule: %v", err)
	}
	return e.MakeRoom(m)
}

// MakeRoom runs m's pending room jobs now, as the scheduler would, and
// returns m as stored afterwards, or fails the test. The jobs' records are
// then dropped by a re-plan, as they are done.
func (e *Env) MakeRoom(m *core.Meeting) *core.Meeting {
	e.T.Helper()
	ctx := context.Background()
	jobs, err := e.Store.FindJobs(ctx, m.Workspace, m.ID)
	if err != nil {
		e.T.Fatalf("room jobs of %s: %v", m.ID, err)
	}
	for _, j := range jobs {
		if j.Kind == core.JobRoom && j.DoneAt.IsZero() {
			if _, err := e.Service.RunJob(ctx, j); err != nil {
				e.T.Fatalf("room job of %s: %v", m.ID, err)
			}
		}
	}
	out, err := e.Store.FindMeetingByID(ctx, m.Workspace, m.ID)
	if err != nil {
		e.T.Fatalf("meeting %s after its room job: %v", m.ID, err)
	}
	// The job ran outside the scheduler, so nothing marked it done: a
	// re-plan drops it, as the meeting no longer waits for a room.
	if err := e.Service.Plan(ctx, out); err != nil {
		e.T.Fatalf("re-plan %s after its room job: %v", m.ID, err)
	}
	return out
}

// WantCode fails the test unless err carries code, and returns the *core.Error.
func WantCode(t testing.TB, err error, code core.Code) *core.Error {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
	e, _ := core.AsError(err)
	return e
}
