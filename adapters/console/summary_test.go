package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/console"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// sandboxRooms is the console's room driver in local mode, the sandbox,
// with the session's start handed to the service as its webhook would
// (the test wires no webhook receiver).
type sandboxRooms struct {
	env *testenv.Env
	t   *testing.T
}

func (s sandboxRooms) EnterRoomAs(room, custom string) (string, error) {
	peer, err := s.env.Sandbox.EnterRoomAs(room, custom)
	if err != nil {
		return "", err
	}
	ls, ok, err := s.env.Conf.ActiveSession(context.Background(), room)
	if err != nil || !ok {
		s.t.Errorf("active session: %v %v", ok, err)
		return peer, nil
	}
	if err := s.env.Service.HandleRoomEvent(context.Background(), core.RoomEvent{Kind: core.RoomStarted, RoomID: room,
		SessionID: ls.ID, SessionStarted: ls.StartedAt, At: s.env.Time.Now()}); err != nil {
		s.t.Errorf("HandleRoomEvent: %v", err)
	}
	return peer, nil
}

func (s sandboxRooms) LeaveRoom(room, peer string) error { return s.env.Sandbox.LeaveRoom(room, peer) }

// TestSummaryLine: the console's "/meet summary" says why there is none
// (setting off; no session; transcription), then prints the sandbox's
// summary fetched through the RealtimeKit SDK, in "text" and "summary",
// and answers an unknown id with one sentence.
func TestSummaryLine(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	env.Sandbox.SetAfterEnd(false, true)
	input := "/meet now standup\n/meet summary 1\n:admin on\n/meet settings summaries on\n:admin off\n/meet summary 1\n" +
		":join 1\n:leave 1\n/meet summary 1\n/meet summary 9\n"
	var out strings.Builder
	c := console.New(console.Options{Service: env.Service, In: strings.NewReader(input), Out: &out, JSON: true, User: "ana",
		Logger: zerolog.Nop(), Rooms: sandboxRooms{env: env, t: t}})
	env.Service.SetNotifier(c)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	type line struct {
		Event   string `json:"event"`
		OK      bool   `json:"ok"`
		Text    string `json:"text"`
		Summary string `json:"summary"`
	}
	var replies []line
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		if l.Event == "" {
			replies = append(replies, l)
		}
	}
	if len(replies) != 10 {
		t.Fatalf("%d replies:\n%s", len(replies), out.String())
	}
	if r := replies[1]; r.OK || !strings.Contains(r.Text, "summaries on") {
		t.Fatalf("setting off: %+v", r)
	}
	if r := replies[5]; r.OK || !strings.Contains(r.Text, "no session yet") || !strings.Contains(r.Text, "transcription") {
		t.Fatalf("no session: %+v", r)
	}
	r := replies[8]
	if !r.OK || !strings.Contains(r.Summary, `(sandbox): 1 attended (ana)`) || !strings.Contains(r.Text, r.Summary) {
		t.Fatalf("summary: %+v\n%s", r, out.String())
	}
	if r := replies[9]; r.OK || !strings.Contains(r.Text, `There is no meeting "9"`) {
		t.Fatalf("unknown id: %+v", r)
	}
}
