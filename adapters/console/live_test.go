package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/console"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// fakeRooms stands in for the sandbox: entering or leaving a room reports
// the room event at once, as the sandbox's webhooks would a moment later.
type fakeRooms struct {
	svc  *core.Service
	n    int
	live map[string]int
	t    *testing.T
}

func (f *fakeRooms) send(ev core.RoomEvent) {
	ev.SessionID, ev.At = "s1", f.svc.Now()
	if err := f.svc.HandleRoomEvent(context.Background(), ev); err != nil {
		f.t.Errorf("HandleRoomEvent: %v", err)
	}
}

func (f *fakeRooms) EnterRoomAs(room, custom string) (string, error) {
	f.n++
	peer := fmt.Sprintf("peer-%d", f.n)
	if f.live[room] == 0 {
		f.send(core.RoomEvent{Kind: core.RoomStarted, RoomID: room})
	}
	f.live[room]++
	f.send(core.RoomEvent{Kind: core.ParticipantJoined, RoomID: room, PeerID: peer, CustomParticipantID: custom, DisplayName: "Ana"})
	return peer, nil
}

func (f *fakeRooms) LeaveRoom(room, peer string) error {
	f.live[room]--
	f.send(core.RoomEvent{Kind: core.ParticipantLeft, RoomID: room, PeerID: peer, CustomParticipantID: "?"})
	if f.live[room] == 0 {
		f.send(core.RoomEvent{Kind: core.RoomEnded, RoomID: room, Reason: "ALL_PARTICIPANTS_LEFT"})
	}
	return nil
}

type roomLine struct {
	Event string `json:"event"`
	OK    bool   `json:"ok"`
	Text  string `json:"text"`
	Room  *struct {
		Live     bool `json:"live"`
		Ended    bool `json:"ended"`
		InRoom   int  `json:"in_room"`
		Attended int  `json:"attended"`
		People   []struct {
			User   string `json:"user"`
			InRoom bool   `json:"in_room"`
		} `json:"people"`
	} `json:"room"`
	Person *struct {
		User string `json:"user"`
	} `json:"person"`
	Meeting *struct {
		ID string `json:"id"`
	} `json:"meeting"`
	Rooms []json.RawMessage `json:"rooms"`
}

// TestJoinLeaveLinesPrintRoomEvents: ":join 1" twice (two devices) and
// ":leave 1" twice print started, participant_joined ×2,
// participant_left ×2 and ended, each with the meeting and the room, and
// "/meet info 1" then lists the attendance.
func TestJoinLeaveLinesPrintRoomEvents(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	rooms := &fakeRooms{svc: env.Service, live: map[string]int{}, t: t}
	var out strings.Builder
	input := "/meet now standup\n:join 1\n:join 1\n:leave 1\n:leave 1\n:leave 1\n/meet info 1\n"
	c := console.New(console.Options{Service: env.Service, In: strings.NewReader(input), Out: &out, JSON: true, User: "ana",
		Logger: zerolog.Nop(), Rooms: rooms})
	env.Service.SetNotifier(c)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var events []string
	var lines []roomLine
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l roomLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		lines = append(lines, l)
		if l.Event != "" {
			events = append(events, l.Event)
			if l.Meeting == nil || l.Meeting.ID != "1" || l.Room == nil {
				t.Fatalf("event without the meeting or the room: %s", sc.Text())
			}
		}
	}
	want := []string{"started", "participant_joined", "participant_joined", "participant_left", "participant_left", "ended"}
	if strings.Join(events, ",") != strings.Join(want, ",") {
		t.Fatalf("events = %v, want %v", events, want)
	}
	for _, l := range lines {
		if l.Event == "participant_joined" && (l.Room.InRoom != 1 || l.Person == nil || l.Person.User != "ana") {
			t.Fatalf("joined event: %+v", l)
		}
		if l.Event == "ended" && (!l.Room.Ended || l.Room.Attended != 1 || l.Room.InRoom != 0) {
			t.Fatalf("ended event: %+v", *l.Room)
		}
	}
	last := lines[len(lines)-1]
	if !last.OK || len(last.Rooms) != 1 || !strings.Contains(last.Text, "@ana (Ana): joined") {
		t.Fatalf("info = %+v", last)
	}
	// The third ":leave" had no device left in the room.
	var leaves []roomLine
	for _, l := range lines {
		if l.Event == "" && strings.Contains(l.Text, "room") && !l.OK {
			leaves = append(leaves, l)
		}
	}
	if len(leaves) != 1 || !strings.Contains(leaves[0].Text, "is not in meeting 1's room") {
		t.Fatalf("refused leaves = %+v", leaves)
	}
}
