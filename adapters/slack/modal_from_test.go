package slack_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/internal/testenv"
)

// submitSeries submits the scheduling modal for a repeating meeting whose
// first day is date.
func submitSeries(t *testing.T, h *harness, trigger, date, repeat string) (int, reply) {
	t.Helper()
	v := func(k string, x any) map[string]any { return map[string]any{"v": map[string]any{"type": "x", k: x}} }
	payload := map[string]any{
		"type": "view_submission", "team": map[string]any{"id": "T1"}, "trigger_id": trigger,
		"user": map[string]any{"id": "U1", "username": "u1", "team_id": "T1"},
		"view": map[string]any{"id": "V1", "hash": "1700000000.abcdef", "callback_id": "meet_schedule",
			"state": map[string]any{"values": map[string]any{
				"title":    v("value", "Standup"),
				"date":     v("selected_date", date),
				"time":     v("selected_time", "10:00"),
				"duration": v("selected_option", map[string]any{"value": "15"}),
				"repeat":   v("selected_option", map[string]any{"value": repeat}),
				"channel":  v("selected_conversation", "C1"),
			}}},
	}
	b, _ := json.Marshal(payload)
	return h.do(t, signed(t, h.srv.URL+"/slack/interactions", "payload="+url.QueryEscape(string(b)), time.Now()))
}

// TestModalSeriesStartsOnChosenDay: the modal's date is a repeating
// meeting's first day; a day already past is refused by name, with no
// clock time and no start-time hint, and nothing is stored.
func TestModalSeriesStartsOnChosenDay(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil) // now: Wed Nov 25 2026, New York
	code, r := submitSeries(t, h.harness, "from.1", "2026-11-01", "weekly")
	if code != http.StatusOK || !strings.Contains(string(r.raw), "Sun Nov 1 2026 has already passed. Pick today or a later day.") ||
		strings.Contains(string(r.raw), "tomorrow 3pm") {
		t.Fatalf("past first day: %d %s", code, r.raw)
	}
	h.wantMeetings(t, 0, "after a refused submission")
	if code, r := submitSeries(t, h.harness, "from.2", "2027-01-11", "weekly"); code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("series from jan 11: %d %s", code, r.raw)
	}
	h.adapter.Wait()
	ms := h.meetings(t)
	if len(ms) != 1 || ms[0].Recurrence != "FREQ=WEEKLY;BYDAY=MO" || ms[0].Start.In(testenv.MustZone(ms[0].TimeZone)).Format("2006-01-02 15:04") != "2027-01-11 10:00" {
		t.Fatalf("series: %+v", ms)
	}
}
