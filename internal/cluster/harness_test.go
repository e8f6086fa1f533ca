package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/internal/testenv"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// clock is what replicas are given as "now": a *testenv.Clock (moved by
// hand; the test then calls harness.wake, as a timer firing would) or
// core.SystemClock. The schedulers wait on real timers either way.
type clock = core.Clock

// options shape a cluster; zero values are the defaults noted.
type options struct {
	Replicas  int           // default 3
	Clock     clock         // default a *testenv.Clock at testenv.T0
	Config    core.Config   // default: New York zone, reminders at the start only
	LeaderTTL time.Duration // default 1s (etcd's minimum is about a second)
	// Scheduler is the template of every replica's scheduler; Store,
	// Runner, Leader, Clock, Logger, Owner and OnRun are filled in.
	Scheduler scheduler.Options
	// NoScheduler builds replicas that serve requests only.
	NoScheduler bool
	// AfterRun, when set, runs in the runner after a job ran and before
	// the scheduler records it: a hook that can pause a replica between
	// claim and completion.
	AfterRun func(r *replica, j core.DueJob)
	// BeforeClaim, when set, runs before each ClaimDue of a replica's
	// scheduler: a hook that can hold a new leader back from its claims.
	BeforeClaim func(r *replica)
	// Log receives every replica's log lines; default io.Discard.
	Log io.Writer
}

// harness is a running set of replicas on one etcd cluster and one
// RealtimeKit sandbox, and everything the tests observe of them.
type harness struct {
	t         testing.TB
	o         options
	endpoints []string
	prefix    string
	sb        *sandbox.Server
	sbURL     string
	ev        *events

	mu       sync.Mutex
	replicas []*replica
}

// replica is one meetbot process: its own etcd client, service and
// scheduler. gen counts restarts, so every incarnation has its own owner id
// in job claims, as a restarted process has.
type replica struct {
	h     *harness
	index int
	gen   int
	owner string
	db    *etcd.DB
	svc   *core.Service
	sched *scheduler.Scheduler

	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	closed bool
}

// newHarness starts the replicas on the cluster behind endpoints, under a
// prefix of their own.
func newHarness(t testing.TB, endpoints []string, o options) *harness {
	t.Helper()
	if o.Replicas == 0 {
		o.Replicas = 3
	}
	if o.Clock == nil {
		o.Clock = testenv.NewClock(testenv.T0)
	}
	if o.Config.DefaultTimeZone == "" {
		o.Config.DefaultTimeZone = "America/New_York"
	}
	if o.Config.PublicURL == "" {
		o.Config.PublicURL = "http://meet.test"
	}
	if o.Config.Reminders == nil {
		o.Config.Reminders = []time.Duration{0}
	}
	if o.LeaderTTL == 0 {
		o.LeaderTTL = time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	h := &harness{t: t, o: o, endpoints: endpoints, prefix: etcdtest.Prefix(t), ev: newEvents()}
	h.sb = sandbox.New(sandbox.Options{APIToken: "test-token", Now: o.Clock.Now})
	srv := httptest.NewServer(h.sb)
	t.Cleanup(srv.Close)
	h.sbURL = srv.URL
	for i := range o.Replicas {
		h.replicas = append(h.replicas, nil)
		h.start(i, 0)
	}
	t.Cleanup(func() {
		for _, r := range h.all() {
			r.stop()
		}
	})
	return h
}

// all returns the current incarnation of every replica.
func (h *harness) all() []*replica {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*replica(nil), h.replicas...)
}

// replica returns the current incarnation of replica i.
func (h *harness) replica(i int) *replica {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.replicas[i]
}

// wake makes every replica's scheduler look again at the earliest due
// job, as its timer would once the hand-moved clock passed it.
func (h *harness) wake() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.replicas {
		if r != nil && r.sched != nil {
			r.sched.Wake()
		}
	}
}

