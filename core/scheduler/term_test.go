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

// gatedRunner holds every job in RunJob until the test opens the gate, and
// says when a job has entered, so a test can stop or depose the scheduler
// while a job is half done.
type gatedRunner struct {
	next    scheduler.Runner
	entered chan core.DueJob
	gate    chan struct{}
	ctxErr  chan error // the job context's error when the gate opened
}

func (g *gatedRunner) RunJob(ctx context.Context, j core.DueJob) (string, error) {
	g.entered <- j
	select {
	case <-g.gate:
	case <-ctx.Done():
	}
	g.ctxErr <- ctx.Err()
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return g.next.RunJob(ctx, j)
}

// TestNewTermRetakesClaimsAtOnce: a claim left by an earlier leader (it
// died between claim and completion) is taken over by the next term's
// first claim, not after Rescue, so the reminder is late only by the
// failover itself.
func TestNewTermRetakesClaimsAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, testenv.Options{Bubble: true})
		now := h.env.Time.Now()
		m := h.env.Schedule(testenv.Actor("ana"), "Standup", now.Add(10*time.Minute), 30*time.Minute)
		h.sleepUntil(now.Add(5 * time.Minute))
		// The dead leader's claim: every job due by now, owned by "dead".
		stale, err := h.env.Store.ClaimDue(context.Background(), h.env.Time.Now(), 100, "dead", time.Hour)
		if err != nil || len(stale) == 0 {
			t.Fatalf("stale claim: %d jobs, %v", len(stale), err)
		}
		leader := &revocableLeader{grant: make(chan context.Context, 1)}
		sched := scheduler.New(scheduler.Options{
			Store: h.env.Store, Runner: h.env.Service, Leader: leader, Clock: h.env.Time, Owner: "new",
			Rescue: time.Hour,
			OnRun: func(j core.DueJob, o scheduler.Outcome, _ error) {
				h.runs <- run{job: j, outcome: o, at: h.env.Time.Now()}
			},
		})
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		leader.grant <- ctx
		done := make(chan struct{})
		go func() { _ = sched.Run(ctx); close(done) }()
		// Wait for a run of every stale job (fake time: a job that waits on
		// a timer lets the bubble's clock move). Each must run well before
		// Rescue, an hour, would have let anyone take it.
		ran := map[string]bool{}
		for len(ran) < len(stale) {
			select {
			case r := <-h.runs:
				if late := r.at.Sub(now.Add(5 * time.Minute)); late > time.Minute {
					t.Errorf("%s ran %v after the term began, want at once", r.job.ID, late)
				}
				ran[r.job.ID] = true
			case <-time.After(30 * time.Minute): // fake time: a deadlock guard
				t.Fatalf("stale claims not retaken by the new term (Rescue is an hour): ran %v of %v", ran, stale)
			}
		}
		jobs, _ := h.env.Store.FindJobs(context.Background(), m.Workspace, m.ID)
		for _, j := range jobs {
			if ran[j.ID] && j.DoneAt.IsZero() {
				t.Errorf("%s ran but is not recorded done", j.ID)
			}
		}
		stop()
		<-done
	})
}

// TestGracefulStopLetsRunningJobsFinish: ending Run's context (SIGTERM)
// starts no new job but lets the one in flight finish and be recorded, so
// it is not sent again by the next leader; losing leadership instead
// cancels it at once.
func TestGracefulStopLetsRunningJobsFinish(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		deposed bool
	}{{"stop", false}, {"deposed", true}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := newHarness(t, testenv.Options{Bubble: true})
				now := h.env.Time.Now()
				m := h.env.Schedule(testenv.Actor("ana"), "Standup", now.Add(10*time.Minute), 30*time.Minute)
				h.sleepUntil(now.Add(9 * time.Minute))
				g := &gatedRunner{next: h.env.Service, entered: make(chan core.DueJob, 64), gate: make(chan struct{}), ctxErr: make(chan error, 64)}
				leader := &revocableLeader{grant: make(chan context.Context, 1)}
				sched := scheduler.New(scheduler.Options{
					Store: h.env.Store, Runner: g, Leader: leader, Clock: h.env.Time, Owner: "a",
					Workers: 1, Drain: time.Minute,
				})
				ctx, stop := context.WithCancel(context.Background())
				defer stop()
				lctx, lose := context.WithCancel(ctx)
				defer lose()
				leader.grant <- lctx
				done := make(chan struct{})
				go func() { _ = sched.Run(ctx); close(done) }()
				first := <-g.entered
				if tc.deposed {
					lose()
				} else {
					stop()
				}
				synctest.Wait()
				if !tc.deposed {
					close(g.gate) // the job finishes inside Drain
				}
				if err := <-g.ctxErr; (err != nil) != tc.deposed {
					t.Fatalf("job context error = %v; want cancelled only when deposed", err)
				}
				if tc.deposed {
					stop()
				}
				<-done
				if n := len(g.entered); n != 0 {
					t.Errorf("%d more jobs started after the stop", n)
				}
				jobs, _ := h.env.Store.FindJobs(context.Background(), m.Workspace, m.ID)
				for _, j := range jobs {
					if j.ID == first.ID && j.DoneAt.IsZero() != tc.deposed {
						t.Errorf("job %s done=%v after %s", j.ID, !j.DoneAt.IsZero(), tc.name)
					}
				}
			})
		})
	}
}
