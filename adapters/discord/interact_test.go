package discord_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/core"
)

// TestScheduleAndCard schedules a meeting: the actor gets an ephemeral
// confirmation (with the zone hint, once), the card is posted to the
// channel through the REST API with Discord timestamps and buttons, and
// its id is recorded so later changes redraw it.
func TestScheduleAndCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.command(t, "U1", "schedule", opt("title", "Design review"), opt("when", "tomorrow 3pm"), opt("duration", "45m"))
	if !r.ephemeral() || !strings.Contains(r.Data.Content, "Scheduled \"Design review\"") ||
		!strings.Contains(r.Data.Content, "I read the time in America/New_York") {
		t.Fatalf("answer: %s", r.raw)
	}
	posts := h.api.Calls(http.MethodPost, "/channels/C1/messages")
	if len(posts) != 1 {
		t.Fatalf("posts: %+v", posts)
	}
	card := string(posts[0].Body)
	ms := h.meetings(t)
	if len(ms) != 1 || ms[0].Card.Channel != channel || ms[0].Card.ID == "" {
		t.Fatalf("card not recorded: %+v", ms)
	}
	start := ms[0].Start.Unix()
	for _, want := range []string{"Design review", "<t:" + itoa(start) + ":F>", "<t:" + itoa(start) + ":R>", "<@U1>",
		`"custom_id":"mb:join:1"`, `"custom_id":"mb:yes:1"`, `"custom_id":"mb:no:1"`, `"custom_id":"mb:cancel:1"`, `"allowed_mentions":{"parse":[]`} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %s: %s", want, card)
		}
	}
	if strings.Contains(card, `"style":5`) || strings.Contains(card, "/j/") {
		t.Fatalf("card holds a link button or a personal link: %s", card)
	}
	// The hint is given once.
	r = h.command(t, "U1", "schedule", opt("title", "Second"), opt("when", "friday 9am"))
	if strings.Contains(r.Data.Content, "I read the time in") {
		t.Fatalf("hint repeated: %s", r.Data.Content)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestEverySubcommand runs each subcommand through the HTTP endpoint and
// checks the answer is the shared grammar's.
func TestEverySubcommand(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "schedule", opt("title", "Standup"), opt("when", "9:30"), opt("repeat", "weekdays"), opt("duration", "15m"))
	h.command(t, "U1", "now", opt("title", "Quick one"))
	cases := []struct {
		user, sub string
		opts      []*dg.ApplicationCommandInteractionDataOption
		want      string
	}{
		{"U1", "list", nil, "Upcoming meetings"},
		{"U1", "info", opts(opt("id", "1")), "Meeting 1"},
		{"U2", "join", opts(opt("id", "2")), "http://meet.test/j/"},
		{"U2", "join", nil, "http://meet.test/j/"},
		{"U2", "rsvp", opts(opt("id", "1"), opt("answer", "yes")), "Noted: yes"},
		{"U1", "skip", opts(opt("id", "1")), "Skipped"},
		{"U1", "move", opts(opt("id", "1"), opt("when", "tomorrow 10am")), "Moved one occurrence"},
		{"U1", "move", opts(opt("id", "1"), opt("when", "monday 10:00"), opt("all", true)), "Moved the whole series"},
		{"U1", "invite", opts(opt("id", "1"), opt("users", "<@111111111111111111> <@222222222222222222>")), "Invited <@111111111111111111>"},
		{"U1", "remove", opts(opt("id", "1"), opt("users", "<@222222222222222222>")), "Removed <@222222222222222222>"},
		{"U1", "invite", opts(opt("id", "1"), opt("users", "<@111111111111111111>")), "<@111111111111111111> was already invited"},
		{"U1", "invite", opts(opt("id", "1"), opt("users", "<@333333333333333333>"), opt("host", true)), "Made <@333333333333333333> a co-host"},
		{"U1", "remove", opts(opt("id", "1"), opt("users", "<@222222222222222222>")), "<@222222222222222222> was already removed"},
		{"U1", "ics", opts(opt("id", "1")), ".ics"},
		{"U3", "tz", opts(opt("zone", "Europe/Berlin")), "Your time zone is now Europe/Berlin"},
		{"U1", "help", nil, "/meet schedule"},
		{"U1", "help", opts(opt("topic", "move")), "/meet move"},
		{"U1", "settings", nil, ""},
		{"U2", "cancel", opts(opt("id", "2")), ""},
		{"U1", "cancel", opts(opt("id", "2")), "Cancelled meeting 2"},
		{"U1", "info", opts(opt("id", "99")), "There is no meeting \"99\""},
	}
	for _, c := range cases {
		r := h.command(t, c.user, c.sub, c.opts...)
		text := r.Data.Content + strings.Join(rawStrings(r.Data.Embeds), "")
		if !r.ephemeral() || !strings.Contains(text, c.want) || r.Data.AllowedMentions == nil || len(r.Data.AllowedMentions.Parse) != 0 {
			t.Errorf("%s %s: %s", c.sub, c.user, r.raw)
		}
	}
	if m, err := h.env.Store.FindMeetingByID(context.Background(), core.WorkspaceKey{Platform: core.PlatformDiscord, ID: guildA}, "2"); err != nil || m.State != core.StateCancelled {
		t.Fatalf("meeting 2: %+v %v", m, err)
	}
	// The cancelled meeting's card lost its buttons.
	edits := h.api.Calls(http.MethodPatch, "/channels/C1/messages/")
	if len(edits) == 0 || strings.Contains(string(edits[len(edits)-1].Body), "mb:join") {
		t.Fatalf("card edits: %d", len(edits))
	}
}