// start builds incarnation gen of replica i, as a process start does: a
// new client, a new service (which reads the shared secrets from the
// store) and, unless NoScheduler, a scheduler campaigning for the lead and
// watching the due index.
func (h *harness) start(i, gen int) *replica {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{h: h, index: i, gen: gen, owner: fmt.Sprintf("r%d.%d", i, gen), cancel: cancel, done: make(chan struct{})}
	log := zerolog.New(h.o.Log).With().Str("replica", r.owner).Logger()
	db, err := etcd.Open(ctx, etcd.Options{
		Endpoints: h.endpoints,
		Prefix:    h.prefix,
		LeaderTTL: h.o.LeaderTTL,
		ReplicaID: r.owner,
		Logger:    log,
	})
	if err != nil {
		cancel()
		h.t.Fatalf("replica %s: open etcd: %v", r.owner, err)
	}
	r.db = db
	conf, err := realtimekit.New(realtimekit.Config{
		BaseURL:      h.sbURL + "/client/v4/",
		AccountID:    "acc",
		AppID:        "app",
		APIToken:     "test-token",
		CallTimeout:  5 * time.Second,
		Budget:       1 << 30,
		BudgetWindow: 5 * time.Minute,
	}, log)
	if err != nil {
		h.t.Fatal(err)
	}
	svc, err := core.NewService(ctx, h.o.Config, core.Deps{
		Store:      db,
		Conference: conf,
		Clock:      h.o.Clock,
		Notifier:   &notifier{h: h, owner: r.owner},
		Logger:     log,
	}, nil)
	if err != nil {
		h.t.Fatalf("replica %s: service: %v", r.owner, err)
	}
	r.svc = svc
	h.mu.Lock()
	h.replicas[i] = r
	h.mu.Unlock()
	if h.o.NoScheduler {
		close(r.done)
		return r
	}
	so := h.o.Scheduler
	so.Store = recordingStore{DueJobStore: db, r: r}
	so.Runner = runner{r: r}
	so.Leader = trackedLeader{inner: etcd.NewLeader(db), r: r}
	so.Clock = h.o.Clock
	so.Logger = log
	so.Owner = r.owner
	so.OnRun = func(j core.DueJob, o scheduler.Outcome, err error) { h.ev.ran(r.owner, j, o, err) }
	r.sched = scheduler.New(so)
	svc.SetWaker(r.sched.Wake)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = r.sched.Run(ctx) }()
	go func() { defer wg.Done(); db.WatchDue(ctx, r.sched.Wake) }()
	go func() { wg.Wait(); close(r.done) }()
	return r
}

// crash ends replica r as a SIGKILL would, from etcd's view: its loops stop
// and its client goes away without resigning, so its lease runs out after
// the TTL. The replica is then started again as a new incarnation.
func (h *harness) crash(r *replica) *replica {
	h.t.Helper()
	r.stop()
	return h.start(r.index, r.gen+1)
}

// stop cancels the replica's loops, waits for them and closes its client.
func (r *replica) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	r.cancel()
	<-r.done
	_ = r.db.Close()
}

// jobKey carries the id of the job being run to the notifier, so a
// delivery is recorded against its job.
type jobKey struct{}

// runner runs jobs on the replica's service, with the job id in the
// context and the AfterRun hook between the run and its recording.
type runner struct{ r *replica }

func (x runner) RunJob(ctx context.Context, j core.DueJob) (string, error) {
	ref, err := x.r.svc.RunJob(context.WithValue(ctx, jobKey{}, j.ID), j)
	if hook := x.r.h.o.AfterRun; hook != nil {
		hook(x.r, j)
	}
	return ref, err
}

// notifier stands for the chat platform. Like an HTTP call, a post whose
// context has ended does not go out: a replica that knows it lost the lead
// delivers nothing more.
type notifier struct {
	h     *harness
	owner string
}

func (n *notifier) Remind(ctx context.Context, r core.Reminder) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("post aborted: %w", err)
	}
	id, _ := ctx.Value(jobKey{}).(string)
	who := poster(ctx, n.owner)
	n.h.ev.delivered(who, id)
	return "post-by-" + who, nil
}

func (n *notifier) Announce(context.Context, core.Announcement) error { return nil }

// recordingStore is the replica's real etcd store with every CompleteJob
// outcome reported to the events, so tests see a fenced completion being
// refused, and the BeforeClaim hook before every ClaimDue. Everything else
// goes straight to etcd.
type recordingStore struct {
	core.DueJobStore
	r *replica
}

func (s recordingStore) ClaimDue(ctx context.Context, now time.Time, limit int, owner string, rescue time.Duration) ([]core.DueJob, error) {
	if hook := s.r.h.o.BeforeClaim; hook != nil {
		hook(s.r)
	}
	return s.DueJobStore.ClaimDue(ctx, now, limit, owner, rescue)
}

func (s recordingStore) CompleteJob(ctx context.Context, id, owner string, doneAt time.Time, postRef string) error {
	err := s.DueJobStore.CompleteJob(ctx, id, owner, doneAt, postRef)
	s.r.h.ev.completed(owner, poster(ctx, owner), id, err)
	return err
}

// trackedLeader is the replica's etcd Leader, reporting when this replica
// gains and loses the lead.
type trackedLeader struct {
	inner core.Leader
	r     *replica
}

