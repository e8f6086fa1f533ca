package slack_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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
	h.adapter.Wait()
	if n := len(h.meetings(t)); n != 0 {
		t.Fatalf("%d meetings stored from refused titles", n)
	}
	if code, r := submitTitled(t, h.harness, "ok.1", "Team 👩\u200d💻 sync"); code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("emoji title: %d %s", code, r.raw)
	}
	h.adapter.Wait()
	if ms := h.meetings(t); len(ms) != 1 || ms[0].Title != "Team 👩\u200d💻 sync" {
		t.Fatalf("emoji title scheduled %d meetings", len(ms))
	}
}
