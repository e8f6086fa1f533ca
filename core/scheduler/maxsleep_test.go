package scheduler_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/internal/testenv"
)

// clockRunner is a Runner that only records when, on the scheduler's
// clock, each job ran: these tests are about when the loop wakes, not
// about what a job does.
type clockRunner struct {
	clock core.Clock
	mu    sync.Mutex
	ran   map[string]time.Time // job id → the clock when it ran
}

func (r *clockRunner) RunJob(_ context.Context, j core.DueJob) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ran[j.ID] = r.clock.Now()
	return "", nil
}

func (r *clockRunner) runs() map[string]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]time.Time, len(r.ran))
	for k, v := range r.ran {
		out[k] = v
	}
	return out
}

// undoneJobs returns the meeting's jobs not done yet (the room job is,
// testenv.Schedule ran it).
func undoneJobs(t *testing.T, h *harness, m *core.Meeting) []core.DueJob {
	t.Helper()
	jobs, err := h.env.Store.FindJobs(context.Background(), m.Workspace, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []core.DueJob
	for _, j := range jobs {
		if j.DoneAt.IsZero() {
			out = append(out, j)
		}
	}
	if len(out) < 3 {
		t.Fatalf("%d pending jobs for the meeting, want its reminders, open and close", len(out))
	}
	return out
}

// startLoop runs a scheduler on h's store with clock and maxSleep (0: the
// default), leading at once, until the test ends.
func startLoop(t *testing.T, h *harness, clock core.Clock, maxSleep time.Duration) *clockRunner {
	r := &clockRunner{clock: clock, ran: map[string]time.Time{}}
	s := scheduler.New(scheduler.Options{
		Store: h.env.Store, Runner: r, Leader: h.env.Leader(), Clock: clock, Owner: "cap", MaxSleep: maxSleep,
	})
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = s.Run(ctx); close(done) }()
	t.Cleanup(func() { stop(); <-done })
	return r
}

// TestLoopWakesWithinMaxSleepAfterAClockStep: the loop sleeps on a timer
// for the two hours until the next job, then the wall clock steps forward
// three hours (an NTP step, a resumed VM): every job is due now, and the
// loop, capped at the default minute, runs them all within a minute of
// real time instead of sleeping out the two hours.
func TestLoopWakesWithinMaxSleepAfterAClockStep(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := newHarness(t, testenv.Options{Bubble: true})
		var step atomic.Int64
		clock := core.ClockFunc(func() time.Time { return h.env.Time.Now().Add(time.Duration(step.Load())) })
		m := h.env.Schedule(testenv.Actor("ana"), "Later", h.env.Time.Now().Add(2*time.Hour), 30*time.Minute)
		pending := undoneJobs(t, h, m)
		r := startLoop(t, h, clock, 0)

		synctest.Wait() // asleep until the first job, two hours away
		if got := r.runs(); len(got) != 0 {
			t.Fatalf("ran %d jobs before any was due", len(got))
		}
		step.Store(int64(3 * time.Hour))
		time.Sleep(time.Minute + time.Second) // the default cap, and the job's own writes
		synctest.Wait()
		got := r.runs()
		for _, j := range pending {
			if _, ok := got[j.ID]; !ok {
				t.Errorf("%s job (due %v) did not run within a minute of the clock step", j.Kind, j.Due)
			}
		}
	})
}

// TestLoopOnAFastClockIsLateByAtMostMaxSleep runs the loop on a clock 60
// times faster than the timers it sleeps on (cmd/bot's MEETBOT_CLOCK, as
// the soak test uses it) with MaxSleep 1 s: a sleep of d on the clock would
// be 60·d of it without the cap. Every job of a meeting two clock hours
// away runs at most 60 clock seconds (one real second, the cap) after its
// due time, and none early.
func TestLoopOnAFastClockIsLateByAtMostMaxSleep(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const rate = 60
		h := newHarness(t, testenv.Options{Bubble: true})
		epoch, real0 := h.env.Time.Now(), time.Now()
		clock := core.ClockFunc(func() time.Time { return epoch.Add(time.Since(real0) * rate) })
		m := h.env.Schedule(testenv.Actor("ana"), "Soon", epoch.Add(2*time.Hour), 30*time.Minute)
		pending := undoneJobs(t, h, m)
		r := startLoop(t, h, clock, time.Second)

		time.Sleep(3 * time.Minute) // 3 clock hours: past the meeting's end
		synctest.Wait()
		got := r.runs()
		for _, j := range pending {
			at, ok := got[j.ID]
			switch late := at.Sub(j.Due); {
			case !ok:
				t.Errorf("%s job (due %v) never ran", j.Kind, j.Due)
			case late < 0 || late > rate*(time.Second+100*time.Millisecond):
				t.Errorf("%s job ran %v after its due time, want 0 to %v (the cap, on the clock)", j.Kind, late, rate*time.Second)
			}
		}
	})
}
