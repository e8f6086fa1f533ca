package core_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// cardRecorder is a notifier that keeps meeting cards (core.CardKeeper):
// it records when each redraw came and what the room looked like then.
type cardRecorder struct {
	svc *core.Service
	mu  sync.Mutex
	at  []time.Time
	in  []int
}

func (r *cardRecorder) Remind(context.Context, core.Reminder) (string, error) { return "", nil }
func (r *cardRecorder) Announce(context.Context, core.Announcement) error     { return nil }

func (r *cardRecorder) UpdateCard(ctx context.Context, m *core.Meeting, ev core.CardEvent) error {
	st, _ := r.svc.RoomState(ctx, m)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.at, r.in = append(r.at, time.Now()), append(r.in, st.InRoom)
	return nil
}

// cardedMeeting schedules a meeting with a card, in a bubble whose
// notifier records redraws, and moves the clock to its start. Call it
// inside synctest.Test.
func cardedMeeting(t *testing.T, title string) (*testenv.Env, *cardRecorder, *core.Meeting) {
	t.Helper()
	rec := &cardRecorder{}
	env := testenv.New(t, testenv.Options{Bubble: true, Notifier: rec})
	rec.svc = env.Service
	ctx := context.Background()
	m := env.Schedule(actor("ana"), title, env.Time.Now().Add(time.Minute), time.Hour)
	if _, err := env.Service.SetCard(ctx, ws, m.ID, core.MessageRef{Channel: "C1", ID: "card"}); err != nil {
		t.Fatal(err)
	}
	m, _ = env.Store.FindMeetingByID(ctx, ws, m.ID)
	time.Sleep(time.Minute) // to the start
	return env, rec, m
}

// TestTwoHundredEventsOneSecond sends 200 joins and leaves within one
// second (fake time) through HandleRoomEvent, then 10 more leaves a second
// later: the card is redrawn at most once per 5 s and the last redraw
// shows the final count.
func TestTwoHundredEventsOneSecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env, rec, m := cardedMeeting(t, "All hands")
		ctx := context.Background()
		// 120 people join, 80 of them leave: 40 stay.
		var evs []core.RoomEvent
		for i := range 120 {
			evs = append(evs, core.RoomEvent{Kind: core.ParticipantJoined, PeerID: fmt.Sprintf("p%d", i), CustomParticipantID: fmt.Sprintf("c%d", i)})
		}
		for i := range 80 {
			evs = append(evs, core.RoomEvent{Kind: core.ParticipantLeft, PeerID: fmt.Sprintf("p%d", i), CustomParticipantID: fmt.Sprintf("c%d", i)})
		}
		start := time.Now()
		for _, ev := range evs {
			ev.RoomID, ev.SessionID, ev.At = m.RoomID, "s1", env.Time.Now()
			if err := env.Service.HandleRoomEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
			time.Sleep(5 * time.Millisecond) // 200 events in one second of fake time
		}
		// A second burst just after the first redraw: 10 more leave.
		time.Sleep(time.Second)
		for i := 80; i < 90; i++ {
			ev := core.RoomEvent{Kind: core.ParticipantLeft, RoomID: m.RoomID, SessionID: "s1", At: env.Time.Now(),
				PeerID: fmt.Sprintf("p%d", i), CustomParticipantID: fmt.Sprintf("c%d", i)}
			if err := env.Service.HandleRoomEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(3 * core.CardEvery)
		synctest.Wait()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.at) == 0 {
			t.Fatal("the card was never redrawn")
		}
		for i := 1; i < len(rec.at); i++ {
			if gap := rec.at[i].Sub(rec.at[i-1]); gap < core.CardEvery {
				t.Fatalf("redraws %d and %d are %v apart, want at least %v", i-1, i, gap, core.CardEvery)
			}
		}
		if span := rec.at[len(rec.at)-1].Sub(start); len(rec.at) > int(span/core.CardEvery)+1 {
			t.Fatalf("%d redraws over %v", len(rec.at), span)
		}
		if len(rec.at) != 2 {
			t.Fatalf("%d redraws for two bursts 2 s apart, want 2 (the second paced to 5 s after the first)", len(rec.at))
		}
		if last := rec.in[len(rec.in)-1]; last != 30 {
			t.Fatalf("the last redraw shows %d in the room, want 30", last)
		}
		t.Logf("200 events in 1 s: %d card redraws, last shows %d in the room", len(rec.at), rec.in[len(rec.in)-1])
	})
}

// TestFlushCardsAtShutdown: people join right after a redraw, so the
// next one is paced seconds away when the process is told to stop;
// FlushCards redraws the card at once, showing them, and later events
// redraw nothing.
func TestFlushCardsAtShutdown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		env, rec, m := cardedMeeting(t, "Standup")
		ctx := context.Background()
		join := func(i int) {
			t.Helper()
			ev := core.RoomEvent{Kind: core.ParticipantJoined, RoomID: m.RoomID, SessionID: "s1", At: env.Time.Now(),
				PeerID: fmt.Sprintf("p%d", i), CustomParticipantID: fmt.Sprintf("c%d", i)}
			if err := env.Service.HandleRoomEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		join(0)
		time.Sleep(core.CardSettle)
		synctest.Wait() // the first redraw: 1 in the room
		join(1)
		join(2)
		synctest.Wait() // paced: the next redraw is CardEvery after the first
		stop := time.Now()
		if left := env.Service.FlushCards(ctx); left != 0 {
			t.Fatalf("FlushCards left %d", left)
		}
		rec.mu.Lock()
		in, at := append([]int(nil), rec.in...), append([]time.Time(nil), rec.at...)
		rec.mu.Unlock()
		if len(in) != 2 || in[1] != 3 || !at[1].Equal(stop) {
			t.Fatalf("redraws show %v at %v; want the last, showing 3, at shutdown (%v)", in, at, stop)
		}
		join(3)
		time.Sleep(2 * core.CardEvery)
		synctest.Wait()
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if len(rec.in) != 2 {
			t.Fatalf("an event after the flush redrew the card: %v", rec.in)
		}
	})
}
