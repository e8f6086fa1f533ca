package core_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// pollRecorder keeps what the poller hands over.
type pollRecorder struct {
	mu  sync.Mutex
	evs []core.RoomEvent
}

func (r *pollRecorder) HandleRoomEvent(_ context.Context, ev core.RoomEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, ev)
	return nil
}

// take returns what arrived since the last take, as "kind custom" lines.
func (r *pollRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.evs {
		out = append(out, string(ev.Kind)+" "+ev.CustomParticipantID)
	}
	r.evs = nil
	return out
}

// pollRoom makes an upstream room with participants and a stored meeting
// whose room is ACTIVE, as meetbot has at window open.
func pollRoom(t *testing.T, env *testenv.Env, n int, who ...string) (roomID string, pids []string) {
	t.Helper()
	ctx := t.Context()
	room, err := env.Conf.CreateRoom(ctx, core.CreateRoomRequest{Title: fmt.Sprintf("room %d", n), Tag: fmt.Sprintf("t%d", n), Status: core.RoomActive})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range who {
		p, err := env.Conf.AddParticipant(ctx, room.ID, core.AddParticipantRequest{CustomID: c, Name: "N " + c, Preset: "group_call_participant"})
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, p.ID)
	}
	m := &core.Meeting{Workspace: testenv.Workspace, Channel: "C1", Title: room.Title, Organizer: "U1",
		Start: env.Clock.Now(), TimeZone: "UTC", Duration: time.Hour, State: core.StateScheduled,
		RoomID: room.ID, RoomStatus: core.RoomActive, CreatedAt: env.Clock.Now(), UpdatedAt: env.Clock.Now()}
	if err := env.Store.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	return room.ID, pids
}

