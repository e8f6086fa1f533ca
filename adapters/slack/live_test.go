package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// cardUpdate is one chat.update the fake Web API received, and when.
type cardUpdate struct {
	at     time.Time
	blocks string
}

// liveAPI is a fake Web API that signals every chat.update on a channel,
// so a test waits for the card redraw instead of polling, and records
// every other call by method. It answers in the caller's goroutine
// (testenv.HandlerTransport), so the live tests run in a testing/synctest
// bubble: the card pacing's seconds are fake time.
type liveAPI struct {
	handler http.Handler
	updates chan cardUpdate
	posts   chan url.Values
}

// liveAPIURL is the made-up Web API base the live tests' adapter calls.
const liveAPIURL = "http://slack.test/api/"

func newLiveAPI() *liveAPI {
	f := &liveAPI{updates: make(chan cardUpdate, 1024), posts: make(chan url.Values, 64)}
	f.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		switch strings.TrimPrefix(r.URL.Path, "/api/") {
		case "chat.update":
			f.updates <- cardUpdate{at: time.Now(), blocks: r.Form.Get("blocks")}
			_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1700000000.000001"}`))
		case "conversations.open":
			_, _ = fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, r.Form.Get("users"))
		case "chat.postMessage":
			f.posts <- r.Form
			_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1700000000.000002"}`))
		default:
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	})
	return f
}

// liveRoom is a meeting with a Slack card whose room events the test
// drives through the service, the way the webhook endpoint does.
type liveRoom struct {
	env    *testenv.Env
	api    *liveAPI
	m      *core.Meeting
	custom map[string]string
}

// newLiveRoom builds the room; call it inside a synctest bubble
// (synctest.Test), where the meeting's hour until its start passes at once.
func newLiveRoom(t *testing.T, users ...string) *liveRoom {
	t.Helper()
	env := testenv.New(t, testenv.Options{Bubble: true, NoSync: true})
	api := newLiveAPI()
	a := slack.New(slack.Options{Service: env.Service, SigningSecret: secret, Logger: zerolog.New(env.Logs),
		Tokens: teamTokens{"T1": "xoxb-t1"}, APIURL: liveAPIURL,
		HTTPClient: &http.Client{Transport: testenv.HandlerTransport{Handler: api.handler}}})
	t.Cleanup(a.Wait)
	env.Service.SetNotifier(a)
	ctx := context.Background()
	m := env.Schedule(testenv.Actor("U1"), "Planning", env.Time.Now().Add(time.Hour), 45*time.Minute)
	if _, err := env.Service.SetCard(ctx, testenv.Workspace, m.ID, core.MessageRef{Channel: "C1", ID: "1700000000.000001"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(m.Start.Sub(env.Time.Now())) // fake time: the meeting starts
	r := &liveRoom{env: env, api: api, custom: map[string]string{}}
	for _, u := range users {
		if _, err := env.Service.Join(ctx, testenv.Actor(u), m.ID); err != nil {
			t.Fatal(err)
		}
		p, err := env.Store.FindParticipant(ctx, testenv.Workspace, m.ID, u)
		if err != nil {
			t.Fatal(err)
		}
		r.custom[u] = p.CustomID
	}
	r.m, _ = env.Store.FindMeetingByID(ctx, testenv.Workspace, m.ID)
	return r
}

func (r *liveRoom) event(t *testing.T, kind core.RoomEventKind, user, peer, name string) {
	t.Helper()
	ev := core.RoomEvent{Kind: kind, RoomID: r.m.RoomID, SessionID: "s1", SessionStarted: r.m.Start, At: r.env.Time.Now(),
		PeerID: peer, CustomParticipantID: r.custom[user], DisplayName: name}
	if err := r.env.Service.HandleRoomEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
}

// waitUpdate returns the next card redraw, failing after limit of the
// bubble's fake time, which passes only while every goroutine of the test
// waits: a slow machine cannot run it out.
func (r *liveRoom) waitUpdate(t *testing.T, limit time.Duration) cardUpdate {
	t.Helper()
	select {
	case u := <-r.api.updates:
		return u
	case <-time.After(limit):
		t.Fatalf("no card update within %v", limit)
		return cardUpdate{}
	}
}

// TestLiveCardEscapesNames: the redrawn card says "Live · 1 in the room"
// with the display name escaped (a name cannot mention anyone), and keeps
// the Join button.
func TestLiveCardEscapesNames(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testLiveCardEscapesNames)
}

func testLiveCardEscapesNames(t *testing.T) {
	r := newLiveRoom(t, "U2")
	r.event(t, core.ParticipantJoined, "U2", "p1", "<!channel> <@U9> & co")
	u := r.waitUpdate(t, 10*time.Second)
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(u.blocks), &blocks); err != nil {
		t.Fatal(err)
	}
	// The form carries JSON, whose encoder writes &, < and > as \u escapes.
	text := strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">").Replace(u.blocks)
	for _, want := range []string{"Live · 1 in the room", "&lt;!channel&gt; &lt;@U9&gt; &amp; co", `"join:` + r.m.ID + `"`} {
		if !strings.Contains(text, want) {
			t.Fatalf("card lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "<!channel>") || strings.Contains(text, "<@U9>") {
		t.Fatalf("a display name reached the card unescaped:\n%s", text)
	}
}

// TestJoinToCardLatency follows participant joined → card updated end to
// end (service, store, coalescer, Slack adapter, the official SDK's HTTP
// client to a fake Web API) with the real pacing, in a synctest bubble: a
// first join redraws CardSettle (1 s) after it, and a join right after a
// redraw waits out CardEvery (5 s), to the fake-time instant. The seconds
// are the bubble's, so the test takes none of them, and the latencies it
// asserts are the ones the code imposes, which wall time on a loaded
// machine could not tell apart from the machine's own delay.
func TestJoinToCardLatency(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testJoinToCardLatency)
}

