package slack_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// submitModal sends a signed view_submission of the scheduling modal with
// a fixed view id and hash (Slack keeps both while the modal stays open,
// also after a response_action "errors") and a fresh trigger_id.
func submitModal(t *testing.T, h *harness, trigger, date string) (int, reply) {
	t.Helper()
	v := func(k string, x any) map[string]any { return map[string]any{"v": map[string]any{"type": "x", k: x}} }
	payload := map[string]any{
		"type": "view_submission", "team": map[string]any{"id": "T1"}, "trigger_id": trigger,
		"user": map[string]any{"id": "U1", "username": "u1", "team_id": "T1"},
		"view": map[string]any{"id": "V1", "hash": "1700000000.abcdef", "callback_id": "meet_schedule",
			"state": map[string]any{"values": map[string]any{
				"title":    v("value", "Design review"),
				"date":     v("selected_date", date),
				"time":     v("selected_time", "15:00"),
				"duration": v("selected_option", map[string]any{"value": "30"}),
				"channel":  v("selected_conversation", "C1"),
			}}},
	}
	b, _ := json.Marshal(payload)
	return h.do(t, signed(t, h.srv.URL+"/slack/interactions", "payload="+url.QueryEscape(string(b)), time.Now()))
}

// TestModalResubmitAfterRefusal: core refuses a date in the past, the
// error shows under the date, the person picks another day and submits the
// same open modal again: that second submission must schedule the meeting,
// not be taken for a retry of the first.
func TestModalResubmitAfterRefusal(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	code, r := submitModal(t, h.harness, "sub.1", "2020-01-06")
	if code != http.StatusOK || !strings.Contains(string(r.raw), `"response_action":"errors"`) || !strings.Contains(string(r.raw), "already passed") {
		t.Fatalf("past date: %d %s", code, r.raw)
	}
	h.wantMeetings(t, 0, "after a refused submission")
	code, r = submitModal(t, h.harness, "sub.2", "2026-11-27")
	if code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("corrected submission: %d %s", code, r.raw)
	}
	h.adapter.Wait()
	if ms := h.meetings(t); len(ms) != 1 || ms[0].Title != "Design review" {
		t.Fatalf("the corrected submission scheduled %d meetings", len(ms))
	}
	// Ensure the very same delivery again (a retry or a replay) still does
	// not schedule a second meeting.
	if code, r := submitModal(t, h.harness, "sub.2", "2026-11-27"); code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("replayed submission: %d %s", code, r.raw)
	}
	h.wantMeetings(t, 1, "after a replayed submission")
}

// TestFallbackCardIsUpdatedByClicks: with a bot token whose card post
// failed (meetbot not in the channel), the card goes out as the command's
// in-channel reply and nobody records it for chat.update, so an RSVP or a
// cancel must replace it through response_url, or it stays stale forever.
func TestFallbackCardIsUpdatedByClicks(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.api.failNext("chat.postMessage", failure{slackErr: "not_in_channel"})
	if _, r := h.command(t, "U1", "schedule Review tomorrow 3pm"); r.ResponseType != "in_channel" || !strings.Contains(r.all(), "Review") {
		t.Fatalf("fallback card: %s", r.raw)
	}
	if m := h.meetings(t)[0]; !m.Card.IsZero() {
		t.Fatalf("card recorded at %+v although its post failed", m.Card)
	}
	h.click(t, "U2", "rsvp_yes:1")
	var replaced []reply
	for _, p := range h.hooks.Posts() {
		if p.Msg.ReplaceOriginal != nil && *p.Msg.ReplaceOriginal {
			replaced = append(replaced, p.Msg)
		}
	}
	if len(replaced) != 1 || !strings.Contains(replaced[0].all(), "1 yes, 0 no, 0 maybe") {
		t.Fatalf("the in-channel card was not redrawn after an RSVP: %+v", h.hooks.Posts())
	}
}