func newPoller(t *testing.T, env *testenv.Env, rec core.RoomEventHandler) *core.RoomPoller {
	t.Helper()
	p, err := core.NewRoomPoller(core.RoomPollerOptions{Rooms: env.Store, Insight: env.Conf, Handler: rec, Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func poll(t *testing.T, p *core.RoomPoller) {
	t.Helper()
	if err := p.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func wantEvents(t *testing.T, got []string, want ...string) {
	t.Helper()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
}

// Ensure the poller turns what the sandbox's active-session endpoint says
// into started / joined / left / ended, each once, with one peer per
// device and stable delivery ids across a restart of the poller.
func TestRoomPollerDiffsActiveSessions(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	rec := &pollRecorder{}
	p := newPoller(t, env, rec)
	room, pids := pollRoom(t, env, 1, "mb-a", "mb-b")

	poll(t, p)
	wantEvents(t, rec.take()) // nobody in the room yet

	pa, _ := env.Sandbox.EnterRoom(room, pids[0])
	_, _ = env.Sandbox.EnterRoom(room, pids[1])
	env.Clock.Advance(time.Second)
	pa2, _ := env.Sandbox.EnterRoom(room, pids[0]) // second device, a second later
	poll(t, p)
	wantEvents(t, rec.take(), "started ", "participant_joined mb-a", "participant_joined mb-a", "participant_joined mb-b")
	poll(t, p)
	wantEvents(t, rec.take()) // nothing changed

	if err := env.Sandbox.LeaveRoom(room, pa); err != nil {
		t.Fatal(err)
	}
	poll(t, p)
	wantEvents(t, rec.take(), "participant_left mb-a")

	// A fresh poller (a restart) reports the live state again with the
	// same delivery ids, so the handler can tell them for repeats.
	rec2 := &pollRecorder{}
	p2 := newPoller(t, env, rec2)
	poll(t, p2)
	if got := len(rec2.take()); got != 5 { // started, 3 joins, 1 left
		t.Fatalf("restarted poller reported %d events, want 5", got)
	}

	for _, peer := range env.Sandbox.LivePeers(room) {
		_ = env.Sandbox.LeaveRoom(room, peer)
	}
	_ = pa2
	poll(t, p)
	// The session is gone: everyone still counted in left, then ended.
	wantEvents(t, rec.take(), "participant_left mb-a", "participant_left mb-b", "ended ")
	poll(t, p)
	wantEvents(t, rec.take())
}

// Ensure polling runs in the background share of the API budget: with
// more open rooms than that share allows, the pass stops at the refusal
// instead of waiting, and an interactive call (adding a participant, as a
// join does) still goes through at once.
func TestRoomPollerStaysInBackgroundBudget(t *testing.T) {
	env := testenv.New(t, testenv.Options{Budget: 40, CallTimeout: time.Second})
	rec := &pollRecorder{}
	p := newPoller(t, env, rec)
	var rooms []string
	for i := range 12 {
		room, pids := pollRoom(t, env, i, "mb-a")
		if _, err := env.Sandbox.EnterRoom(room, pids[0]); err != nil {
			t.Fatal(err)
		}
		rooms = append(rooms, room)
	}
	// Setup used 12 creates + 12 adds = 24 of 40; background may use 30
	// (reserve 25%), so 6 background calls are left: 3 live rooms (active
	// session + its participants each).
	env.Sandbox.ResetCalls()
	start := time.Now()
	err := p.Poll(t.Context())
	if core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("pass over the budget: %v, want EUNAVAILABLE", err)
	}
	if el := time.Since(start); el > 500*time.Millisecond {
		t.Fatalf("the pass waited %v for the budget instead of stopping", el)
	}
	if n := env.Sandbox.Calls(sandbox.OpGetActiveSession); n != 3 {
		t.Fatalf("%d active-session calls, want the 3 the background share allows", n)
	}
	started := 0
	for _, l := range rec.take() {
		if l == "started " {
			started++
		}
	}
	if started != 3 {
		t.Fatalf("%d rooms reported started, want 3", started)
	}
	// The reserve is still there for people.
	if _, err := env.Conf.AddParticipant(t.Context(), rooms[0], core.AddParticipantRequest{CustomID: "mb-late", Name: "Late", Preset: "group_call_participant"}); err != nil {
		t.Fatalf("interactive call during polling: %v", err)
	}
	if n := env.Sandbox.Calls(sandbox.OpAddParticipant); n != 1 {
		t.Fatalf("add participant reached the sandbox %d times", n)
	}
}

// failOnce fails its first hand-over, as a store outage would.
type failOnce struct {
	pollRecorder
	failed bool
}

func (f *failOnce) HandleRoomEvent(ctx context.Context, ev core.RoomEvent) error {
	if !f.failed {
		f.failed = true
		return core.Errorf(core.EUNAVAILABLE, "store down")
	}
	return f.pollRecorder.HandleRoomEvent(ctx, ev)
}

// Ensure a hand-over that fails leaves the poller's view as it was, so
// the next pass reports the change again (the handler treats repeats as
// repeats).
func TestRoomPollerRetriesAfterHandlerFailure(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	h := &failOnce{}
	p := newPoller(t, env, h)
	room, pids := pollRoom(t, env, 1, "mb-a")
	if _, err := env.Sandbox.EnterRoom(room, pids[0]); err != nil {
		t.Fatal(err)
	}
	if err := p.Poll(t.Context()); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Fatalf("first pass: %v", err)
	}
	poll(t, p)
	wantEvents(t, h.take(), "started ", "participant_joined mb-a")
}

// Ensure Run polls at once, then every Every, only while leading, and
// stops with its context (fake time in a bubble).
func TestRoomPollerRunFollowsLeadership(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var leading atomic.Bool
		rooms := &countingRooms{}
		p, err := core.NewRoomPoller(core.RoomPollerOptions{Rooms: rooms, Insight: noInsight{}, Handler: &pollRecorder{},
			Every: time.Minute, Leading: leading.Load})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- p.Run(ctx) }()
		synctest.Wait()
		if n := rooms.n.Load(); n != 0 {
			t.Fatalf("polled %d times while not leading", n)
		}
		leading.Store(true)
		time.Sleep(5 * time.Second) // the follower's recheck
		synctest.Wait()
		if n := rooms.n.Load(); n != 1 {
			t.Fatalf("polled %d times within 5 s of leading, want 1", n)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := rooms.n.Load(); n != 2 {
			t.Fatalf("polled %d times a minute later, want 2", n)
		}
		cancel()
		if err := <-done; err != context.Canceled {
			t.Fatalf("Run returned %v", err)
		}
	})
}

// countingRooms counts passes and lists no rooms.
type countingRooms struct{ n atomic.Int32 }

func (c *countingRooms) FindActiveRooms(context.Context) ([]*core.Meeting, error) {
	c.n.Add(1)
	return nil, nil
}

// noInsight is a RoomInsight that is never called when there are no rooms.
type noInsight struct{ core.RoomInsight }
