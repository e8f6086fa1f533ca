package webhook_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/webhook"
	"github.com/meetbot/meetbot/core"
)

func payload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "payloads", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	roomID    = "bbb1c2d3-0000-4000-8000-000000000001"
	sessionID = "5e55-0000-4000-8000-000000000009"
)

// Ensure each payload shape of RealtimeKit's docs becomes the RoomEvent
// live relies on: ids, times from the payload, peer and custom id.
func TestParseShapes(t *testing.T) {
	started := time.Date(2026, 12, 3, 18, 0, 0, 0, time.UTC)
	ended := time.Date(2026, 12, 3, 18, 34, 10, 500e6, time.UTC)
	cases := []struct {
		name string
		want core.RoomEvent
	}{
		{"started", core.RoomEvent{Kind: core.RoomStarted, At: started}},
		{"ended", core.RoomEvent{Kind: core.RoomEnded, At: ended, Reason: "ALL_PARTICIPANTS_LEFT"}},
		{"joined", core.RoomEvent{Kind: core.ParticipantJoined, At: time.Date(2026, 12, 3, 18, 1, 2, 3e6, time.UTC),
			PeerID: "peer-1", CustomParticipantID: "mb-u-1", DisplayName: "Mary <!channel>"}},
		// left carries only the legacy clientSpecificId.
		{"left", core.RoomEvent{Kind: core.ParticipantLeft, At: time.Date(2026, 12, 3, 18, 30, 0, 0, time.UTC),
			PeerID: "peer-1", CustomParticipantID: "mb-u-1", DisplayName: "Mary"}},
		{"recording", core.RoomEvent{Kind: core.RecordingReady, At: time.Date(2026, 12, 3, 18, 34, 30, 0, time.UTC), RecordingID: "rec-0001"}},
		{"summary", core.RoomEvent{Kind: core.SummaryReady, At: ended,
			DownloadURL: "https://store.example/summary?sig=secret", DownloadExpiry: time.Date(2026, 12, 4, 18, 40, 0, 0, time.UTC)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok, err := webhook.Parse(payload(t, c.name), "d-1")
			if err != nil || !ok {
				t.Fatalf("Parse = ok %v, err %v", ok, err)
			}
			want := c.want
			want.DeliveryID, want.RoomID, want.SessionID, want.SessionStarted = "d-1", roomID, sessionID, started
			if got != want {
				t.Fatalf("Parse =\n %+v\nwant\n %+v", got, want)
			}
		})
	}
}

// Ensure events meetbot does not use are skipped without error and that
// bodies that are not webhooks are errors.
func TestParseIgnoresAndRefuses(t *testing.T) {
	for _, name := range []string{"chat", "recording-started"} {
		if _, ok, err := webhook.Parse(payload(t, name), "d"); ok || err != nil {
			t.Errorf("%s: ok %v err %v, want ignored", name, ok, err)
		}
	}
	for _, body := range []string{``, `[]`, `{}`, `{"event":"meeting.started"}`, `{"event":"meeting.participantJoined","meeting":{"id":"r"}}`,
		`{"event":"meeting.summary","meeting":{"id":"r"}}`, `{"event":"recording.statusUpdate","recording":{"status":"UPLOADED"},"meeting":{"id":"r"}}`} {
		if _, ok, err := webhook.Parse([]byte(body), "d"); ok || core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%q: ok %v err %v, want EINVALID", body, ok, err)
		}
	}
}

// FuzzParse checks that no body makes Parse panic, and that what it
// accepts is an event live can act on: a known kind and a room id.
func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir(filepath.Join("testdata", "payloads"))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", "payloads", e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, ok, err := webhook.Parse(body, "d")
		if ok && err != nil {
			t.Fatalf("ok with error %v", err)
		}
		if !ok {
			return
		}
		switch ev.Kind {
		case core.RoomStarted, core.RoomEnded, core.ParticipantJoined, core.ParticipantLeft, core.RecordingReady, core.SummaryReady:
		default:
			t.Fatalf("unknown kind %q", ev.Kind)
		}
		if ev.RoomID == "" || ev.DeliveryID != "d" {
			t.Fatalf("accepted without a room or delivery id: %+v", ev)
		}
		if ev.Kind == core.RecordingReady && ev.RecordingID == "" || ev.Kind == core.SummaryReady && ev.DownloadURL == "" {
			t.Fatalf("accepted %s without what it needs: %+v", ev.Kind, ev)
		}
		again, ok2, _ := webhook.Parse(body, "d")
		if !ok2 || again != ev {
			t.Fatal("Parse is not deterministic")
		}
	})
}
