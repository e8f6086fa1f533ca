package scheduler_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/internal/testenv"
)

// cardRecorder is the scheduler tests' notifier that also keeps cards
// (core.CardKeeper), remembering each redraw and whether the card said
// "video room not ready yet" at that moment.
type cardRecorder struct {
	*recorder
	mu     sync.Mutex
	redraw map[string][]bool // meeting id → RoomNotReady at each redraw
}

func (c *cardRecorder) UpdateCard(_ context.Context, m *core.Meeting, _ core.CardEvent) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.redraw[m.ID] = append(c.redraw[m.ID], m.RoomNotReady())
	return nil
}

func (c *cardRecorder) redraws(id string) []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.redraw[id])
}

// TestOutageDoesNotBlockScheduling takes RealtimeKit down (the sandbox
// answers 503 to everything) for ten minutes of injected time. Scheduling,
// listing, RSVPs, moves and the calendar feed keep working and are stored;
// a join inside a window answers "unavailable" in one sentence with a
// retry time; cards say "video room not ready yet". When the service is
// back, the room jobs make exactly one room per meeting, every meeting's
// jobs are as its schedule asks, and the cards are redrawn without the
// line. Real SDK through the sandbox's HTTP handler, real bbolt.
func TestOutageDoesNotBlockScheduling(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{})
	cards := &cardRecorder{recorder: h.rec, redraw: map[string][]bool{}}
	h.env.Service.SetNotifier(cards)
	ctx := context.Background()
	t0 := h.env.Clock.Now()
	h.env.Sandbox.AddFault(sandbox.Fault{Status: 503, RetryAfter: 30 * time.Second})

	// 50 schedules: the first starts 12 minutes in (its window opens during
	// the outage), the rest from two hours on.
	const n = 50
	var ms []*core.Meeting
	for i := range n {
		start := t0.Add(2*time.Hour + time.Duration(i)*10*time.Minute)
		if i == 0 {
			start = t0.Add(12 * time.Minute)
		}
		m, err := h.env.Service.Schedule(ctx, testenv.Actor("ana"), core.ScheduleRequest{Title: fmt.Sprintf("M%d", i), Start: start, Duration: 30 * time.Minute})
		if err != nil {
			t.Fatalf("schedule %d during the outage: %v", i, err)
		}
		if m.State != core.StatePending || m.RoomID != "" {
			t.Fatalf("scheduled meeting %d: %+v", i, m)
		}
		if _, err := h.env.Service.SetCard(ctx, m.Workspace, m.ID, core.MessageRef{Channel: "C1", ID: fmt.Sprint(1000 + i)}); err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	if ls, err := h.env.Service.List(ctx, testenv.Actor("bo")); err != nil || len(ls) != n {
		t.Fatalf("list during the outage: %d meetings, %v", len(ls), err)
	}

	// Ten minutes of outage, a minute at a time: 20 RSVPs and 5 moves
	// spread over it, the scheduler running whatever is due.
	moved := map[string]time.Time{}
	rsvps := 0
	for minute := range 10 {
		for k := range 2 {
			m := ms[1+minute*2+k]
			if _, err := h.env.Service.RSVP(ctx, testenv.Actor("bo"), m.ID, core.RSVPYes); err != nil {
				t.Fatalf("RSVP during the outage: %v", err)
			}
			rsvps++
		}
		if minute%2 == 0 {
			m := ms[30+minute]
			to := m.Start.Add(24 * time.Hour)
			if _, _, err := h.env.Service.Move(ctx, testenv.Actor("ana"), m.ID, to, false); err != nil {
				t.Fatalf("move during the outage: %v", err)
			}
			moved[m.ID] = to
		}
		h.stepTo(t, t0.Add(time.Duration(minute+1)*time.Minute))
	}
	if rsvps != 20 || len(moved) != 5 {
		t.Fatalf("%d RSVPs and %d moves, want 20 and 5", rsvps, len(moved))
	}
	if n := len(h.env.Sandbox.Meetings()); n != 0 {
		t.Fatalf("%d rooms upstream during the outage", n)
	}
	// Inside the first meeting's window (it opened at minute 7), a join
	// says plainly that the video service is unavailable, and when to retry.
	_, err := h.env.Service.Join(ctx, testenv.Actor("bo"), ms[0].ID)
	e := testenv.WantCode(t, err, core.EUNAVAILABLE)
	if e.RetryAfter <= 0 || !strings.Contains(e.Message, "try again in 30 s") || strings.Count(strings.TrimSuffix(e.Message, "."), ". ") != 0 {
		t.Fatalf("join during the outage: %q (retry after %v), want one sentence with a retry time", e.Message, e.RetryAfter)
	}
	for _, m := range ms {
		cur, err := h.env.Store.FindMeetingByID(ctx, m.Workspace, m.ID)
		if err != nil || !cur.RoomNotReady() {
			t.Fatalf("meeting %s during the outage is not 'room not ready': %+v %v", m.ID, cur, err)
		}
		// Redraws before the first failed attempt (an RSVP) say nothing;
		// from the first failure on, every one says not ready.
		if got := cards.redraws(m.ID); len(got) == 0 || slices.Contains(got[slices.Index(got, true)+1:], false) || !got[len(got)-1] {
			t.Fatalf("meeting %s card redraws during the outage %v, want not ready from the first failure on", m.ID, got)
		}
		if _, err := h.env.Service.PublicMeeting(ctx, h.env.Service.CalendarCode(cur)); err != nil {
			t.Fatalf("calendar feed of %s during the outage: %v", m.ID, err)
		}
	}
	for _, r := range h.drainRuns() {
		if r.outcome == scheduler.GivenUp {
			t.Fatalf("job %s given up during the outage", r.job.ID)
		}
	}
	if got := h.rec.all(); len(got) != 1 || got[0].reminder.Meeting.ID != ms[0].ID {
		t.Fatalf("reminders during the outage: %d, want the first meeting's 10-minute one", len(got))
	}

	// The service is back: within a few backoffs every meeting has its one room.
	h.env.Sandbox.ClearFaults()
	h.stepTo(t, t0.Add(20*time.Minute))
	rooms := h.env.Sandbox.Meetings()
	if len(rooms) != n {
		t.Fatalf("%d rooms upstream after the outage, want %d", len(rooms), n)
	}
	byID := map[string]bool{}
	for _, r := range rooms {
		byID[r.ID] = true
	}
	for i, m := range ms {
		cur, err := h.env.Store.FindMeetingByID(ctx, m.Workspace, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if cur.State != core.StateScheduled || !byID[cur.RoomID] || cur.RoomNotReady() {
			t.Fatalf("meeting %s after the outage: %+v", m.ID, cur)
		}
		delete(byID, cur.RoomID) // one room per meeting, none shared
		// Not ready, then ready: redrawn by the room job, or for the open
		// meeting by its opening, which made the room.
		got := cards.redraws(m.ID)
		if last := lastIndex(got, true); last < 0 || last == len(got)-1 {
			t.Fatalf("meeting %s card redraws %v, want not ready, then ready", m.ID, got)
		}
		if i >= 1 && i <= 20 && cur.RSVPs["bo"] != core.RSVPYes {
			t.Fatalf("meeting %s lost its RSVP: %+v", m.ID, cur.RSVPs)
		}
		if to, ok := moved[m.ID]; ok && !cur.Start.Equal(to) {
			t.Fatalf("meeting %s start %v, moved to %v", m.ID, cur.Start, to)
		}
		if i == 0 {
			if cur.RoomStatus != core.RoomActive {
				t.Fatalf("the open meeting's room is %s after the outage", cur.RoomStatus)
			}
			continue
		}
		// RSVPs and moves before the provisioning lead change no job but the moved times.
		wantJobs := want(cur.Start, 30*time.Minute)
		if got := pendingJobs(t, h, cur); !slices.Equal(got, wantJobs) {
			t.Fatalf("meeting %s jobs after the outage %v\nwant %v", m.ID, got, wantJobs)
		}
	}
	if len(byID) != 0 {
		t.Fatalf("%d rooms upstream belong to no meeting", len(byID))
	}
	// The join that failed now works.
	if _, err := h.env.Service.Join(ctx, testenv.Actor("bo"), ms[0].ID); err != nil {
		t.Fatalf("join after the outage: %v", err)
	}
}

// lastIndex is the index of the last v in s, or -1.
func lastIndex(s []bool, v bool) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}
