package discord_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/core"
)

const eventsPath = "/guilds/" + guildA + "/scheduled-events"

// mirrored is a harness with MirrorEvents on.
func mirrored(t *testing.T) *harness {
	return newHarness(t, func(o *discord.Options) { o.MirrorEvents = true })
}

// meeting loads guild A's meeting id from the store.
func (h *harness) meeting(t *testing.T, id string) *core.Meeting {
	t.Helper()
	m, err := h.env.Store.FindMeetingByID(context.Background(), core.WorkspaceKey{Platform: core.PlatformDiscord, ID: guildA}, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// eventBody is a scheduled event create or edit as sent.
type eventBody struct {
	Name           string           `json:"name"`
	Description    string           `json:"description"`
	ChannelID      *string          `json:"channel_id"`
	Start          *time.Time       `json:"scheduled_start_time"`
	End            *time.Time       `json:"scheduled_end_time"`
	PrivacyLevel   int              `json:"privacy_level"`
	EntityType     int              `json:"entity_type"`
	EntityMetadata *json.RawMessage `json:"entity_metadata"`
	Location       string           `json:"-"`
	raw            map[string]json.RawMessage
}

func readEvent(t *testing.T, c call) eventBody {
	t.Helper()
	var b eventBody
	if err := json.Unmarshal(c.Body, &b); err != nil {
		t.Fatalf("event body: %v: %s", err, c.Body)
	}
	_ = json.Unmarshal(c.Body, &b.raw)
	if b.EntityMetadata != nil {
		var md struct {
			Location string `json:"location"`
		}
		_ = json.Unmarshal(*b.EntityMetadata, &md)
		b.Location = md.Location
	}
	return b
}

// TestMirrorCreatesOneExternalEvent: scheduling with MirrorEvents creates
// exactly one EXTERNAL, guild-only event at the meeting's times, located
// at the public info page (never a join link or a token), and records it.
func TestMirrorCreatesOneExternalEvent(t *testing.T) {
	t.Parallel()
	h := mirrored(t)
	r := h.command(t, "U1", "schedule", opt("title", "Design review @everyone"), opt("when", "3pm"), opt("duration", "45m"), opt("repeat", "every thursday"))
	if !r.ephemeral() || !strings.Contains(r.Data.Content, "Scheduled") {
		t.Fatalf("reply: %s", r.raw)
	}
	posts := h.api.Calls(http.MethodPost, eventsPath)
	if len(posts) != 1 {
		t.Fatalf("%d event creates, want 1", len(posts))
	}
	ev := readEvent(t, posts[0])
	m := h.meeting(t, "1")
	info := h.env.Service.InfoURL(m)
	if ev.EntityType != 3 || ev.PrivacyLevel != 2 || ev.Name != "Design review @everyone" {
		t.Fatalf("event: %s", posts[0].Body)
	}
	if ch, ok := ev.raw["channel_id"]; !ok || string(ch) != "null" {
		t.Fatalf("channel_id %s, want null", ch)
	}
	if ev.Start == nil || ev.End == nil || !ev.Start.Equal(m.Start) || !ev.End.Equal(m.Start.Add(45*time.Minute)) {
		t.Fatalf("times %v–%v, want %v for 45m", ev.Start, ev.End, m.Start)
	}
	if ev.Location == "" || ev.Location != discord.EventLocation(info, m.ID) {
		t.Fatalf("location %q", ev.Location)
	}
	if !strings.Contains(ev.Description, info) || !strings.Contains(ev.Description, "Repeats") || !strings.Contains(ev.Description, "u1") {
		t.Fatalf("description %q", ev.Description)
	}
	for _, secret := range []string{"/j/", "test-bot-token", "test-token"} {
		if strings.Contains(string(posts[0].Body), secret) {
			t.Fatalf("event carries %q: %s", secret, posts[0].Body)
		}
	}
	if m.Mirror != (core.MessageRef{Channel: guildA, ID: "ev" + strings.TrimPrefix(m.Mirror.ID, "ev")}) || m.Mirror.ID == "" {
		t.Fatalf("mirror %+v", m.Mirror)
	}
	if m.Card.IsZero() {
		t.Fatal("no card recorded")
	}
}

// TestEventLocation: the info page when it fits Discord's 100 characters,
// else how to join from Discord; neither is ever a link to join.
func TestEventLocation(t *testing.T) {
	t.Parallel()
	short := "https://meet.example.com/meetings/abc"
	if got := discord.EventLocation(short, "7"); got != short {
		t.Fatalf("short: %q", got)
	}
	long := "https://meet.example.com/meetings/" + strings.Repeat("x", 100)
	if got := discord.EventLocation(long, "7"); got != "Discord: /meet join 7" {
		t.Fatalf("long: %q", got)
	}
}

// TestMirrorNameFits: a title over 100 characters is cut with "…".
func TestMirrorNameFits(t *testing.T) {
	t.Parallel()
	h := mirrored(t)
	h.command(t, "U1", "schedule", opt("title", strings.Repeat("é", 150)), opt("when", "tomorrow 3pm"))
	posts := h.api.Calls(http.MethodPost, eventsPath)
	if len(posts) != 1 {
		t.Fatalf("%d creates", len(posts))
	}
	name := []rune(readEvent(t, posts[0]).Name)
	if len(name) != 100 || name[99] != '…' {
		t.Fatalf("name of %d runes: %q", len(name), string(name))
	}
}

// TestMirrorOffOrPrivateCreatesNone: no event without MirrorEvents, and
// none for a private meeting with it.
func TestMirrorOffOrPrivateCreatesNone(t *testing.T) {
	t.Parallel()
	off := newHarness(t)
	off.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	if n := len(off.api.Calls("", "/guilds/")); n != 0 {
		t.Fatalf("mirror off: %d guild calls", n)
	}
	if !off.meeting(t, "1").Mirror.IsZero() {
		t.Fatal("mirror off: mirror recorded")
	}
	on := mirrored(t)
	on.command(t, "U1", "schedule", opt("title", "1:1"), opt("when", "tomorrow 3pm"), opt("private", true))
	if n := len(on.api.Calls("", "/guilds/")); n != 0 {
		t.Fatalf("private: %d guild calls", n)
	}
}

// TestMirrorMoveEditsTimes: moving the meeting edits the event's start
// and end, and leaves the event itself in place.
func TestMirrorMoveEditsTimes(t *testing.T) {
	t.Parallel()
	h := mirrored(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"), opt("duration", "30m"))
	ref := h.meeting(t, "1").Mirror
	h.command(t, "U1", "move", opt("id", "1"), opt("when", "friday 4pm"))
	m := h.meeting(t, "1")
	edits := h.api.Calls(http.MethodPatch, eventsPath+"/"+ref.ID)
	if len(edits) != 1 {
		t.Fatalf("%d event edits", len(edits))
	}
	ev := readEvent(t, edits[0])
	if ev.Start == nil || ev.End == nil || !ev.Start.Equal(m.Start) || !ev.End.Equal(m.Start.Add(30*time.Minute)) {
		t.Fatalf("edited to %v–%v, want %v", ev.Start, ev.End, m.Start)
	}
	if m.Mirror != ref || len(h.api.Calls(http.MethodPost, eventsPath)) != 1 {
		t.Fatalf("mirror %+v, was %+v", m.Mirror, ref)
	}
}

// TestMirrorCancelDeletes: cancelling deletes the event and clears the
// meeting's mirror in the store.
func TestMirrorCancelDeletes(t *testing.T) {
	t.Parallel()
	h := mirrored(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	ref := h.meeting(t, "1").Mirror
	h.command(t, "U1", "cancel", opt("id", "1"))
	if n := len(h.api.Calls(http.MethodDelete, eventsPath+"/"+ref.ID)); n != 1 {
		t.Fatalf("%d deletes", n)
	}
	if m := h.meeting(t, "1"); !m.Mirror.IsZero() || m.State != core.StateCancelled {
		t.Fatalf("after cancel: %+v %s", m.Mirror, m.State)
	}
}

// TestMirrorDeletedByHand: an edit answered 404 Unknown Guild Scheduled
// Event clears the mirror with one log line; the move itself succeeds and
// later changes leave Discord's events alone.
func TestMirrorDeletedByHand(t *testing.T) {
	t.Parallel()
	h := mirrored(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	ref := h.meeting(t, "1").Mirror
	h.api.mu.Lock()
	h.api.fail[http.MethodPatch+" "+eventsPath+"/"+ref.ID] = apiErr{http.StatusNotFound, 10070}
	h.api.mu.Unlock()
	r := h.command(t, "U1", "move", opt("id", "1"), opt("when", "friday 4pm"))
	if !strings.Contains(r.Data.Content, "Moved") {
		t.Fatalf("move: %s", r.raw)
	}
	if m := h.meeting(t, "1"); !m.Mirror.IsZero() {
		t.Fatalf("mirror %+v kept", m.Mirror)
	}
	if n := strings.Count(h.env.Logs.String(), "deleted in discord"); n != 1 {
		t.Fatalf("%d log lines:\n%s", n, h.env.Logs.String())
	}
	if strings.Contains(h.env.Logs.String(), "could not update the meeting card") {
		t.Fatalf("a hand-deleted event is an error:\n%s", h.env.Logs.String())
	}
	before := len(h.api.Calls("", "/guilds/"))
	h.command(t, "U1", "cancel", opt("id", "1"))
	if n := len(h.api.Calls("", "/guilds/")); n != before {
		t.Fatalf("%d more event calls after the mirror was dropped", n-before)
	}
}

// TestMirrorCreateForbidden: without Create Events (403, code 50013) the
// meeting is scheduled with its card, no mirror, and one log line.
func TestMirrorCreateForbidden(t *testing.T) {
	t.Parallel()
	h := mirrored(t)
	h.api.mu.Lock()
	h.api.fail[http.MethodPost+" "+eventsPath] = apiErr{http.StatusForbidden, 50013}
	h.api.mu.Unlock()
	r := h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	if !r.ephemeral() || !strings.Contains(r.Data.Content, "Scheduled") {
		t.Fatalf("reply: %s", r.raw)
	}
	m := h.meeting(t, "1")
	if m.State != core.StatePending || m.Card.IsZero() || !m.Mirror.IsZero() {
		t.Fatalf("meeting: %s card %+v mirror %+v", m.State, m.Card, m.Mirror)
	}
	logs := h.env.Logs.String()
	if n := strings.Count(logs, "could not create the discord scheduled event"); n != 1 || !strings.Contains(logs, "50013") {
		t.Fatalf("%d log lines:\n%s", n, logs)
	}
	if strings.Contains(logs, "test-bot-token") {
		t.Fatal("the bot token was logged")
	}
}

// TestUpdateCardMirrorOnly: a meeting with an event but no card (the card
// post failed) gets its event moved and no message edit is tried.
func TestUpdateCardMirrorOnly(t *testing.T) {
	t.Parallel()
	h := mirrored(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	ws := core.WorkspaceKey{Platform: core.PlatformDiscord, ID: guildA}
	if _, err := h.env.Service.SetCard(context.Background(), ws, "1", core.MessageRef{}); err != nil {
		t.Fatal(err)
	}
	h.command(t, "U1", "move", opt("id", "1"), opt("when", "friday 4pm"))
	m := h.meeting(t, "1")
	if err := h.adapter.UpdateCard(context.Background(), m, core.CardRSVP); err != nil {
		t.Fatal(err)
	}
	if n := len(h.api.Calls(http.MethodPatch, "/channels/")); n != 0 {
		t.Fatalf("%d message edits for a meeting without a card", n)
	}
	if n := len(h.api.Calls(http.MethodPatch, eventsPath+"/"+m.Mirror.ID)); n != 1 {
		t.Fatalf("%d event edits, want 1 (the move; an RSVP changes nothing)", n)
	}
}

// TestMirrorSeriesEnded: when one meeting of a series ends, its event
// (completed by Discord) is replaced by one for the next meeting; when
// the last has ended, the event is deleted and forgotten.
func TestMirrorSeriesEnded(t *testing.T) {
	t.Parallel()
	h := mirrored(t)
	h.command(t, "U1", "schedule", opt("title", "Weekly"), opt("when", "3pm"), opt("duration", "30m"), opt("repeat", "every thursday"))
	m := h.meeting(t, "1")
	first := m.Mirror
	h.env.Clock.Set(m.Start.Add(2 * time.Hour))
	if err := h.adapter.UpdateCard(context.Background(), m, core.CardEnded); err != nil {
		t.Fatal(err)
	}
	if n := len(h.api.Calls(http.MethodDelete, eventsPath+"/"+first.ID)); n != 1 {
		t.Fatalf("%d deletes of the first event", n)
	}
	posts := h.api.Calls(http.MethodPost, eventsPath)
	if len(posts) != 2 {
		t.Fatalf("%d creates", len(posts))
	}
	ev := readEvent(t, posts[1])
	if next := m.Start.AddDate(0, 0, 7); ev.Start == nil || !ev.Start.Equal(next) {
		t.Fatalf("next event at %v, want %v", ev.Start, next)
	}
	m = h.meeting(t, "1")
	if m.Mirror.IsZero() || m.Mirror == first {
		t.Fatalf("mirror %+v after the first meeting ended", m.Mirror)
	}

	m.State = core.StateEnded
	second := m.Mirror
	if err := h.adapter.UpdateCard(context.Background(), m, core.CardEnded); err != nil {
		t.Fatal(err)
	}
	if n := len(h.api.Calls(http.MethodDelete, eventsPath+"/"+second.ID)); n != 1 || !h.meeting(t, "1").Mirror.IsZero() {
		t.Fatalf("%d deletes; mirror %+v", n, h.meeting(t, "1").Mirror)
	}
}

// TestMirrorEditRefusedReplaces: an edit Discord refuses (400, as for an
// event already active) deletes the event and creates one at the new time.
func TestMirrorEditRefusedReplaces(t *testing.T) {
	t.Parallel()
	h := mirrored(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	ref := h.meeting(t, "1").Mirror
	h.api.mu.Lock()
	h.api.fail[http.MethodPatch+" "+eventsPath+"/"+ref.ID] = apiErr{http.StatusBadRequest, 50035}
	h.api.mu.Unlock()
	h.command(t, "U1", "move", opt("id", "1"), opt("when", "friday 4pm"))
	m := h.meeting(t, "1")
	posts := h.api.Calls(http.MethodPost, eventsPath)
	if len(h.api.Calls(http.MethodDelete, eventsPath+"/"+ref.ID)) != 1 || len(posts) != 2 {
		t.Fatalf("replace: %d creates", len(posts))
	}
	if ev := readEvent(t, posts[1]); ev.Start == nil || !ev.Start.Equal(m.Start) || m.Mirror == ref || m.Mirror.IsZero() {
		t.Fatalf("new event at %v, mirror %+v", ev.Start, m.Mirror)
	}
}

// TestMirrorStartedOccurrenceKeepsStart: moving while the occurrence is
// already under way (a series' single meeting moved later the same day is
// in the future; here the end moves) never sends a start in the past.
func TestMirrorStartedOccurrenceKeepsStart(t *testing.T) {
	t.Parallel()
	h := mirrored(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"), opt("duration", "1h"))
	m := h.meeting(t, "1")
	h.env.Clock.Set(m.Start.Add(10 * time.Minute))
	if err := h.adapter.UpdateCard(context.Background(), m, core.CardMoved); err != nil {
		t.Fatal(err)
	}
	edits := h.api.Calls(http.MethodPatch, eventsPath+"/"+m.Mirror.ID)
	if len(edits) != 1 {
		t.Fatalf("%d edits", len(edits))
	}
	if ev := readEvent(t, edits[0]); ev.Start != nil || ev.End == nil || !ev.End.Equal(m.End()) {
		t.Fatalf("edit of a started occurrence: %s", edits[0].Body)
	}
}
