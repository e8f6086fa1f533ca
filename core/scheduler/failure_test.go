package scheduler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestCrashBetweenClaimAndCompletion claims jobs as a process that then
// dies; after the rescue timeout another run takes them and delivers once.
func TestCrashBetweenClaimAndCompletion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	start := h.env.Time.Now().Add(20 * time.Minute)
	m := h.env.Schedule(testenv.Actor("ana"), "Crash", start, 30*time.Minute)
	h.env.Clock.Set(start.Add(-10 * time.Minute))
	// The reminder and the provisioning are both due 10 minutes ahead.
	claimed, err := h.env.Store.ClaimDue(ctx, h.env.Time.Now(), 10, "dead-process", time.Minute)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim as the dying process: %+v %v", claimed, err)
	}
	// Ensure the claim holds until the rescue timeout...
	if n, _ := h.sched.RunDue(ctx); n != 0 {
		t.Fatalf("a fresh claim was taken over: %d jobs", n)
	}
	// ...and is rescued and delivered once after it.
	h.env.Clock.Advance(time.Minute)
	if n, _ := h.sched.RunDue(ctx); n != 2 {
		t.Fatalf("rescued %d jobs, want 2", n)
	}
	if got := h.rec.all(); len(got) != 1 || got[0].reminder.Meeting.ID != m.ID {
		t.Fatalf("reminders = %+v", got)
	}
	h.stepTo(t, start.Add(2*time.Hour))
	if got := h.rec.all(); len(got) != 2 {
		t.Fatalf("reminders after the meeting = %d, want 2 (10m and start)", len(got))
	}
}

// TestNotifierFailures retries a failing notifier with backoff, and gives
// up (logged with the meeting id) after the cap.
func TestNotifierFailures(t *testing.T) {
	t.Parallel()
	t.Run("recovers", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, testenv.Options{})
		h.rec.failN = 2
		start := h.env.Time.Now().Add(30 * time.Minute)
		h.env.Schedule(testenv.Actor("ana"), "Flaky", start, 30*time.Minute)
		h.stepTo(t, start.Add(-10*time.Minute+time.Hour/2))
		var retries []time.Time
		for _, r := range h.drainRuns() {
			if r.job.Kind == core.JobRemind && r.job.Lead == 10*time.Minute {
				retries = append(retries, r.at)
			}
		}
		// Ensure attempts at due, +10s, +20s (base 10s doubling, no jitter).
		due := start.Add(-10 * time.Minute)
		want := []time.Time{due, due.Add(10 * time.Second), due.Add(30 * time.Second)}
		if len(retries) != 3 {
			t.Fatalf("runs of the reminder at %v, want %v", retries, want)
		}
		for i := range want {
			if !retries[i].Equal(want[i]) {
				t.Fatalf("runs of the reminder at %v, want %v", retries, want)
			}
		}
		if got := h.rec.all(); len(got) < 1 || got[0].reminder.Lead != 10*time.Minute {
			t.Fatalf("reminder not delivered after retries: %+v", got)
		}
	})
	t.Run("gives up", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, testenv.Options{})
		h.rec.failAll = true
		start := h.env.Time.Now().Add(30 * time.Minute)
		m := h.env.Schedule(testenv.Actor("ana"), "Down", start, 30*time.Minute)
		h.stepTo(t, start.Add(time.Hour))
		givenUp := 0
		for _, r := range h.drainRuns() {
			if r.outcome == scheduler.GivenUp {
				givenUp++
			}
		}
		if givenUp != 2 {
			t.Fatalf("given up %d jobs, want both reminders", givenUp)
		}
		jobs, _ := h.env.Store.FindJobs(context.Background(), m.Workspace, m.ID)
		for _, j := range jobs {
			if j.Kind == core.JobRemind && (!j.Failed || j.Attempts+1 < 4 && j.Attempts < 3) {
				t.Fatalf("job %+v not given up after the cap", j)
			}
		}
		if logs := h.env.Logs.String(); !strings.Contains(logs, "given up") || !strings.Contains(logs, `"meeting":"`+m.ID+`"`) {
			t.Fatalf("give-up not logged with the meeting id:\n%s", logs)
		}
		// The room still opened and closed: only reminders failed.
		info, _ := h.env.Sandbox.Meeting(m.RoomID)
		if info.Status != "INACTIVE" {
			t.Fatalf("room %s", info.Status)
		}
	})
}

