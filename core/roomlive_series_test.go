package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// TestSeriesAttendancePerOccurrence: a daily series keeps one record per
// occurrence. Events are attributed by time to the occurrence whose window
// holds the session, and by session to the one it was first seen in, so a
// late delivery of yesterday's leave lands on yesterday's record. The card
// says "Last time" until the next window opens, then nothing until that
// room goes live.
func TestSeriesAttendancePerOccurrence(t *testing.T) {
	t.Parallel()
	env := setup(t)
	ctx := context.Background()
	start := t0.Add(time.Hour) // 15:00 New York
	m, err := env.Service.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: "Daily", Start: start, Duration: 15 * time.Minute, Recurrence: "FREQ=DAILY"})
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Set(start)
	if _, err := env.Service.Join(ctx, actor("bo"), m.ID); err != nil {
		t.Fatal(err)
	}
	p, _ := env.Store.FindParticipant(ctx, ws, m.ID, "bo")
	m, _ = env.Store.FindMeetingByID(ctx, ws, m.ID)
	send := func(kind core.RoomEventKind, session, peer string, at time.Time) {
		t.Helper()
		ev := core.RoomEvent{Kind: kind, RoomID: m.RoomID, SessionID: session, At: at, PeerID: peer}
		if peer != "" {
			ev.CustomParticipantID, ev.DisplayName = p.CustomID, "Bo"
		}
		if err := env.Service.HandleRoomEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	card := func() string {
		t.Helper()
		st, ok := env.Service.RoomState(ctx, m)
		if !ok {
			return ""
		}
		return strings.Join(st.CardLines(func(s string) string { return s }, func(t time.Time) string { return t.Format("15:04") }, false), " / ")
	}

	send(core.ParticipantJoined, "day1", "p1", start.Add(time.Minute))
	send(core.RoomEnded, "day1", "", start.Add(10*time.Minute))
	env.Clock.Set(start.Add(12 * time.Hour))
	if got := card(); got != "Last time · 9 min · 1 attended" {
		t.Fatalf("card between occurrences = %q", got)
	}
	day2 := start.AddDate(0, 0, 1)
	env.Clock.Set(day2.Add(-2 * time.Minute)) // the next window is open
	if got := card(); got != "" {
		t.Fatalf("card with the next window open = %q, want no room line", got)
	}
	send(core.ParticipantJoined, "day2", "p2", day2.Add(time.Minute))
	// Yesterday's leave, delivered late (after a restart, so from the
	// store, not from memory): attributed by its session.
	env.Restart()
	send(core.ParticipantLeft, "day1", "p1", start.Add(9*time.Minute))
	env.Clock.Set(day2.Add(5 * time.Minute))
	if got := card(); !strings.HasPrefix(got, "Live · 1 in the room") {
		t.Fatalf("card on day 2 = %q", got)
	}
	rooms, err := env.Service.RoomHistory(ctx, actor("ana"), m)
	if err != nil || len(rooms) != 2 {
		t.Fatalf("RoomHistory = %d rooms, %v", len(rooms), err)
	}
	if !rooms[0].Occurrence.Start.Equal(day2) || !rooms[1].Occurrence.Start.Equal(start) {
		t.Fatalf("occurrences %v, %v; want day 2 then day 1", rooms[0].Occurrence.Start, rooms[1].Occurrence.Start)
	}
	if got := rooms[1].People[0].Total; got != 8*time.Minute {
		t.Fatalf("day 1: bo's time = %v, want 8 min (the late leave counted there)", got)
	}
}
