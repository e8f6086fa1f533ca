package realtimekit_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
)

// Ensure ActiveSession reports no session before anyone joins, then the
// live session with one row per peer (a second device is a second row),
// and none again after the last one left.
func TestActiveSessionThroughSDK(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	ctx := t.Context()
	room := e.room(core.RoomActive)
	a := e.participant(room.ID, "mb-a")
	b := e.participant(room.ID, "mb-b")
	if _, ok, err := e.client.ActiveSession(ctx, room.ID); ok || err != nil {
		t.Fatalf("before any join: ok %v err %v", ok, err)
	}
	pa, err := e.srv.EnterRoom(room.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.EnterRoom(room.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.EnterRoom(room.ID, a.ID); err != nil { // second device
		t.Fatal(err)
	}
	if err := e.srv.LeaveRoom(room.ID, pa); err != nil {
		t.Fatal(err)
	}
	ls, ok, err := e.client.ActiveSession(ctx, room.ID)
	if err != nil || !ok || !ls.Live || ls.ID == "" || ls.StartedAt.IsZero() {
		t.Fatalf("live: %+v ok %v err %v", ls, ok, err)
	}
	var rows []string
	for _, p := range ls.Participants {
		state := "in"
		if !p.LeftAt.IsZero() {
			state = "left"
		}
		rows = append(rows, p.CustomParticipantID+":"+state)
		if p.DisplayName != "Mary" || p.JoinedAt.IsZero() {
			t.Fatalf("row %+v", p)
		}
	}
	if want := []string{"mb-a:left", "mb-b:in", "mb-a:in"}; !slices.Equal(rows, want) {
		t.Fatalf("participants %v, want %v", rows, want)
	}
	for _, p := range e.srv.LivePeers(room.ID) {
		if err := e.srv.LeaveRoom(room.ID, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := e.client.ActiveSession(ctx, room.ID); ok || err != nil {
		t.Fatalf("after the end: ok %v err %v", ok, err)
	}
	if _, _, err := e.client.ActiveSession(ctx, "../x"); core.ErrorCode(err) != core.EINTERNAL {
		t.Fatalf("malformed id: %v", err)
	}
}

// Ensure a recording and a summary made by the sandbox after the end come
// back through the SDK: a fresh download URL each time, and the summary
// text; without them, ENOTFOUND with a reason.
func TestRecordingAndSummaryThroughSDK(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	e.srv.SetBaseURL(e.url)
	ctx := t.Context()
	room := e.room(core.RoomActive)
	a := e.participant(room.ID, "mb-a")
	peer, _ := e.srv.EnterRoom(room.ID, a.ID)
	ls, _, _ := e.client.ActiveSession(ctx, room.ID)
	if _, err := e.client.Summary(ctx, ls.ID); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("summary while live: %v", err)
	}
	e.srv.SetAfterEnd(true, true)
	if err := e.srv.LeaveRoom(room.ID, peer); err != nil {
		t.Fatal(err)
	}
	text, err := e.client.Summary(ctx, ls.ID)
	if err != nil || !strings.Contains(text, "Summary of") || !strings.Contains(text, "Mary") {
		t.Fatalf("summary %q, %v", text, err)
	}
	if want, _ := e.srv.Summary(ls.ID); want != text {
		t.Fatalf("summary %q, sandbox has %q", text, want)
	}
	if _, _, err := e.client.RecordingURL(ctx, "00000000-0000-4000-8000-000000000000"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("unknown recording: %v", err)
	}
	if _, err := e.client.FetchSummary(ctx, "ftp://x/y"); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("non-http summary URL: %v", err)
	}
	if _, err := e.client.FetchSummary(ctx, e.url+"/sandbox/downloads/nope"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("unknown download: %v", err)
	}
	for _, line := range strings.Split(e.logs.String(), "\n") {
		// The sandbox logs its own request paths, as a storage service
		// would; meetbot's lines must not carry the URL.
		if strings.Contains(line, "/sandbox/downloads/") && !strings.Contains(line, "sandbox request") {
			t.Fatalf("a download URL reached the log: %s", line)
		}
	}
}

// Ensure RecordingURL hands out a fresh URL per call for an uploaded
// recording.
func TestRecordingURLIsFresh(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	ctx := t.Context()
	room := e.room(core.RoomActive)
	a := e.participant(room.ID, "mb-a")
	peer, _ := e.srv.EnterRoom(room.ID, a.ID)
	e.srv.SetAfterEnd(true, false)
	if err := e.srv.LeaveRoom(room.ID, peer); err != nil {
		t.Fatal(err)
	}
	id := e.srv.Recordings(room.ID)
	if len(id) != 1 {
		t.Fatalf("recordings %v", id)
	}
	u1, exp, err := e.client.RecordingURL(ctx, id[0])
	u2, _, err2 := e.client.RecordingURL(ctx, id[0])
	if err != nil || err2 != nil || u1 == "" || u1 == u2 || exp.IsZero() {
		t.Fatalf("urls %q %q exp %v: %v %v", u1, u2, exp, err, err2)
	}
}

// Ensure EnsureWebhook creates one webhook, leaves it alone when it
// matches (in any order), updates it when its events or state differ,
// removes a second one for the same URL, and never touches another URL's
// webhook.
func TestEnsureWebhook(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	ctx := t.Context()
	const url = "https://meet.example.com/realtimekit/webhooks"
	events := []string{"meeting.started", "meeting.ended", "meeting.participantJoined"}
	e.rawWebhook(`{"name":"other tool","url":"https://other.example/hook","events":["meeting.started"]}`)
	res, err := e.client.EnsureWebhook(ctx, url, events)
	if err != nil || res.Action != realtimekit.WebhookCreated || res.ID == "" {
		t.Fatalf("first: %+v %v", res, err)
	}
	id := res.ID
	res, err = e.client.EnsureWebhook(ctx, url, []string{"meeting.participantJoined", "meeting.ended", "meeting.started"})
	if err != nil || res.Action != realtimekit.WebhookUnchanged || res.ID != id {
		t.Fatalf("same events: %+v %v", res, err)
	}
	more := append(slices.Clone(events), "meeting.summary")
	res, err = e.client.EnsureWebhook(ctx, url, more)
	if err != nil || res.Action != realtimekit.WebhookUpdated || res.ID != id {
		t.Fatalf("more events: %+v %v", res, err)
	}
	e.rawWebhook(`{"name":"dup","url":"` + url + `","events":["meeting.started"],"enabled":false}`)
	res, err = e.client.EnsureWebhook(ctx, url, more)
	if err != nil || res.Action != realtimekit.WebhookUnchanged || res.ID != id || len(res.Removed) != 1 {
		t.Fatalf("with a duplicate: %+v %v", res, err)
	}
	hooks := e.srv.Webhooks()
	if len(hooks) != 2 {
		t.Fatalf("webhooks %+v, want ours and the other tool's", hooks)
	}
	var ours sandbox.WebhookInfo
	for _, h := range hooks {
		if h.URL == url {
			ours = h
		}
	}
	if ours.ID != id || !ours.Enabled || !slices.Equal(ours.Events, slices.Sorted(slices.Values(more))) {
		t.Fatalf("ours %+v", ours)
	}
	if n := e.srv.Calls(sandbox.OpCreateWebhook); n != 3 { // ours once, two raw
		t.Fatalf("%d creates, want 3", n)
	}
}

// rawWebhook registers a webhook over plain HTTP, as another tool would.
func (e *env) rawWebhook(body string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/client/v4/accounts/acc-1/realtime/kit/app-1/webhooks", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusCreated {
		e.t.Fatalf("raw create: %v %v", res, err)
	}
	_ = res.Body.Close()
}