func testJoinToCardLatency(t *testing.T) {
	r := newLiveRoom(t, "U2", "U3")
	t0 := time.Now()
	r.event(t, core.ParticipantJoined, "U2", "p1", "Ana")
	first := r.waitUpdate(t, 6*time.Second)
	if !strings.Contains(first.blocks, "Live · 1 in the room") {
		t.Fatalf("first redraw: %s", first.blocks)
	}
	firstLat := first.at.Sub(t0)
	t1 := time.Now()
	r.event(t, core.ParticipantJoined, "U3", "p2", "Bo")
	second := r.waitUpdate(t, 6*time.Second)
	if !strings.Contains(second.blocks, "Live · 2 in the room") {
		t.Fatalf("second redraw: %s", second.blocks)
	}
	secondLat := second.at.Sub(t1)
	t.Logf("participant joined → card updated: first join %v, join right after a redraw %v (pacing %v)",
		firstLat, secondLat, core.CardEvery)
	if firstLat != core.CardSettle {
		t.Errorf("the first join reached the card %v after it, want CardSettle (%v)", firstLat, core.CardSettle)
	}
	if secondLat != core.CardEvery {
		t.Errorf("a join right after a redraw reached the card %v after it, want CardEvery (%v)", secondLat, core.CardEvery)
	}
}

// TestRecordingAndSummaryNotices: with both settings on, a recording DMs
// the organizer a personal meetbot link (never the upstream URL) and notes
// it in the card's thread; a summary goes in the card's thread.
func TestRecordingAndSummaryNotices(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testRecordingAndSummaryNotices)
}

func testRecordingAndSummaryNotices(t *testing.T) {
	r := newLiveRoom(t, "U2")
	ctx := context.Background()
	if _, err := r.env.Store.UpdateWorkspace(ctx, testenv.Workspace, func(w *core.Workspace) error {
		w.Recordings, w.Summaries = true, true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.env.Service.SetRoomInsight(fakeInsight{summary: "We agreed to ship <!here>."})
	if err := r.env.Service.HandleRoomEvent(ctx, core.RoomEvent{Kind: core.RecordingReady, RoomID: r.m.RoomID, SessionID: "s1",
		RecordingID: "rec-1", DownloadURL: "https://upstream.example/secret-recording"}); err != nil {
		t.Fatal(err)
	}
	dm, note := <-r.api.posts, <-r.api.posts
	if dm.Get("channel") != "DU1" || !strings.Contains(dm.Get("text"), "http://meet.test/r/") || strings.Contains(dm.Get("text"), "upstream.example") {
		t.Fatalf("organizer DM = %v", dm)
	}
	if note.Get("channel") != "C1" || note.Get("thread_ts") != r.m.Card.ID || strings.Contains(note.Get("text"), "/r/") {
		t.Fatalf("channel note = %v", note)
	}
	if err := r.env.Service.HandleRoomEvent(ctx, core.RoomEvent{Kind: core.SummaryReady, RoomID: r.m.RoomID, SessionID: "s1",
		DownloadURL: "https://upstream.example/summary"}); err != nil {
		t.Fatal(err)
	}
	sum := <-r.api.posts
	if sum.Get("thread_ts") != r.m.Card.ID || !strings.Contains(sum.Get("text"), "We agreed to ship &lt;!here&gt;.") {
		t.Fatalf("summary post = %v", sum)
	}
	// A replayed summary event is not posted twice.
	if err := r.env.Service.HandleRoomEvent(ctx, core.RoomEvent{Kind: core.SummaryReady, RoomID: r.m.RoomID, SessionID: "s1",
		DownloadURL: "https://upstream.example/summary"}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-r.api.posts:
		t.Fatalf("a replayed summary was posted again: %v", p)
	default:
	}
	if logs := r.env.Logs.String(); strings.Contains(logs, "upstream.example") {
		t.Fatal("an upstream download URL was logged")
	}
}

// fakeInsight answers RoomInsight calls without a network.
type fakeInsight struct{ summary string }

func (fakeInsight) ActiveSession(context.Context, string) (core.LiveSession, bool, error) {
	return core.LiveSession{}, false, nil
}

func (fakeInsight) RecordingURL(context.Context, string) (string, time.Time, error) {
	return "https://upstream.example/fresh", time.Time{}, nil
}

func (f fakeInsight) Summary(context.Context, string) (string, error) { return f.summary, nil }

func (f fakeInsight) FetchSummary(context.Context, string) (string, error) { return f.summary, nil }
