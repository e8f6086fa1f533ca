package webhook_test

import (
	"net/http"
	"testing"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit/webhook"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// Ensure the whole path works as in local mode: meetbot registers its
// webhook on the sandbox through the SDK, people enter and leave the
// sandbox room (one from two devices), and the sandbox's signed
// deliveries are verified with the key from its .well-known document,
// stored and handed over: started, four joins, four leaves, ended, the
// recording and the summary, each once even though every delivery is
// sent twice.
func TestSandboxWebhooksEndToEnd(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := t.Context()
	rec := &recorder{}
	rc, err := webhook.New(webhook.Options{
		Inbox: env.Store, Handler: rec, Clock: env.Clock,
		KeyURL:     testenv.SandboxURL + "/.well-known/webhooks.json",
		HTTPClient: &http.Client{Transport: testenv.HandlerTransport{Handler: env.Sandbox}},
		Logger:     zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every delivery arrives twice: RealtimeKit's at-least-once, at worst.
	twice := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := readAll(r)
		rc.ServeHTTP(discard{}, cloneRequest(r, body))
		rc.ServeHTTP(w, cloneRequest(r, body))
	})
	env.Sandbox.SetWebhookClient(&http.Client{Transport: testenv.HandlerTransport{Handler: twice}})
	env.Sandbox.SetAfterEnd(true, true)
	if _, err := env.Conf.EnsureWebhook(ctx, "http://meetbot.test"+webhook.Path, webhook.Events); err != nil {
		t.Fatal(err)
	}

	room, err := env.Conf.CreateRoom(ctx, core.CreateRoomRequest{Title: "Standup", Tag: "e2e", Status: core.RoomActive})
	if err != nil {
		t.Fatal(err)
	}
	var peers []string
	for _, who := range []string{"mb-a", "mb-b", "mb-c"} {
		p, err := env.Conf.AddParticipant(ctx, room.ID, core.AddParticipantRequest{CustomID: who, Name: "N " + who, Preset: "group_call_participant"})
		if err != nil {
			t.Fatal(err)
		}
		peer, err := env.Sandbox.EnterRoom(room.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		peers = append(peers, peer)
	}
	second, err := env.Sandbox.EnterRoomAs(room.ID, "mb-a") // a's second device
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(peers, second) {
		if err := env.Sandbox.LeaveRoom(room.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Sandbox.WaitDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range env.Sandbox.Deliveries() {
		if d.Status != http.StatusOK && d.Status != http.StatusAccepted {
			t.Fatalf("delivery %+v not accepted", d)
		}
	}
	if _, err := rc.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	var kinds []core.RoomEventKind
	peerJoins := map[string]string{}
	for _, ev := range rec.got() {
		kinds = append(kinds, ev.Kind)
		if ev.RoomID != room.ID || ev.SessionID == "" {
			t.Fatalf("event without room or session: %+v", ev)
		}
		if ev.Kind == core.ParticipantJoined {
			peerJoins[ev.PeerID] = ev.CustomParticipantID
		}
	}
	want := []core.RoomEventKind{core.RoomStarted,
		core.ParticipantJoined, core.ParticipantJoined, core.ParticipantJoined, core.ParticipantJoined,
		core.ParticipantLeft, core.ParticipantLeft, core.ParticipantLeft, core.ParticipantLeft,
		core.RoomEnded, core.RecordingReady, core.SummaryReady}
	if len(kinds) != len(want) {
		t.Fatalf("handler got %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("handler got %v, want %v", kinds, want)
		}
	}
	if len(peerJoins) != 4 || peerJoins[second] != "mb-a" || peerJoins[peers[0]] != "mb-a" {
		t.Fatalf("peers %v: two devices of one person must be two peers of one custom id", peerJoins)
	}
	evs := rec.got()
	if r := evs[9].Reason; r != "ALL_PARTICIPANTS_LEFT" {
		t.Fatalf("ended reason %q", r)
	}
	text, err := env.Conf.FetchSummary(ctx, evs[11].DownloadURL)
	if err != nil || text == "" {
		t.Fatalf("summary from the event's URL: %q %v", text, err)
	}
	if _, _, err := env.Conf.RecordingURL(ctx, evs[10].RecordingID); err != nil {
		t.Fatalf("recording of the event: %v", err)
	}
}