func opts(o ...*dg.ApplicationCommandInteractionDataOption) []*dg.ApplicationCommandInteractionDataOption {
	return o
}

func rawStrings(rs []json.RawMessage) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// TestJoinButtonGivesWorkingLink clicks Join on a running meeting's card:
// only the clicker sees the link, and GET of it serves the join page.
func TestJoinButtonGivesWorkingLink(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "now", opt("title", "standup"))
	r := h.send(t, h.clickOn(guildA, "U2", "mb:join:1"))
	if !r.ephemeral() || r.Type != int(dg.InteractionResponseChannelMessageWithSource) {
		t.Fatalf("join: %s", r.raw)
	}
	link := regexp.MustCompile(`http://meet\.test(/j/\S+)`).FindStringSubmatch(r.Data.Content)
	if link == nil {
		t.Fatalf("no link: %s", r.Data.Content)
	}
	resp, err := h.srv.Client().Get(h.srv.URL + link[1])
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "standup") {
		t.Fatalf("join page: %d %.300s", resp.StatusCode, page)
	}
	// Nothing public ever held the link.
	for _, c := range h.api.Calls("", "/channels/") {
		if strings.Contains(string(c.Body), "/j/") {
			t.Fatalf("a channel post holds a join link: %s", c.Body)
		}
	}
}

