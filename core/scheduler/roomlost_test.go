package scheduler_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/internal/testenv"
)

// meeting reloads m from the store.
func (h *harness) meeting(t *testing.T, m *core.Meeting) *core.Meeting {
	t.Helper()
	got, err := h.env.Store.FindMeetingByID(context.Background(), m.Workspace, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestLostRoomReplacedAtOnce replays issue 10's item 8: the sandbox
// restarts empty, so every room meetbot recorded answers 404. The
// provisioning job, the open job and a join each replace the lost room at
// once, through the same path, with no failed run and no retry.
func TestLostRoomReplacedAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	ctx := context.Background()
	ana := testenv.Actor("ana")
	start := h.env.Time.Now().Add(time.Hour)
	withYes := h.env.Schedule(ana, "Provisioned", start, 30*time.Minute)
	if _, err := h.env.Service.RSVP(ctx, testenv.Actor("bo"), withYes.ID, core.RSVPYes); err != nil {
		t.Fatal(err)
	}
	bare := h.env.Schedule(ana, "Opened", start, 30*time.Minute)
	// A third meeting is open already when the rooms are lost: its room is
	// recorded ACTIVE, so only the join's add-participant sees the 404.
	now := h.env.Schedule(ana, "Running", h.env.Time.Now().Add(2*time.Minute), 2*time.Hour)
	if _, err := h.env.Service.Join(ctx, ana, now.ID); err != nil {
		t.Fatal(err)
	}
	old := map[string]string{}
	for _, m := range []*core.Meeting{withYes, bare, now} {
		old[m.ID] = h.meeting(t, m).RoomID
	}
	h.drainRuns()
	h.env.RestartSandbox()

	h.stepTo(t, start.Add(-5*time.Minute)) // provisioning at -10m, open at -5m
	for _, r := range h.drainRuns() {
		if r.outcome != scheduler.Done {
			t.Errorf("%s job of meeting %s: outcome %v at %v", r.job.Kind, r.job.Meeting, r.outcome, r.at)
		}
	}
	if _, err := h.env.Service.Join(ctx, testenv.Actor("cy"), now.ID); err != nil {
		t.Fatalf("join after the room was lost: %v", err)
	}
	for _, m := range []*core.Meeting{withYes, bare, now} {
		got := h.meeting(t, m)
		info, ok := h.env.Sandbox.Meeting(got.RoomID)
		if got.RoomID == old[m.ID] || !ok || info.Status != sandbox.StatusActive || got.RoomStatus != core.RoomActive {
			t.Fatalf("meeting %s: room %q (was %q), upstream %+v %v, recorded %s", m.ID, got.RoomID, old[m.ID], info, ok, got.RoomStatus)
		}
	}
	// bo's participant was made in the new room ahead of the start, so
	// bo's join needs no add-participant call.
	if info, _ := h.env.Sandbox.Meeting(h.meeting(t, withYes).RoomID); info.Participants != 1 {
		t.Fatalf("participants provisioned in the new room: %+v", info.Roster)
	}
	h.env.Sandbox.ResetCalls()
	if _, err := h.env.Service.Join(ctx, testenv.Actor("bo"), withYes.ID); err != nil {
		t.Fatal(err)
	}
	if n := h.env.Sandbox.Calls(sandbox.OpAddParticipant); n != 0 {
		t.Fatalf("bo's join made %d add-participant calls", n)
	}
}

// TestSandboxStateSurvivesRestart: with a state file (local mode), a
// restarted sandbox still knows every room and participant, so nothing is
// recreated and the window's start needs no call for provisioned people.
func TestSandboxStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{SandboxState: filepath.Join(t.TempDir(), "sandbox.json")})
	ctx := context.Background()
	start := h.env.Time.Now().Add(time.Hour)
	m := h.env.Schedule(testenv.Actor("ana"), "Kept", start, 30*time.Minute)
	if _, err := h.env.Service.RSVP(ctx, testenv.Actor("bo"), m.ID, core.RSVPYes); err != nil {
		t.Fatal(err)
	}
	h.stepTo(t, start.Add(-10*time.Minute)) // provisioned
	room := h.meeting(t, m).RoomID
	h.env.RestartSandbox()
	h.restart() // meetbot restarts too, as local mode does
	h.env.Sandbox.ResetCalls()
	h.stepTo(t, start.Add(-5*time.Minute))
	if _, err := h.env.Service.Join(ctx, testenv.Actor("bo"), m.ID); err != nil {
		t.Fatal(err)
	}
	got := h.meeting(t, m)
	info, ok := h.env.Sandbox.Meeting(room)
	if got.RoomID != room || !ok || info.Status != sandbox.StatusActive || info.Participants != 1 {
		t.Fatalf("room %q (was %q), upstream %+v %v", got.RoomID, room, info, ok)
	}
	if n, a := h.env.Sandbox.Calls(sandbox.OpCreateMeeting), h.env.Sandbox.Calls(sandbox.OpAddParticipant); n != 0 || a != 0 {
		t.Fatalf("after the restart: %d create-meeting and %d add-participant calls", n, a)
	}
}

// TestRetryStaysInsideWindow: however long the configured backoff, a
// failing open is retried inside the window it serves, more often as the
// window runs out, and opens the room once the video service answers.
func TestRetryStaysInsideWindow(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	h.sched = scheduler.New(scheduler.Options{
		Store: h.env.Store, Runner: h.env.Service, Leader: h.env.Leader(),
		Clock: h.env.Time, Logger: zerolog.New(h.env.Logs), Owner: "test", Rescue: time.Minute,
		MaxAttempts: 100, BaseBackoff: time.Hour, MaxBackoff: 10 * time.Hour,
		Jitter: func() float64 { return 0.99 },
		OnRun: func(j core.DueJob, o scheduler.Outcome, _ error) {
			h.runs <- run{job: j, outcome: o, at: h.env.Time.Now()}
		},
	})
	start := h.env.Time.Now().Add(time.Hour)
	m := h.env.Schedule(testenv.Actor("ana"), "Flaky open", start, 30*time.Minute)
	opens, closes := start.Add(-5*time.Minute), start.Add(35*time.Minute)
	h.env.Sandbox.AddFault(sandbox.Fault{Op: sandbox.OpUpdateMeeting, Status: 503, Times: 4})
	h.stepTo(t, closes.Add(-time.Second))
	var tries []time.Time
	for _, r := range h.drainRuns() {
		if r.job.Kind == core.JobOpen {
			tries = append(tries, r.at)
		}
	}
	if len(tries) != 5 || !tries[0].Equal(opens) {
		t.Fatalf("open ran at %v, want 5 runs from %v", tries, opens)
	}
	for i := 1; i < len(tries); i++ {
		gap, left := tries[i].Sub(tries[i-1]), closes.Sub(tries[i-1])
		if !tries[i].Before(closes) || gap > left/2 {
			t.Fatalf("retry %d at %v: %v after the last, with %v of the window left", i, tries[i], gap, left)
		}
	}
	if got := h.meeting(t, m); got.RoomStatus != core.RoomActive {
		t.Fatalf("room %s after the retries", got.RoomStatus)
	}
}
