package core_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// session is a scripted room: a meeting whose people joined (so each has
// a participant and a custom_participant_id) and the events of its room.
type session struct {
	env    *testenv.Env
	m      *core.Meeting
	custom map[string]string // user → custom_participant_id
	start  time.Time
}

// newSession schedules "Planning" by ana at the next hour for 45 min with
// bo, cy, di and fay saying yes, opens its window and lets ana, bo, cy, di
// and ed join (get their links), as the card's people would.
func newSession(t *testing.T) *session {
	t.Helper()
	env := setup(t)
	ctx := context.Background()
	start := t0.Add(time.Hour)
	m := env.Schedule(actor("ana"), "Planning", start, 45*time.Minute)
	for _, u := range []string{"bo", "cy", "di", "fay"} {
		if _, err := env.Service.RSVP(ctx, actor(u), m.ID, core.RSVPYes); err != nil {
			t.Fatal(err)
		}
	}
	env.Clock.Set(start)
	s := &session{env: env, custom: map[string]string{}, start: start}
	for _, u := range []string{"ana", "bo", "cy", "di", "ed"} {
		if _, err := env.Service.Join(ctx, actor(u), m.ID); err != nil {
			t.Fatalf("join %s: %v", u, err)
		}
		p, err := env.Store.FindParticipant(ctx, ws, m.ID, u)
		if err != nil || p.CustomID == "" {
			t.Fatalf("participant of %s: %+v, %v", u, p, err)
		}
		s.custom[u] = p.CustomID
	}
	s.m, _ = env.Store.FindMeetingByID(ctx, ws, m.ID)
	if s.m.RoomID == "" {
		t.Fatal("the meeting has no room")
	}
	return s
}

// at is the instant min minutes after the start.
func (s *session) at(min int) time.Time { return s.start.Add(time.Duration(min) * time.Minute) }

func (s *session) ev(kind core.RoomEventKind, min int, user, peer string) core.RoomEvent {
	ev := core.RoomEvent{DeliveryID: string(kind) + peer + user, Kind: kind, RoomID: s.m.RoomID, SessionID: "sess-1",
		At: s.at(min), SessionStarted: s.at(0)}
	if user != "" {
		ev.CustomParticipantID, ev.PeerID, ev.DisplayName = s.custom[user], peer, strings.ToUpper(user[:1])+user[1:]
	}
	return ev
}

// script is the scripted session: 5 join, 2 leave, 1 rejoins from a second
// device, one person is on two devices at once, ended before the last
// leaves arrive.
func (s *session) script() [][]core.RoomEvent {
	j, l := core.ParticipantJoined, core.ParticipantLeft
	return [][]core.RoomEvent{
		{s.ev(core.RoomStarted, 0, "", "")},
		{s.ev(j, 0, "ana", "p1")},
		{s.ev(j, 1, "bo", "p2")},
		{s.ev(j, 2, "cy", "p3")},
		{s.ev(j, 3, "di", "p4")},
		{s.ev(j, 4, "ed", "p5")},
		{s.ev(l, 10, "bo", "p2")},
		{s.ev(l, 12, "cy", "p3")},
		{s.ev(j, 15, "bo", "p6")}, // bo again, from a second device
		{s.ev(j, 16, "di", "p7")}, // di on a second device while the first stays
		{func() core.RoomEvent {
			e := s.ev(core.RoomEnded, 34, "", "")
			e.Reason = "ALL_PARTICIPANTS_LEFT"
			return e
		}(),
			s.ev(l, 33, "ana", "p1"), s.ev(l, 34, "bo", "p6"), s.ev(l, 34, "di", "p4"), s.ev(l, 34, "di", "p7"), s.ev(l, 34, "ed", "p5")},
	}
}

// card is the card's room text at now, as every platform words it.
func (s *session) card(t *testing.T) string {
	t.Helper()
	m, err := s.env.Store.FindMeetingByID(context.Background(), ws, s.m.ID)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := s.env.Service.RoomState(context.Background(), m)
	if !ok {
		return ""
	}
	at := func(t time.Time) string { return t.In(testenvZone("America/New_York")).Format("15:04") }
	return strings.Join(st.CardLines(func(s string) string { return s }, at, len(m.RSVPs) > 0), " / ")
}

