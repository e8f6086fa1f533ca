package slack_test

import (
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// TestJoinButtonRepliesEphemerally clicks Join on a running meeting's card:
// the clicker alone gets a personal link, and the card is left alone.
func TestJoinButtonRepliesEphemerally(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	if _, r := h.command(t, "U1", "now standup"); r.ResponseType != "in_channel" {
		t.Fatalf("now: %s", r.raw)
	}
	if code := h.click(t, "U2", "join:1"); code != http.StatusOK {
		t.Fatalf("click: %d", code)
	}
	posts := h.hooks.Posts()
	if len(posts) != 1 {
		t.Fatalf("posts = %+v", posts)
	}
	p := posts[0].Msg
	if p.ResponseType != "ephemeral" || p.ReplaceOriginal == nil || *p.ReplaceOriginal || !strings.Contains(p.Text, "http://meet.test/j/") {
		t.Fatalf("join reply: %s", p.raw)
	}
	// Ensure the link is U2's: the participant was created for U2.
	if _, err := h.env.Store.FindParticipant(t.Context(), core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}, "1", "U2"); err != nil {
		t.Fatalf("no participant for U2: %v", err)
	}
}

// TestJoinButtonTooEarly gives the plain sentence and no link.
func TestJoinButtonTooEarly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.click(t, "U2", "join:1")
	posts := h.hooks.Posts()
	if len(posts) != 1 || posts[0].Msg.ResponseType != "ephemeral" || !strings.Contains(posts[0].Msg.Text, "opens at") || strings.Contains(posts[0].Msg.Text, "/j/") {
		t.Fatalf("posts = %+v", posts)
	}
	if h.env.Sandbox.Calls("add_participant") != 0 {
		t.Fatal("a too-early click created a participant")
	}
}

// TestRSVPButtonsCount answers Yes, No, and Yes again from two people: the
// store counts one yes and one no, each clicker gets an ephemeral note and
// the card is replaced with the new counts.
func TestRSVPButtonsCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.click(t, "U2", "rsvp_yes:1")
	h.click(t, "U3", "rsvp_no:1")
	h.click(t, "U2", "rsvp_yes:1")
	ms := h.meetings(t)
	if len(ms) != 1 {
		t.Fatalf("%d meetings", len(ms))
	}
	if yes, no, maybe := ms[0].RSVPCounts(); yes != 1 || no != 1 || maybe != 0 {
		t.Fatalf("counts = %d yes, %d no, %d maybe", yes, no, maybe)
	}
	posts := h.hooks.Posts()
	if len(posts) != 6 {
		t.Fatalf("%d posts, want 3 notes and 3 card updates: %+v", len(posts), posts)
	}
	note, card := posts[4].Msg, posts[5].Msg
	if note.ResponseType != "ephemeral" || !strings.Contains(note.Text, "So far 1 yes, 1 no") {
		t.Fatalf("note: %s", note.raw)
	}
	if card.ReplaceOriginal == nil || !*card.ReplaceOriginal || !strings.Contains(card.all(), "1 yes, 1 no, 0 maybe") {
		t.Fatalf("card: %s", card.raw)
	}
}

// TestCancelButton: only the organizer (or an admin) may cancel; the card
// then loses its buttons.
func TestCancelButton(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.click(t, "U2", "cancel:1")
	posts := h.hooks.Posts()
	if len(posts) != 1 || posts[0].Msg.ResponseType != "ephemeral" || h.meetings(t)[0].State == core.StateCancelled {
		t.Fatalf("non-organizer cancel: %+v", posts)
	}
	h.click(t, "U1", "cancel:1")
	posts = h.hooks.Posts()
	if len(posts) != 3 || h.meetings(t)[0].State != core.StateCancelled {
		t.Fatalf("organizer cancel: %+v", posts)
	}
	if card := posts[2].Msg; !*card.ReplaceOriginal || strings.Contains(string(card.Blocks), "join:1") {
		t.Fatalf("cancelled card: %s", card.raw)
	}
}

// TestForeignTeamCannotClick: a signed click from another team that names
// meeting 1 finds nothing.
func TestForeignTeamCannotClick(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.command(t, "U1", "now standup")
	payload := `{"type":"block_actions","team":{"id":"T2"},"user":{"id":"U1","team_id":"T2"},"channel":{"id":"C1"},` +
		`"container":{"type":"message","channel_id":"C1"},"trigger_id":"x1","response_url":"` + h.hooks.URL + `/actions/x",` +
		`"actions":[{"action_id":"join:1","block_id":"actions_1","type":"button","value":"1"}]}`
	if code, r := h.do(t, signed(t, h.srv.URL+"/slack/interactions", url.Values{"payload": {payload}}.Encode(), time.Now())); code != http.StatusOK {
		t.Fatalf("click: %d %s", code, r.raw)
	}
	h.adapter.Wait()
	posts := h.hooks.Posts()
	if len(posts) != 1 || strings.Contains(posts[0].Msg.Text, "/j/") || !strings.Contains(posts[0].Msg.Text, "no meeting") {
		t.Fatalf("posts = %+v\n%s", posts, h.env.Logs.String())
	}
}

// TestUnknownActionDoesNothing sends Slack's documented sample payload (an
// action that is not ours) and a payload in the query string.
func TestUnknownActionDoesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	sample, err := os.ReadFile("testdata/slack_block_actions.json")
	if err != nil {
		t.Fatal(err)
	}
	code, r := h.do(t, signed(t, h.srv.URL+"/slack/interactions", url.Values{"payload": {string(sample)}}.Encode(), time.Now()))
	if code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("unknown action: %d %q", code, r.raw)
	}
	q := h.srv.URL + "/slack/interactions?" + url.Values{"payload": {string(sample)}}.Encode()
	if code, _ := h.do(t, signed(t, q, "", time.Now())); code != http.StatusBadRequest {
		t.Fatalf("payload in the query: %d", code)
	}
	h.adapter.Wait()
	if len(h.hooks.Posts()) != 0 {
		t.Fatal("something was posted")
	}
}