// TestLateRemindersAfterDowntime: a reminder for an occurrence already over
// is dropped; one still useful is sent once, saying it started.
func TestLateRemindersAfterDowntime(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	now := h.env.Time.Now()
	over := h.env.Schedule(testenv.Actor("ana"), "Over", now.Add(20*time.Minute), 15*time.Minute)
	running := h.env.Schedule(testenv.Actor("ana"), "Running", now.Add(20*time.Minute), 2*time.Hour)
	// The process is down for an hour: everything is late.
	h.env.Clock.Set(now.Add(time.Hour + 20*time.Minute))
	if _, err := h.sched.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := h.rec.all()
	for _, s := range got {
		if s.reminder.Meeting.ID == over.ID {
			t.Fatalf("reminder for an occurrence already over was sent: %+v", s)
		}
	}
	// Only the latest of its two late reminders goes out.
	if len(got) != 1 || got[0].reminder.Meeting.ID != running.ID || got[0].reminder.Lead != 0 || got[0].reminder.Late < time.Hour {
		t.Fatalf("late reminders = %+v", got)
	}
	// Open and close always run: the over meeting's room is closed, the
	// running one's is open.
	if i, _ := h.env.Sandbox.Meeting(over.RoomID); i.Status != "INACTIVE" {
		t.Fatalf("over room %s", i.Status)
	}
	if i, _ := h.env.Sandbox.Meeting(running.RoomID); i.Status != "ACTIVE" {
		t.Fatalf("running room %s", i.Status)
	}
}

// TestCloseJobLogsNoError: a close job re-plans its own meeting (the next
// occurrence), which replaces the job it is running; that is not an error.
func TestCloseJobLogsNoError(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	start := h.env.Time.Now().Add(30 * time.Minute)
	h.env.Schedule(testenv.Actor("ana"), "Close", start, 15*time.Minute)
	h.stepTo(t, start.Add(time.Hour))
	if logs := h.env.Logs.String(); strings.Contains(logs, `"level":"error"`) {
		t.Fatalf("error logged during a normal meeting:\n%s", logs)
	}
}

// TestRevocationRetried: a removal whose upstream delete failed is retried
// by a revoke job until the participant is gone, so the removed user's old
// token stops working.
func TestRevocationRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	m := h.env.Schedule(testenv.Actor("ana"), "Revoke", h.env.Time.Now(), time.Hour)
	link, err := h.env.Service.Join(ctx, testenv.Actor("bo"), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	page, err := h.env.Service.OpenLink(ctx, strings.TrimPrefix(link.URL, "http://meet.test/j/"))
	if err != nil {
		t.Fatal(err)
	}
	h.env.Sandbox.AddFault(sandbox.Fault{Op: sandbox.OpDeleteParticipant, Status: 503, Times: 2})
	res, err := h.env.Service.Remove(ctx, testenv.Actor("ana"), m.ID, []string{"bo"})
	if err != nil || len(res.Pending) != 1 {
		t.Fatalf("remove: %+v %v", res, err)
	}
	h.stepTo(t, h.env.Time.Now().Add(10*time.Minute))
	if _, err := h.env.Store.FindParticipant(ctx, m.Workspace, m.ID, "bo"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("participant still stored: %v", err)
	}
	if err := h.env.Sandbox.Join(page.Token); err == nil {
		t.Fatal("the removed user's old token still joins")
	}
}