// TestButtons: too early, RSVP counts on the card (edited by core through
// UpdateCard), cancel only by the organizer, stale and foreign buttons.
func TestButtons(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	if r := h.send(t, h.clickOn(guildA, "U2", "mb:join:1")); !r.ephemeral() || !strings.Contains(r.Data.Content, "opens at") || strings.Contains(r.Data.Content, "/j/") {
		t.Fatalf("too early: %s", r.raw)
	}
	h.send(t, h.clickOn(guildA, "U2", "mb:yes:1"))
	h.send(t, h.clickOn(guildA, "U3", "mb:no:1"))
	edits := h.api.Calls(http.MethodPatch, "/channels/C1/messages/")
	if len(edits) != 2 || !strings.Contains(string(edits[1].Body), "1 yes · 1 no") {
		t.Fatalf("card edits: %+v", edits)
	}
	if r := h.send(t, h.clickOn(guildA, "U2", "mb:cancel:1")); !r.ephemeral() || h.meetings(t)[0].State == core.StateCancelled {
		t.Fatalf("non-organizer cancel: %s", r.raw)
	}
	admin := h.clickOn(guildA, "U9", "mb:cancel:1")
	admin.Member.Permissions = dg.PermissionManageGuild
	if r := h.send(t, admin); !strings.Contains(r.Data.Content, "Cancelled") || h.meetings(t)[0].State != core.StateCancelled {
		t.Fatalf("admin cancel: %s", r.raw)
	}
	for _, id := range []string{"mb:join:77", "mb:explode:1", "other", "mb:join:"} {
		if r := h.send(t, h.clickOn(guildA, "U2", id)); !r.ephemeral() || r.Data.Content == "" {
			t.Errorf("%s: %s", id, r.raw)
		}
	}
}

// TestMentionsNeutralised schedules a meeting whose title pings
// everyone, a role and a user: every message sent parses no mentions.
func TestMentionsNeutralised(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	title := "@everyone <@&123> <@456> @here"
	r := h.command(t, "U1", "now", opt("title", title))
	if am := r.Data.AllowedMentions; am == nil || len(am.Parse) != 0 || len(am.Users) != 0 || len(am.Roles) != 0 || am.Parse == nil {
		t.Fatalf("answer mentions: %s", r.raw)
	}
	if len(h.meetings(t)) != 1 || h.meetings(t)[0].Title != title {
		t.Fatalf("title not kept as typed: %+v", h.meetings(t))
	}
	calls := h.api.Calls(http.MethodPost, "/channels/")
	if len(calls) == 0 {
		t.Fatal("no card posted")
	}
	for _, c := range calls {
		var m struct {
			AllowedMentions *struct {
				Parse []string `json:"parse"`
				Users []string `json:"users"`
				Roles []string `json:"roles"`
			} `json:"allowed_mentions"`
		}
		if err := json.Unmarshal(c.Body, &m); err != nil || m.AllowedMentions == nil || m.AllowedMentions.Parse == nil ||
			len(m.AllowedMentions.Parse)+len(m.AllowedMentions.Users)+len(m.AllowedMentions.Roles) != 0 {
			t.Fatalf("post mentions: %s", c.Body)
		}
	}
}

// TestGuildIsolation: guild B names guild A's meeting ids and sees
// nothing: no info, no link, no autocomplete, no RSVP.
func TestGuildIsolation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "now", opt("title", "secret plans"))
	for _, i := range []*dg.Interaction{
		h.interaction(guildB, "U1", "info", opt("id", "1")),
		h.interaction(guildB, "U1", "join", opt("id", "1")),
		h.interaction(guildB, "U1", "cancel", opt("id", "1")),
		h.clickOn(guildB, "U1", "mb:join:1"),
		h.clickOn(guildB, "U1", "mb:yes:1"),
	} {
		r := h.send(t, i)
		if strings.Contains(r.Data.Content, "secret") || strings.Contains(r.Data.Content, "/j/") || !strings.Contains(r.Data.Content, "no meeting") {
			t.Errorf("guild B saw: %s", r.raw)
		}
	}
	ac := h.interaction(guildB, "U1", "info", &dg.ApplicationCommandInteractionDataOption{Name: "id", Type: dg.ApplicationCommandOptionString, Value: "", Focused: true})
	ac.Type = dg.InteractionApplicationCommandAutocomplete
	if r := h.send(t, ac); len(r.Data.Choices) != 0 {
		t.Fatalf("guild B autocomplete: %s", r.raw)
	}
	if m := h.meetings(t)[0]; m.State != core.StateScheduled || len(m.RSVPs) != 0 {
		t.Fatalf("guild B changed the meeting: %+v", m)
	}
}

