package core_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// BenchmarkHandleRoomEvent applies joins and leaves to live rooms of up to
// peersPerRoom device connections (a 100-person meeting where everyone
// joins twice), on the MEETBOT_TEST_STORE backend: store write,
// attribution and card poke. Every peersPerRoom events a new room starts,
// so the record stays the size of a real meeting's.
func BenchmarkHandleRoomEvent(b *testing.B) {
	const peersPerRoom = 200
	env := testenv.New(b, testenv.Options{NoSync: true})
	ctx := context.Background()
	var m *core.Meeting
	newRoom := func() {
		var err error
		m, err = env.Service.Schedule(ctx, testenv.Actor("ana"), core.ScheduleRequest{Title: "Bench", Now: true, Duration: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		m, _ = env.Store.FindMeetingByID(ctx, testenv.Workspace, m.ID)
	}
	b.ResetTimer()
	for i := range b.N {
		n := i % (2 * peersPerRoom)
		if n == 0 {
			b.StopTimer()
			newRoom()
			b.StartTimer()
		}
		ev := core.RoomEvent{Kind: core.ParticipantJoined, RoomID: m.RoomID, SessionID: "s1", At: env.Clock.Now(),
			PeerID: fmt.Sprintf("p%d", n%peersPerRoom), CustomParticipantID: fmt.Sprintf("c%d", n%(peersPerRoom/2))}
		if n >= peersPerRoom {
			ev.Kind = core.ParticipantLeft
		}
		if err := env.Service.HandleRoomEvent(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}