func (s *session) apply(t *testing.T, evs ...core.RoomEvent) {
	t.Helper()
	for _, ev := range evs {
		if err := s.env.Service.HandleRoomEvent(context.Background(), ev); err != nil {
			t.Fatalf("HandleRoomEvent(%s %s): %v", ev.Kind, ev.PeerID, err)
		}
	}
}

// TestScriptedSession plays a session step by step and checks the card at
// each step, the attendance list and the RSVP comparison.
func TestScriptedSession(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	want := []string{
		"Live · 0 in the room · since 15:00",
		"Live · 1 in the room · since 15:00 / Ana",
		"Live · 2 in the room · since 15:00 / Ana, Bo",
		"Live · 3 in the room · since 15:00 / Ana, Bo, Cy",
		"Live · 4 in the room · since 15:00 / Ana, Bo, Cy, Di",
		"Live · 5 in the room · since 15:00 / Ana, Bo, Cy, Di, Ed",
		"Live · 4 in the room · since 15:00 / Ana, Cy, Di, Ed",
		"Live · 3 in the room · since 15:00 / Ana, Di, Ed",
		"Live · 4 in the room · since 15:00 / Ana, Bo, Di, Ed",
		"Live · 4 in the room · since 15:00 / Ana, Bo, Di, Ed", // di's second device counts once
		`Ended · 34 min · 5 attended / 3 of 4 "yes" came, 1 came without answering`,
	}
	if got := s.card(t); got != "" {
		t.Fatalf("card before any event = %q, want no room line", got)
	}
	steps := s.script()
	for i, step := range steps {
		s.env.Clock.Set(step[0].At)
		s.apply(t, step...)
		if got := s.card(t); got != want[i] {
			t.Fatalf("step %d: card = %q\nwant %q", i, got, want[i])
		}
	}
	s.env.Clock.Set(s.at(40))
	if got := s.card(t); got != want[len(want)-1] {
		t.Fatalf("after the end: card = %q", got)
	}
	rooms, err := s.env.Service.RoomHistory(context.Background(), actor("bo"), s.m)
	if err != nil || len(rooms) != 1 {
		t.Fatalf("RoomHistory = %d rooms, %v", len(rooms), err)
	}
	type row struct {
		user      string
		firstJoin int
		total     time.Duration
	}
	var got []row
	for _, p := range rooms[0].People {
		got = append(got, row{p.UserID, int(p.FirstJoin.Sub(s.start) / time.Minute), p.Total})
	}
	wantRows := []row{
		{"ana", 0, 33 * time.Minute},
		{"bo", 1, 9*time.Minute + 19*time.Minute}, // 1–10 on one device, 15–34 on the other
		{"cy", 2, 10 * time.Minute},
		{"di", 3, 31 * time.Minute}, // two devices overlapping count once
		{"ed", 4, 30 * time.Minute},
	}
	if !reflect.DeepEqual(got, wantRows) {
		t.Fatalf("attendance = %+v\nwant %+v", got, wantRows)
	}
	if r := rooms[0].RSVP; r != (core.RSVPTally{Yes: 4, YesCame: 3, Unanswered: 1}) {
		t.Fatalf("RSVP tally = %+v", r)
	}
}

// TestReplayedAndReorderedDeliveries delivers the same session with every
// event twice, in random orders (leaves before their joins, the end before
// the last leaves), plus another app's room: the record, the attendance and
// the card come out exactly as in order.
func TestReplayedAndReorderedDeliveries(t *testing.T) {
	t.Parallel()
	ref := newSession(t)
	var all []core.RoomEvent
	for _, step := range ref.script() {
		all = append(all, step...)
	}
	ref.apply(t, all...)
	ref.env.Clock.Set(ref.at(40))
	want := ref.card(t)
	wantRooms, _ := ref.env.Service.RoomHistory(context.Background(), actor("ana"), ref.m)

	for seed := uint64(1); seed <= 3; seed++ {
		s := newSession(t)
		var evs []core.RoomEvent
		for _, step := range s.script() {
			for _, ev := range step {
				evs = append(evs, ev, ev) // at least once: every event twice
			}
		}
		foreign := s.ev(core.ParticipantJoined, 5, "bo", "px")
		foreign.RoomID = "another-apps-room"
		evs = append(evs, foreign)
		rng := rand.New(rand.NewPCG(seed, 13))
		rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		s.apply(t, evs...)
		s.env.Clock.Set(s.at(40))
		if got := s.card(t); got != want {
			t.Fatalf("seed %d: card = %q, want %q", seed, got, want)
		}
		rooms, err := s.env.Service.RoomHistory(context.Background(), actor("ana"), s.m)
		if err != nil || len(rooms) != 1 {
			t.Fatalf("seed %d: %d rooms, %v", seed, len(rooms), err)
		}
		strip := func(ps []core.Attendee) []core.Attendee {
			out := make([]core.Attendee, len(ps))
			for i, p := range ps {
				p.CustomID = "" // differs per env: another participant-id key
				out[i] = p
			}
			return out
		}
		if g, w := strip(rooms[0].People), strip(wantRooms[0].People); !reflect.DeepEqual(g, w) {
			t.Fatalf("seed %d: attendance = %+v\nwant %+v", seed, g, w)
		}
	}
}

