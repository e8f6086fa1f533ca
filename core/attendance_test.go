package core

import (
	"fmt"
	"testing"
	"time"
)

// TestApplyBoundsAndRecordings: a recording never makes a room look live,
// a replay changes nothing, and a source flooding peers stops at MaxPeers.
func TestApplyBoundsAndRecordings(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	a := &Attendance{}
	rec := RoomEvent{Kind: RecordingReady, SessionID: "s9", RecordingID: "r1", At: t0}
	if !a.Apply(rec, "") || a.Apply(rec, "") {
		t.Fatal("a recording is applied once")
	}
	if s := a.Summarize(t0, time.Time{}); s.Live || s.Ended || len(a.Sessions) != 0 {
		t.Fatalf("a recording alone opened a session: %+v", s)
	}
	for i := range MaxPeers + 10 {
		a.Apply(RoomEvent{Kind: ParticipantJoined, SessionID: "s1", PeerID: fmt.Sprint(i), CustomParticipantID: fmt.Sprint(i), At: t0}, "")
	}
	if len(a.Peers) != MaxPeers {
		t.Fatalf("%d peers kept, want the cap %d", len(a.Peers), MaxPeers)
	}
	if s := a.Summarize(t0.Add(time.Minute), time.Time{}); !s.Live || s.InRoom != MaxPeers {
		t.Fatalf("summary = live %v, %d in the room", s.Live, s.InRoom)
	}
	// An event with no custom id counts nobody.
	if a.Apply(RoomEvent{Kind: ParticipantJoined, SessionID: "s1", PeerID: "x", At: t0}, "") {
		t.Fatal("a join without a custom_participant_id changed the record")
	}
}
