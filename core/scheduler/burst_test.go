package scheduler_test

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestBurstOfSchedulesWithinBudget schedules 500 meetings within a minute
// against a sandbox that enforces Cloudflare's limit (1,200 calls per 5
// minutes, then a 5-minute lock-out). The room jobs, run by the real
// scheduler loop with its default retries, stay inside the API budget's
// background share: all 500 rooms are made, none twice, without a single
// 429, while joins (interactive) still get through at the height of it. It
// runs in a synctest bubble, so the minutes it takes are fake time.
//
// Under the race detector it runs at a fifth of that scale: 100 meetings
// in the same minute against a limit (and budget) of 240 calls per 5
// minutes. The rooms still need more calls (about two each) than the
// background share of one window holds, so the budget must hold them back
// into the next windows exactly as at full scale, and joins still come at
// the height of it; the full scale runs in the -short pass.
func TestBurstOfSchedulesWithinBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testBurstOfSchedulesWithinBudget)
}

func testBurstOfSchedulesWithinBudget(t *testing.T) {
	n, limit := 500, 1200
	if raceEnabled {
		n, limit = 100, 240
	}
	h := newHarness(t, testenv.Options{Bubble: true, Budget: limit, SandboxRateLimit: limit})
	ctx := context.Background()
	sched := scheduler.New(scheduler.Options{
		Store: h.env.Store, Runner: h.env.Service, Leader: h.env.Leader(), Clock: h.env.Time,
		Logger: zerolog.Nop(), Owner: "burst",
		OnRun: func(j core.DueJob, o scheduler.Outcome, _ error) {
			if o == scheduler.GivenUp {
				t.Errorf("job %s given up", j.ID)
			}
		},
	})
	h.env.Service.SetWaker(sched.Wake)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = sched.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()

	// A meeting open now, for the joins during the burst.
	live, err := h.env.Service.Schedule(ctx, testenv.Actor("ana"), core.ScheduleRequest{Title: "Live", Now: true, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t0 := h.env.Time.Now()
	ids := make([]string, 0, n)
	for i := range n {
		m, err := h.env.Service.Schedule(ctx, testenv.Actor("ana"), core.ScheduleRequest{Title: fmt.Sprintf("B%d", i), Start: t0.Add(3 * time.Hour), Duration: 30 * time.Minute})
		if err != nil {
			t.Fatalf("schedule %d: %v", i, err)
		}
		ids = append(ids, m.ID)
		time.Sleep(50 * time.Second / time.Duration(n)) // all n in 50 s
	}
	// The background share (three quarters of the limit) is spent by now;
	// people joining are still served from the rest.
	for i := range 5 {
		if _, err := h.env.Service.Join(ctx, testenv.Actor(fmt.Sprintf("j%d", i)), live.ID); err != nil {
			t.Fatalf("join %d at the height of the burst: %v", i, err)
		}
	}
	// Wait, in fake time, until every meeting has its room.
	made := func() int {
		k := 0
		for _, id := range ids {
			if m, err := h.env.Store.FindMeetingByID(ctx, testenv.Workspace, id); err == nil && m.RoomID != "" {
				k++
			}
		}
		return k
	}
	for made() < n && h.env.Time.Now().Before(t0.Add(30*time.Minute)) {
		time.Sleep(30 * time.Second)
	}
	took := h.env.Time.Now().Sub(t0)
	if k := made(); k != n {
		t.Fatalf("%d of %d rooms made after %v", k, n, took)
	}
	if got := len(h.env.Sandbox.Meetings()); got != n+1 {
		t.Fatalf("%d rooms upstream, want %d (one per meeting and the live one)", got, n+1)
	}
	if k := h.env.Sandbox.RateLimited(); k != 0 {
		t.Fatalf("the sandbox answered 429 %d times", k)
	}
	t.Logf("%d rooms made %v after the burst began, %d calls in all (limit %d per 5 minutes)", n, took.Round(time.Second), h.env.Sandbox.TotalCalls(), limit)
}
