package scheduler_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/internal/testenv"
)

// signallingLeader grants the contexts the test sends and reports each
// campaign, so the test knows when the loop has stepped down.
type signallingLeader struct {
	grant    chan context.Context
	campaign chan struct{}
}

func (l *signallingLeader) Lead(ctx context.Context) (context.Context, error) {
	l.campaign <- struct{}{}
	select {
	case lctx := <-l.grant:
		return lctx, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestOnLeadRunsEachLeadershipBeforeClaims: OnLead runs every time
// leadership starts, with a context that ends with it, and before the loop
// claims its first job; Leading says whether the process leads.
//
// It runs in a synctest bubble, so the loop's timers follow the clock.
func TestOnLeadRunsEachLeadershipBeforeClaims(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testOnLeadRunsEachLeadershipBeforeClaims)
}

func testOnLeadRunsEachLeadershipBeforeClaims(t *testing.T) {
	h := newHarness(t, testenv.Options{Bubble: true})
	leader := &signallingLeader{grant: make(chan context.Context), campaign: make(chan struct{}, 1)}
	var (
		mu    sync.Mutex
		order []string
	)
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	leads := make(chan context.Context, 2)
	h.sched = scheduler.New(scheduler.Options{
		Store: h.env.Store, Runner: h.env.Service, Leader: leader, Clock: h.env.Time, Owner: "onlead",
		OnLead: func(ctx context.Context) { note("lead"); leads <- ctx },
		OnRun: func(j core.DueJob, o scheduler.Outcome, _ error) {
			note("run " + string(j.Kind))
			h.runs <- run{job: j, outcome: o, at: h.env.Time.Now()}
		},
	})
	// A reminder is due when leadership starts: it must not run before OnLead.
	now := h.env.Time.Now()
	h.env.Schedule(testenv.Actor("ana"), "Soon", now.Add(15*time.Minute), 30*time.Minute)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan struct{})
	go func() { _ = h.sched.Run(ctx); close(done) }()

	<-leader.campaign
	if h.sched.Leading() {
		t.Fatal("Leading before any leadership was granted")
	}
	h.sleepUntil(now.Add(5 * time.Minute))
	lctx, lose := context.WithCancel(ctx)
	leader.grant <- lctx
	got := <-leads
	if !h.sched.Leading() {
		t.Error("Leading is false inside OnLead")
	}
	waitRun(t, h, core.JobRemind)
	mu.Lock()
	if len(order) < 2 || order[0] != "lead" {
		t.Errorf("order %v: OnLead must come before the first run", order)
	}
	mu.Unlock()

	// Losing leadership ends OnLead's context; the loop campaigns again,
	// no longer leading, and a second leadership runs OnLead again.
	lose()
	<-got.Done()
	<-leader.campaign
	if h.sched.Leading() {
		t.Error("Leading after leadership was lost")
	}
	leader.grant <- ctx
	if second := <-leads; second.Err() != nil {
		t.Errorf("second leadership's context already ended: %v", second.Err())
	}
	stop()
	<-done
	if h.sched.Leading() {
		t.Error("Leading after Run returned")
	}
}
