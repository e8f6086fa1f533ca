package discord_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/core"
)

// TestRoomNotices: a recording's personal link goes to the organizer by DM
// only, the channel gets a reply to the card without a link, and a
// summary is a reply to the card, escaped, pinging no one; for a private
// meeting it goes to the organizer alone.
func TestRoomNotices(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	m := h.meetings(t)[0]
	if m.Card.IsZero() {
		t.Fatal("no card was posted")
	}
	ctx := context.Background()
	link := "http://meet.test/r/CODE"
	if err := h.adapter.RoomNotice(ctx, core.RoomNotice{Kind: core.RecordingReady, Meeting: m, Links: map[string]string{"U1": link}, ChannelNote: true}); err != nil {
		t.Fatal(err)
	}
	dm := h.api.Calls(http.MethodPost, "/channels/dm-U1/messages")
	if len(dm) != 1 || !strings.Contains(string(dm[0].Body), link) {
		t.Fatalf("organizer DM = %+v", dm)
	}
	posts := h.api.Calls(http.MethodPost, "/channels/"+m.Card.Channel+"/messages")
	note := string(posts[len(posts)-1].Body)
	if !strings.Contains(note, "recording of **Review** is ready") || strings.Contains(note, "/r/") || !strings.Contains(note, `"message_id":"`+m.Card.ID+`"`) {
		t.Fatalf("channel note = %s", note)
	}
	if err := h.adapter.RoomNotice(ctx, core.RoomNotice{Kind: core.SummaryReady, Meeting: m, Summary: "Ship it @everyone"}); err != nil {
		t.Fatal(err)
	}
	posts = h.api.Calls(http.MethodPost, "/channels/"+m.Card.Channel+"/messages")
	sum := string(posts[len(posts)-1].Body)
	if !strings.Contains(sum, "Summary of Review") || !strings.Contains(sum, `"allowed_mentions":{"parse":[]`) || strings.Contains(sum, "Ship it @everyone") {
		t.Fatalf("summary reply = %s", sum)
	}
	before := len(posts)
	priv := m.Clone()
	priv.Private = true
	if err := h.adapter.RoomNotice(ctx, core.RoomNotice{Kind: core.SummaryReady, Meeting: priv, Summary: "secret", To: []string{"U1"}}); err != nil {
		t.Fatal(err)
	}
	if n := len(h.api.Calls(http.MethodPost, "/channels/"+m.Card.Channel+"/messages")); n != before {
		t.Fatal("a private meeting's summary was posted in the channel")
	}
	if dm := h.api.Calls(http.MethodPost, "/channels/dm-U1/messages"); len(dm) != 2 || !strings.Contains(string(dm[1].Body), "secret") {
		t.Fatalf("private summary DM = %+v", dm)
	}
}