// TestRoomEventsEdgeCases covers what a source may send that is not a
// plain session: unknown rooms, no room, a left with no join at all, and
// a room left live past the window's end.
func TestRoomEventsEdgeCases(t *testing.T) {
	t.Parallel()
	s := newSession(t)
	ctx := context.Background()
	for _, ev := range []core.RoomEvent{
		{Kind: core.ParticipantJoined, RoomID: "", CustomParticipantID: "x"},
		{Kind: core.ParticipantJoined, RoomID: "unknown", CustomParticipantID: "x"},
		{Kind: "meeting.transcript", RoomID: s.m.RoomID},
	} {
		if err := s.env.Service.HandleRoomEvent(ctx, ev); err != nil {
			t.Fatalf("HandleRoomEvent(%+v) = %v, want nil", ev, err)
		}
	}
	if got := s.card(t); got != "" {
		t.Fatalf("card after ignored events = %q", got)
	}
	// A leave whose join never arrives still counts the person, from the
	// session's start.
	s.apply(t, s.ev(core.ParticipantLeft, 20, "cy", "p3"))
	if got := s.card(t); got != "Live · 0 in the room · since 15:00" {
		t.Fatalf("card = %q", got)
	}
	s.apply(t, s.ev(core.ParticipantJoined, 1, "bo", "p2"))
	// No ended event ever comes: past the window's close the room is over.
	s.env.Clock.Set(s.at(45 + 5 + 1))
	if got := s.card(t); !strings.HasPrefix(got, "Ended · 50 min · 2 attended") {
		t.Fatalf("card after the window closed without an end = %q", got)
	}
}

// TestPrivateAttendance: a private meeting's attendance is on no card and
// in "/meet info" only for its invitees and hosts.
func TestPrivateAttendance(t *testing.T) {
	t.Parallel()
	env := setup(t)
	ctx := context.Background()
	start := t0.Add(time.Hour)
	m, err := env.Service.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: "1:1", Start: start, Duration: 30 * time.Minute,
		Invitees: []string{"bo"}, Private: true})
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Set(start)
	if _, err := env.Service.Join(ctx, actor("bo"), m.ID); err != nil {
		t.Fatal(err)
	}
	p, _ := env.Store.FindParticipant(ctx, ws, m.ID, "bo")
	m, _ = env.Store.FindMeetingByID(ctx, ws, m.ID) // the room exists since the join
	if err := env.Service.HandleRoomEvent(ctx, core.RoomEvent{Kind: core.ParticipantJoined, RoomID: m.RoomID, SessionID: "s",
		PeerID: "p", CustomParticipantID: p.CustomID, DisplayName: "Bo", At: start}); err != nil {
		t.Fatal(err)
	}
	m, _ = env.Store.FindMeetingByID(ctx, ws, m.ID)
	if _, ok := env.Service.RoomState(ctx, m); ok {
		t.Fatal("a private meeting's room is on its card")
	}
	admin := actor("zed")
	admin.IsAdmin = true
	for user, want := range map[string]int{"ana": 1, "bo": 1, "cy": 0} {
		a := actor(user)
		if user == "cy" {
			a = admin
		}
		rooms, err := env.Service.RoomHistory(ctx, a, m)
		if err != nil || len(rooms) != want {
			t.Fatalf("RoomHistory for %s = %d rooms, %v; want %d", a.User.UserID, len(rooms), err, want)
		}
	}
}