// TestDMsStillSentWhenChannelIsLost: meetbot was removed from the
// meeting's channel, so the channel reminder is logged once and skipped,
// but the invitees who get reminders by direct message must still get
// them, on that reminder and on the next.
func TestDMsStillSentWhenChannelIsLost(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.api.failNext("chat.postMessage", failure{slackErr: "not_in_channel"})
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1", "U7")); err != nil {
		t.Fatal(err)
	}
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1", "U7")); err != nil {
		t.Fatal(err)
	}
	var dms, channel int
	for _, c := range h.api.Calls("chat.postMessage") {
		switch c.Param("channel") {
		case "DU7":
			dms++
		case "C1":
			channel++
		}
	}
	if dms != 2 || channel != 2 { // the card, the refused reminder; none after
		t.Fatalf("%d DMs (want 2) and %d channel posts (want 2: card, refused reminder)", dms, channel)
	}
}

// TestDMOpenWithoutChannelDoesNotPanic: conversations.open answering ok
// without a channel (a misbehaving proxy at slack.api_url) is a failed DM,
// logged, not a nil dereference that takes the scheduler down.
func TestDMOpenWithoutChannelDoesNotPanic(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.api.failNext("conversations.open", failure{body: `{"ok":true}`})
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1", "U7")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.env.Logs.String(), "could not send a reminder by direct message") {
		t.Fatalf("the failed DM was not logged: %s", h.env.Logs.String())
	}
}

// TestModalNoteReachesOrganizerWhenChannelIsClosed: the modal schedules a
// meeting in a channel meetbot is not in, so neither the card nor an
// ephemeral note can go there; the organizer must still hear what happened,
// by direct message, instead of a modal that closed on nothing.
func TestModalNoteReachesOrganizerWhenChannelIsClosed(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.api.failNext("chat.postMessage", failure{slackErr: "not_in_channel"})
	h.api.failNext("chat.postEphemeral", failure{slackErr: "not_in_channel"})
	if code, r := submitModal(t, h.harness, "sub.1", "2026-11-27"); code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("submission: %d %s", code, r.raw)
	}
	h.adapter.Wait()
	if n := len(h.meetings(t)); n != 1 {
		t.Fatalf("%d meetings", n)
	}
	for _, c := range h.api.Calls("chat.postMessage") {
		if c.Param("channel") == "DU1" && strings.Contains(c.Param("text"), "/invite") {
			return
		}
	}
	t.Fatalf("the organizer was never told the card could not be posted: %+v", h.api.Calls(""))
}

// TestReminder429WithoutRetryAfter: a 429 without a Retry-After header is
// still a rate limit (slack-go reports it as a status error): the adapter
// waits a second and tries again instead of failing the reminder.
func TestReminder429WithoutRetryAfter(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.api.failNext("chat.postMessage", failure{status: http.StatusTooManyRequests})
	before := len(h.sleeps.All())
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1")); err != nil {
		t.Fatalf("a bare 429 failed the reminder: %v", err)
	}
	if n := len(h.api.Calls("chat.postMessage")); n != 3 {
		t.Fatalf("%d posts, want the card, the refused reminder and its retry", n)
	}
	waited := false
	for _, d := range h.sleeps.All()[before:] {
		waited = waited || d >= time.Second
	}
	if !waited {
		t.Fatalf("no wait before the retry: %v", h.sleeps.All()[before:])
	}
}

// TestScheduleInChannelWithoutBotSaysHowToFix: when meetbot is not a member
// of the channel, the card goes out as the command's in-channel reply, and
// that reply says why no reminders will follow and how to invite meetbot.
func TestScheduleInChannelWithoutBotSaysHowToFix(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.api.failNext("chat.postMessage", failure{slackErr: "not_in_channel"})
	code, r := h.command(t, "U1", "schedule Review tomorrow 3pm")
	if code != 200 || r.ResponseType != "in_channel" || !strings.Contains(string(r.raw), "/invite @meetbot") {
		t.Fatalf("reply: %d %s", code, r.raw)
	}
	h2 := newBotHarness(t, nil)
	h2.api.failNext("chat.postMessage", failure{slackErr: "internal_error"})
	if _, r := h2.command(t, "U1", "schedule Review tomorrow 3pm"); strings.Contains(string(r.raw), "/invite @meetbot") {
		t.Fatalf("an unrelated failure suggested inviting meetbot: %s", r.raw)
	}
}