func (l trackedLeader) Lead(ctx context.Context) (context.Context, error) {
	lctx, err := l.inner.Lead(ctx)
	if err != nil {
		return lctx, err
	}
	term := l.r.h.ev.gained(l.r.owner)
	go func() {
		<-lctx.Done()
		l.r.h.ev.lost(l.r.owner, term)
	}()
	return context.WithValue(lctx, termKey{}, term), nil
}

// termKey carries the term of the lead a job runs under, which the
// scheduler keeps in every job's context (it derives them from the lead's).
type termKey struct{}

// poster names who posts or records a job: the owner and its term, as
// owner@term. A replica whose session was revoked keeps running under its
// owner id and may lead again, so one owner can post a reminder in one
// term and record it in another, and a late refusal from an old term must
// not be taken for the new term's outcome.
func poster(ctx context.Context, owner string) string {
	if term, ok := ctx.Value(termKey{}).(int); ok {
		return posterOf(owner, term)
	}
	return owner
}

// posterOf is poster for a known term.
func posterOf(owner string, term int) string { return fmt.Sprintf("%s@%d", owner, term) }

// errDone is returned by waits that gave up because the test's deadline
// passed: a failsafe against a hang, not a timing assertion.
var errDone = errors.New("gave up waiting")

// events is what the tests observe, under one lock with a condition
// variable, so tests wait for a state instead of sleeping.
type events struct {
	mu   sync.Mutex
	cond *sync.Cond

	deliveries map[string][]string // job id → posters (owner@term) that posted it, in order
	ndeliver   int
	// completions maps job id → poster (owner@term) → the CompleteJob
	// error (nil: done).
	completions map[string]map[string]error
	ncomplete   int // successful completions
	runs        []runRecord

	leader    string // owner leading now, "" when none known
	term      int    // counts every gain of the lead
	terms     []termRecord
	firstJobs map[int]time.Time // term → when its leader first completed a job
}

type runRecord struct {
	owner   string
	job     core.DueJob
	outcome scheduler.Outcome
	err     error
	at      time.Time
}

type termRecord struct {
	owner       string
	gained, end time.Time
}

func newEvents() *events {
	e := &events{deliveries: map[string][]string{}, completions: map[string]map[string]error{}, firstJobs: map[int]time.Time{}}
	e.cond = sync.NewCond(&e.mu)
	return e
}

func (e *events) delivered(who, job string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.deliveries[job] = append(e.deliveries[job], who)
	e.ndeliver++
	e.cond.Broadcast()
}

func (e *events) completed(owner, who, job string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.completions[job] == nil {
		e.completions[job] = map[string]error{}
	}
	e.completions[job][who] = err
	if err == nil {
		e.ncomplete++
		if e.leader == owner {
			if _, ok := e.firstJobs[e.term]; !ok {
				e.firstJobs[e.term] = time.Now()
			}
		}
	}
	e.cond.Broadcast()
}

func (e *events) ran(owner string, j core.DueJob, o scheduler.Outcome, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runs = append(e.runs, runRecord{owner: owner, job: j, outcome: o, err: err, at: time.Now()})
	e.cond.Broadcast()
}

func (e *events) gained(owner string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.term++
	e.leader = owner
	e.terms = append(e.terms, termRecord{owner: owner, gained: time.Now()})
	e.cond.Broadcast()
	return e.term
}

func (e *events) lost(owner string, term int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.term == term && e.leader == owner {
		e.leader = ""
	}
	e.terms[term-1].end = time.Now()
	e.cond.Broadcast()
}

// deposed reports whether poster (owner@term) no longer leads: its term
// ended. Call with the lock held.
func (e *events) deposed(poster string) bool {
	_, t, ok := strings.Cut(poster, "@")
	term, err := strconv.Atoi(t)
	if !ok || err != nil || term < 1 || term > len(e.terms) {
		return false
	}
	return !e.terms[term-1].end.IsZero()
}

// wait blocks until cond (called with the lock held) is true, or until
// limit passes, which returns errDone so the test can fail with what it
// saw instead of hanging.
func (e *events) wait(limit time.Duration, cond func() bool) error {
	stop := time.AfterFunc(limit, func() {
		e.mu.Lock()
		e.cond.Broadcast()
		e.mu.Unlock()
	})
	defer stop.Stop()
	deadline := time.Now().Add(limit)
	e.mu.Lock()
	defer e.mu.Unlock()
	for !cond() {
		if !time.Now().Before(deadline) {
			return errDone
		}
		e.cond.Wait()
	}
	return nil
}

// current returns the owner leading now and its term.
func (e *events) current() (string, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leader, e.term
}

// actor is user in workspace ws, typing in channel C1.
func actor(ws core.WorkspaceKey, user string) core.Actor {
	return core.Actor{User: core.UserKey{Workspace: ws, UserID: user}, Name: "User " + user, Channel: "C1"}
}