// TestDirectMessagesRefused: an interaction outside a guild gets a plain
// ephemeral sentence and nothing runs.
func TestDirectMessagesRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	i := h.interaction("", "U1", "now", opt("title", "x"))
	i.Member, i.User = nil, &dg.User{ID: "U1"}
	r := h.send(t, i)
	if !r.ephemeral() || !strings.Contains(r.Data.Content, "server channels only") || len(h.env.Logs.String()) < 0 {
		t.Fatalf("dm: %s", r.raw)
	}
	if c := h.api.Calls("", "/channels/"); len(c) != 0 {
		t.Fatal("a DM interaction posted")
	}
}

// TestGatewayUsesSamePath feeds an INTERACTION_CREATE event to the
// gateway handler: it answers through the REST callback route.
func TestGatewayUsesSamePath(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	i := h.interaction(guildA, "U1", "now", opt("title", "gateway sync"))
	h.adapter.OnInteractionCreate(h.adapter.Session(), &dg.InteractionCreate{Interaction: i})
	// The same event delivered again (a second replica) is ignored.
	h.adapter.OnInteractionCreate(h.adapter.Session(), &dg.InteractionCreate{Interaction: i})
	h.adapter.Wait()
	cb := h.api.Calls(http.MethodPost, "/interactions/"+i.ID+"/"+i.Token+"/callback")
	if len(cb) != 1 {
		t.Fatalf("callbacks: %+v", h.api.Calls("", "/"))
	}
	var r response
	if err := json.Unmarshal(cb[0].Body, &r); err != nil || !r.ephemeral() || !strings.Contains(r.Data.Content, "gateway sync") {
		t.Fatalf("callback: %s", cb[0].Body)
	}
	if len(h.meetings(t)) != 1 {
		t.Fatal("the meeting was not stored once")
	}
}

// TestClosedAdapterStartsNoWork: after Close, an interaction that still
// arrives gets a plain "restarting" answer and nothing is stored, so no
// work runs against a store being closed.
func TestClosedAdapterStartsNoWork(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if err := h.adapter.Close(); err != nil {
		t.Fatal(err)
	}
	i := h.interaction(guildA, "U1", "now", opt("title", "late sync"))
	h.adapter.OnInteractionCreate(h.adapter.Session(), &dg.InteractionCreate{Interaction: i})
	h.adapter.Wait()
	cb := h.api.Calls(http.MethodPost, "/interactions/"+i.ID+"/"+i.Token+"/callback")
	if len(cb) != 1 || !strings.Contains(string(cb[0].Body), "restarting") {
		t.Fatalf("callbacks after Close: %+v", cb)
	}
	h.wantMeetings(t, 0, "stored after Close")
}

// TestHandleChecksTypeFirst: every interaction type, with data of the
// wrong shape or none, gets an answer and no panic.
func TestHandleChecksTypeFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	for _, typ := range []dg.InteractionType{0, dg.InteractionPing, dg.InteractionApplicationCommand, dg.InteractionMessageComponent,
		dg.InteractionApplicationCommandAutocomplete, dg.InteractionModalSubmit, 99} {
		i := &dg.Interaction{ID: "x", Type: typ, GuildID: guildA, ChannelID: channel, Member: member("U1", 0)}
		switch typ {
		case dg.InteractionApplicationCommand, dg.InteractionApplicationCommandAutocomplete:
			i.Data = dg.ApplicationCommandInteractionData{Name: "meet"}
		case dg.InteractionMessageComponent:
			i.Data = dg.MessageComponentInteractionData{}
		case dg.InteractionModalSubmit:
			i.Data = dg.ModalSubmitInteractionData{CustomID: "gone"}
		}
		if resp := h.adapter.Handle(ctx, i); resp == nil {
			t.Fatalf("type %d: nil response", typ)
		}
	}
	if resp := h.adapter.Handle(ctx, nil); resp == nil {
		t.Fatal("nil interaction: nil response")
	}
}
