package scheduler_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/internal/testenv"
)

// These tests run the scheduler on real parts (internal/testenv): a store
// (bbolt, or etcd with MEETBOT_TEST_STORE=etcd), the service, and the
// RealtimeKit SDK against the sandbox. Most call RunDue themselves and move
// the hand-moved clock to each due time (stepTo), so they run on either
// store and nothing waits. The ones that run the loop itself, which sleeps
// on real timers, run in a testing/synctest bubble (testenv.Options.Bubble),
// always on bbolt.

// sent is one reminder a notifier received, with the clock at that moment.
type sent struct {
	at       time.Time
	reminder core.Reminder
}

// recorder is a core.Notifier that remembers what it was asked to post,
// and can be told to fail.
type recorder struct {
	clock    core.Clock
	mu       sync.Mutex
	sent     []sent
	announce []core.Announcement
	failN    int // fail this many Remind calls first
	failAll  bool
}

func (r *recorder) Remind(_ context.Context, rem core.Reminder) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failAll || r.failN > 0 {
		r.failN--
		return "", errors.New("chat is down")
	}
	r.sent = append(r.sent, sent{at: r.clock.Now(), reminder: rem})
	return "post", nil
}

func (r *recorder) Announce(_ context.Context, a core.Announcement) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.announce = append(r.announce, a)
	return nil
}

// announcements returns a copy of the announcements received so far.
func (r *recorder) announcements() []core.Announcement {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]core.Announcement(nil), r.announce...)
}

func (r *recorder) all() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sent(nil), r.sent...)
}

type harness struct {
	env   *testenv.Env
	rec   *recorder
	sched *scheduler.Scheduler
	runs  chan run
	// batch is the schedulers' claim batch; 0 is the default (256).
	batch int
}

type run struct {
	job     core.DueJob
	outcome scheduler.Outcome
	at      time.Time
}

func newHarness(t testing.TB, o testenv.Options) *harness {
	t.Helper()
	return newHarnessBatch(t, o, 0)
}

// newHarnessBatch is newHarness with a claim batch for its schedulers (0:
// the scheduler's default).
func newHarnessBatch(t testing.TB, o testenv.Options, batch int) *harness {
	t.Helper()
	h := &harness{rec: &recorder{}, runs: make(chan run, 1<<16), batch: batch}
	o.Notifier = h.rec
	if o.Budget == 0 {
		o.Budget = 1 << 30
	}
	o.NoSync = true
	h.env = testenv.New(t, o)
	h.rec.clock = h.env.Time
	h.build()
	return h
}

// build makes a scheduler on the current store and service (again after a
// restart).
func (h *harness) build() {
	h.sched = scheduler.New(scheduler.Options{
		Store:       h.env.Store,
		Runner:      h.env.Service,
		Leader:      h.env.Leader(),
		Clock:       h.env.Time,
		Logger:      zerolog.New(h.env.Logs),
		Owner:       "test",
		Batch:       h.batch,
		Rescue:      time.Minute,
		MaxAttempts: 4,
		BaseBackoff: 10 * time.Second,
		MaxBackoff:  time.Minute,
		Jitter:      func() float64 { return 0.5 }, // no jitter: exact retry times
		OnRun: func(j core.DueJob, o scheduler.Outcome, _ error) {
			h.runs <- run{job: j, outcome: o, at: h.env.Time.Now()}
		},
	})
	h.env.Service.SetWaker(h.sched.Wake)
}

// restart closes and reopens the store, with a fresh service and scheduler.
func (h *harness) restart() {
	h.env.Restart()
	h.env.Service.SetNotifier(h.rec)
	h.build()
}

// stepTo runs every job due up to and including until, moving the clock to
// each due time in turn. It returns the number of jobs run.
func (h *harness) stepTo(t testing.TB, until time.Time) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	for {
		next, ok, err := h.env.Store.NextDue(ctx, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || next.After(until) {
			h.env.Clock.Set(until)
			return n
		}
		if next.After(h.env.Time.Now()) {
			h.env.Clock.Set(next)
		}
		k, err := h.sched.RunDue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			t.Fatalf("NextDue said %v, but nothing was claimable at %v", next, h.env.Time.Now())
		}
		n += k
	}
}

// sleepUntil lets a bubble's time pass up to until (harnesses built with
// Options.Bubble, which have no hand-moved clock): every timer due on the
// way fires at its time.
func (h *harness) sleepUntil(until time.Time) {
	time.Sleep(until.Sub(h.env.Time.Now()))
}

// drainRuns returns the runs recorded so far.
func (h *harness) drainRuns() []run {
	var out []run
	for {
		select {
		case r := <-h.runs:
			out = append(out, r)
		default:
			return out
		}
	}
}
