package scheduler_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/internal/testenv"
)

// revocableLeader leads until its context is cancelled by the test, then
// blocks new campaigns until told otherwise.
type revocableLeader struct {
	grant chan context.Context
}

func (l *revocableLeader) Lead(ctx context.Context) (context.Context, error) {
	select {
	case lctx := <-l.grant:
		return lctx, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// waitRun waits for the loop to report a run of kind.
func waitRun(t *testing.T, h *harness, kind core.JobKind) run {
	t.Helper()
	for {
		select {
		case r := <-h.runs:
			if r.job.Kind == kind {
				return r
			}
		case <-time.After(10 * time.Second): // a deadlock guard (fake time in a bubble), not synchronisation
			t.Fatalf("no %s job ran", kind)
		}
	}
}

// TestLoopSleepsUntilDueAndWakes runs the real loop: it sleeps on a timer
// until the earliest job, wakes early for a newly planned earlier job, and
// stops acting the moment leadership is lost. It runs in a synctest
// bubble: the loop sleeps on a real timer, which fires on the bubble's
// fake time, and synctest.Wait says when the loop has gone to sleep.
func TestLoopSleepsUntilDueAndWakes(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testLoopSleepsUntilDueAndWakes)
}

func testLoopSleepsUntilDueAndWakes(t *testing.T) {
	h := newHarness(t, testenv.Options{Bubble: true})
	leader := &revocableLeader{grant: make(chan context.Context, 1)}
	h.sched = scheduler.New(scheduler.Options{
		Store: h.env.Store, Runner: h.env.Service, Leader: leader, Clock: h.env.Time, Owner: "loop",
		OnRun: func(j core.DueJob, o scheduler.Outcome, _ error) {
			h.runs <- run{job: j, outcome: o, at: h.env.Time.Now()}
		},
	})
	h.env.Service.SetWaker(h.sched.Wake)
	now := h.env.Time.Now()
	far := h.env.Schedule(testenv.Actor("ana"), "Far", now.Add(5*time.Hour), 30*time.Minute)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	lctx, lose := context.WithCancel(ctx)
	leader.grant <- lctx
	done := make(chan struct{})
	go func() { _ = h.sched.Run(ctx); close(done) }()

	// Ensure the loop goes to sleep on one timer (nothing is due) and runs nothing.
	synctest.Wait()
	if got := h.drainRuns(); len(got) != 0 {
		t.Fatalf("ran %d jobs with nothing due", len(got))
	}
	// Ensure scheduling an earlier meeting wakes it to run that job on time.
	near := h.env.Schedule(testenv.Actor("ana"), "Near", now.Add(20*time.Minute), 30*time.Minute)
	synctest.Wait()
	h.sleepUntil(now.Add(10 * time.Minute))
	r := waitRun(t, h, core.JobRemind)
	// On time: reported within a second of fake time after its due time
	// (the run itself may wait out bbolt's 2 ms write batch in the bubble).
	if late := r.at.Sub(now.Add(10 * time.Minute)); r.job.Meeting != near.ID || late < 0 || late > time.Second {
		t.Fatalf("first reminder %v late: %+v", late, r)
	}
	// Ensure losing leadership stops the loop acting: jobs come due and
	// nothing runs; regaining it runs them.
	// The loop is asleep again, so every run of that batch (the near
	// meeting's provision job too) has been reported: drain them, so only
	// a run after lose() can fail the check below.
	// A second of fake time first: a job of that batch may still be
	// waiting on bbolt's 2 ms write batch, which synctest.Wait counts as
	// asleep.
	time.Sleep(time.Second)
	synctest.Wait()
	h.drainRuns()
	lose()
	h.sleepUntil(now.Add(5*time.Hour - 10*time.Minute))
	select {
	case r := <-h.runs:
		t.Fatalf("ran %s without leadership", r.job.ID)
	default:
	}
	leader.grant <- ctx
	r = waitRun(t, h, core.JobRemind)
	if r.job.Meeting != near.ID && r.job.Meeting != far.ID {
		t.Fatalf("after regaining leadership: %+v", r)
	}
	stop()
	<-done
}
