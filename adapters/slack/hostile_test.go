package slack_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/web"
)

// submitTitled sends a signed view_submission of the scheduling modal with
// the given title, like submitModal.
func submitTitled(t *testing.T, h *harness, trigger, title string) (int, reply) {
	t.Helper()
	v := func(k string, x any) map[string]any { return map[string]any{"v": map[string]any{"type": "x", k: x}} }
	payload := map[string]any{
		"type": "view_submission", "team": map[string]any{"id": "T1"}, "trigger_id": trigger,
		"user": map[string]any{"id": "U1", "username": "u1", "team_id": "T1"},
		"view": map[string]any{"id": "V1", "hash": "1700000000.abcdef", "callback_id": "meet_schedule",
			"state": map[string]any{"values": map[string]any{
				"title":    v("value", title),
				"date":     v("selected_date", "2026-11-27"),
				"time":     v("selected_time", "15:00"),
				"duration": v("selected_option", map[string]any{"value": "30"}),
				"channel":  v("selected_conversation", "C1"),
			}}},
	}
	b, _ := json.Marshal(payload)
	return h.do(t, signed(t, h.srv.URL+"/slack/interactions", "payload="+url.QueryEscape(string(b)), time.Now()))
}

// TestModalRefusesFormatCharacters: the modal applies the same title rule
// as the /meet grammar, so a bidi override (U+202E) or another invisible
// format character is refused under the title field and nothing is
// stored, while an emoji joined with U+200D still schedules.
func TestModalRefusesFormatCharacters(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	for i, title := range []string{"Pay\u202Efdp.exe", "zero\u200bwidth", "iso\u2066late", "soft\u00adhyphen"} {
		code, r := submitTitled(t, h.harness, "bad."+string(rune('a'+i)), title)
		if code != http.StatusOK || !strings.Contains(string(r.raw), `"response_action":"errors"`) ||
			!strings.Contains(string(r.raw), `"title"`) || !strings.Contains(string(r.raw), "plain text") {
			t.Fatalf("title %q: %d %s", title, code, r.raw)
		}
	}
	h.wantMeetings(t, 0, "stored from refused titles")
	if code, r := submitTitled(t, h.harness, "ok.1", "Team 👩\u200d💻 sync"); code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("emoji title: %d %s", code, r.raw)
	}
	h.adapter.Wait()
	if ms := h.meetings(t); len(ms) != 1 || ms[0].Title != "Team 👩\u200d💻 sync" {
		t.Fatalf("emoji title scheduled %d meetings", len(ms))
	}
}

// TestReplayWithoutTriggerRunsOnce: a signed command with no trigger_id,
// sent three times with the same timestamp and body, schedules one
// meeting (the key over the signed bytes stands in for the trigger_id);
// the same command signed again at another second is a new request.
func TestReplayWithoutTriggerRunsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	form := h.commandForm("U1", "schedule Planning tomorrow 3pm")
	form.Del("trigger_id")
	body := form.Encode()
	target := h.srv.URL + "/slack/commands"
	at := time.Now()
	for i := range 3 {
		code, r := h.do(t, signed(t, target, body, at))
		if code != http.StatusOK {
			t.Fatalf("delivery %d: %d %s", i, code, r.raw)
		}
		if i > 0 && len(r.raw) != 0 {
			t.Fatalf("replay %d answered %s", i, r.raw)
		}
	}
	h.wantMeetings(t, 1, "from three deliveries of one signed request")
	// The room comes from the meeting's room job; run it, then count.
	for _, m := range h.meetings(t) {
		h.env.MakeRoom(m)
	}
	if n := h.env.Sandbox.Calls("create_meeting"); n != 1 {
		t.Fatalf("%d rooms created, want 1", n)
	}
	if code, _ := h.do(t, signed(t, target, body, at.Add(-time.Second))); code != http.StatusOK {
		t.Fatalf("re-signed: %d", code)
	}
	h.wantMeetings(t, 2, "after a freshly signed request")
}

// TestClickReplayWithoutTriggerRunsOnce: a signed Join-button click with no
// trigger_id, sent three times, answers once.
func TestClickReplayWithoutTriggerRunsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	if code, _ := h.command(t, "U1", "now standup"); code != http.StatusOK {
		t.Fatal("now failed")
	}
	h.adapter.Wait()
	before := len(h.hooks.Posts())
	payload := map[string]any{
		"type":         "block_actions",
		"team":         map[string]any{"id": "T1", "domain": "example"},
		"user":         map[string]any{"id": "U2", "username": "u2", "team_id": "T1"},
		"api_app_id":   "A1",
		"container":    map[string]any{"type": "message", "message_ts": "1.2", "channel_id": "C1", "is_ephemeral": false},
		"channel":      map[string]any{"id": "C1", "name": "general"},
		"response_url": h.hooks.URL + "/actions/A1/99/secret",
		"actions": []any{map[string]any{
			"action_id": "join:1", "block_id": "b", "type": "button", "value": "v", "action_ts": "1.3",
			"text": map[string]any{"type": "plain_text", "text": "x"},
		}},
	}
	b, _ := json.Marshal(payload)
	body := "payload=" + url.QueryEscape(string(b))
	at := time.Now()
	for range 3 {
		if code, r := h.do(t, signed(t, h.srv.URL+"/slack/interactions", body, at)); code != http.StatusOK {
			t.Fatalf("click: %d %s", code, r.raw)
		}
	}
	h.adapter.Wait()
	if n := len(h.hooks.Posts()) - before; n != 1 {
		t.Fatalf("three deliveries of one signed click answered %d times, want 1", n)
	}
}

// TestPostRoutesGetIs405: mounted on the web handler as in production, the
// POST-only Slack routes answer GET with 405 and Allow: POST, not 404.
func TestPostRoutesGetIs405(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	wh := web.New(web.Options{Service: h.env.Service, Logger: zerolog.Nop()})
	h.adapter.Register(wh.Handle)
	for _, p := range []string{"/slack/commands", "/slack/interactions"} {
		rec := httptest.NewRecorder()
		wh.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" {
			t.Errorf("GET %s: %d Allow %q", p, rec.Code, rec.Header().Get("Allow"))
		}
	}
}
