package discord_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/chatkit/chatkittest"
	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/core"
)

// reminder builds the scheduler's reminder for guild A's meeting id.
func (h *harness) reminder(t *testing.T, id string, dms ...string) core.Reminder {
	t.Helper()
	m, err := h.env.Store.FindMeetingByID(context.Background(), core.WorkspaceKey{Platform: core.PlatformDiscord, ID: guildA}, id)
	if err != nil {
		t.Fatal(err)
	}
	occ, w := h.env.Service.Current(context.Background(), m)
	return core.Reminder{Meeting: m, Occurrence: occ, Window: w, Lead: 10 * time.Minute, DMs: dms}
}

// TestRemindPostsWithButtonsAndDMs: the reminder goes to the channel with
// the card's buttons (no link), returns the message id, and is DMed.
func TestRemindPostsWithButtonsAndDMs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "schedule", opt("title", "Review @everyone"), opt("when", "tomorrow 3pm"))
	before := len(h.api.Calls(http.MethodPost, "/channels/C1/messages"))
	ref, err := h.adapter.Remind(context.Background(), h.reminder(t, "1", "U2"))
	if err != nil || ref == "" {
		t.Fatalf("remind: %q %v", ref, err)
	}
	posts := h.api.Calls(http.MethodPost, "/channels/C1/messages")
	if len(posts) != before+1 {
		t.Fatalf("%d posts", len(posts))
	}
	body := string(posts[len(posts)-1].Body)
	for _, want := range []string{"Reminder:", "mb:join:1", "mb:yes:1", `"allowed_mentions":{"parse":[]`} {
		if !strings.Contains(body, want) {
			t.Errorf("reminder lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, "/j/") || strings.Contains(body, "mb:cancel") {
		t.Fatalf("reminder: %s", body)
	}
	if dm := h.api.Calls(http.MethodPost, "/channels/dm-U2/messages"); len(dm) != 1 || !strings.Contains(string(dm[0].Body), "Reminder:") ||
		strings.Contains(string(dm[0].Body), "custom_id") {
		t.Fatalf("dm: %+v", dm)
	}
}

// TestRateLimitRespected: a 429 with retry_after is waited out, then the
// post goes through once; a wait longer than MaxRateWait fails at once
// with EUNAVAILABLE carrying the wait, for the scheduler to retry. The
// waits are recorded, not spent.
func TestRateLimitRespected(t *testing.T) {
	t.Parallel()
	slept := &chatkittest.Sleeps{}
	h := newHarness(t, func(o *discord.Options) { o.Sleep = slept.Sleep })
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	h.api.mu.Lock()
	h.api.limited["/channels/C1/messages"], h.api.retry = 1, 0.2
	h.api.mu.Unlock()
	before := len(h.api.Calls(http.MethodPost, "/channels/C1/messages"))
	if _, err := h.adapter.Remind(context.Background(), h.reminder(t, "1")); err != nil {
		t.Fatal(err)
	}
	if posts := h.api.Calls(http.MethodPost, "/channels/C1/messages")[before:]; len(posts) != 2 {
		t.Fatalf("%d attempts, want 2", len(posts))
	}
	if w := slept.All(); len(w) != 1 || w[0] < 200*time.Millisecond {
		t.Fatalf("waited %v between the attempts, want one wait of retry_after (200ms)", w)
	}

	h.api.mu.Lock()
	h.api.limited["/channels/C1/messages"], h.api.retry = 1, 60
	h.api.mu.Unlock()
	_, err := h.adapter.Remind(context.Background(), h.reminder(t, "1"))
	e, ok := core.AsError(err)
	if !ok || e.Code != core.EUNAVAILABLE || e.RetryAfter != time.Minute { // the 429 asks for 60 s
		t.Fatalf("long wait: %v", err)
	}
	if w := slept.All(); len(w) != 1 {
		t.Fatalf("waited %v: the 60 s retry_after was waited in place", w)
	}
}

// TestLostChannelStopsOnce: a channel the bot lost access to answers 403
// Missing Access; the reminder returns nil (no retry loop), one log line
// names the meeting, and later posts to it are not even tried.
func TestLostChannelStopsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	h.api.setLost(channel, true)
	before := len(h.api.Calls("", "/channels/C1/"))
	for range 3 {
		if ref, err := h.adapter.Remind(context.Background(), h.reminder(t, "1")); err != nil || ref != "" {
			t.Fatalf("remind: %q %v", ref, err)
		}
	}
	m := h.reminder(t, "1").Meeting
	if err := h.adapter.UpdateCard(context.Background(), m, core.CardRSVP); err != nil {
		t.Fatal(err)
	}
	if n := len(h.api.Calls("", "/channels/C1/")) - before; n != 1 {
		t.Fatalf("%d calls to the lost channel, want 1", n)
	}
	logs := h.env.Logs.String()
	if n := strings.Count(logs, "lost access"); n != 1 || !strings.Contains(logs, `"meeting":"1"`) {
		t.Fatalf("%d log lines:\n%s", n, logs)
	}
}

// TestLostChannelTriedAgainAfterAnHour: the lost mark lasts an hour; then
// the channel is tried again, so reminders resume once access is back.
func TestLostChannelTriedAgainAfterAnHour(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	h := newHarness(t, func(o *discord.Options) {
		o.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	h.api.setLost(channel, true)
	if _, err := h.adapter.Remind(context.Background(), h.reminder(t, "1")); err != nil {
		t.Fatal(err)
	}
	h.api.setLost(channel, false) // access given back
	before := len(h.api.Calls("", "/channels/C1/"))
	offset.Store(int64(59 * time.Minute))
	if ref, err := h.adapter.Remind(context.Background(), h.reminder(t, "1")); err != nil || ref != "" ||
		len(h.api.Calls("", "/channels/C1/")) != before {
		t.Fatalf("59 min later: ref %q, err %v, the lost channel was called", ref, err)
	}
	offset.Store(int64(61 * time.Minute))
	if ref, err := h.adapter.Remind(context.Background(), h.reminder(t, "1")); err != nil || ref == "" {
		t.Fatalf("an hour later the reminder was not tried again: ref %q, err %v", ref, err)
	}
}

// TestAnnounceAndCardEdit: a move is announced in the channel and the
// card is edited in place with the new time.
// snowflake is a user id as Discord writes them.
const snowflake = "123456789012345678"

func TestAnnounceAndCardEdit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, snowflake, "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	h.command(t, snowflake, "move", opt("id", "1"), opt("when", "friday 4pm"))
	m := h.reminder(t, "1").Meeting
	edits := h.api.Calls(http.MethodPatch, "/channels/C1/messages/"+m.Card.ID)
	if len(edits) != 1 || !strings.Contains(string(edits[0].Body), "<t:"+itoa(m.Start.Unix())+":F>") {
		t.Fatalf("edits: %+v", edits)
	}
	posts := h.api.Calls(http.MethodPost, "/channels/C1/messages")
	if last := string(posts[len(posts)-1].Body); !strings.Contains(last, "moved from") || !strings.Contains(last, "by <@"+snowflake+">") {
		t.Fatalf("announcement: %s", last)
	}
}

// TestRegisterCommands overwrites the guild's command set, twice with the
// same body (idempotent), and the global set without a guild.
func TestRegisterCommands(t *testing.T) {
	t.Parallel()
	api := newFakeAPI(t)
	o := discord.Options{BotToken: "tok", ApplicationID: appID, APIURL: api.URL + "/api/v10/"}
	for range 2 {
		cmds, err := discord.RegisterCommands(context.Background(), o, guildA)
		if err != nil || len(cmds) != 1 || cmds[0].Name != "meet" {
			t.Fatalf("register: %+v %v", cmds, err)
		}
	}
	puts := api.Calls(http.MethodPut, "/applications/app1/guilds/G1/commands")
	if len(puts) != 2 || string(puts[0].Body) != string(puts[1].Body) {
		t.Fatalf("guild overwrites: %d", len(puts))
	}
	if _, err := discord.RegisterCommands(context.Background(), o, ""); err != nil {
		t.Fatal(err)
	}
	if len(api.Calls(http.MethodPut, "/applications/app1/commands")) != 1 {
		t.Fatal("no global overwrite")
	}
	if _, err := discord.RegisterCommands(context.Background(), discord.Options{BotToken: "tok", APIURL: api.URL}, ""); err == nil {
		t.Fatal("registered without an application id")
	}
}

// TestReminderTitleIsLiteral: a title written as a masked link or bold is
// shown as typed in reminders and announcements, not formatted.
func TestReminderTitleIsLiteral(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "schedule", opt("title", "[prize](https://evil.example) **now**"), opt("when", "tomorrow 3pm"))
	if _, err := h.adapter.Remind(context.Background(), h.reminder(t, "1")); err != nil {
		t.Fatal(err)
	}
	posts := h.api.Calls(http.MethodPost, "/channels/C1/messages")
	var msg struct {
		Content string `json:"content"`
	}
	if err := json.Unmarshal(posts[len(posts)-1].Body, &msg); err != nil {
		t.Fatal(err)
	}
	// Escaped once: Discord shows the brackets and stars as typed.
	if !strings.Contains(msg.Content, `"\[prize\](https://evil.example) \*\*now\*\*"`) || strings.Contains(msg.Content, `\\`) {
		t.Fatalf("reminder shows the title as markdown or escaped twice: %s", msg.Content)
	}
}

// TestScheduleWhereBotCannotPostSaysHowToFix: when meetbot may not post in
// the channel, the card comes back as the interaction's answer, saying
// why no reminders will follow and which permissions to give.
func TestScheduleWhereBotCannotPostSaysHowToFix(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.api.setLost(channel, true)
	r := h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	if r.ephemeral() || !strings.Contains(r.Data.Content, "Send Messages") || len(r.Data.Embeds) != 1 {
		t.Fatalf("answer: %+v", r)
	}
}

// TestLostChannelTriedWhenScheduling: once access is given back, the
// next meeting scheduled there gets its card posted by the bot (so its
// reminders and updates follow), instead of being told for up to an hour
// that meetbot still cannot post there.
func TestLostChannelTriedWhenScheduling(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	h.api.setLost(channel, true)
	if _, err := h.adapter.Remind(context.Background(), h.reminder(t, "1")); err != nil {
		t.Fatal(err)
	}
	h.api.setLost(channel, false) // an admin gave the permissions back
	before := len(h.api.Calls(http.MethodPost, "/channels/C1/messages"))
	r := h.command(t, "U1", "schedule", opt("title", "Retro"), opt("when", "tomorrow 4pm"))
	if strings.Contains(r.Data.Content, "cannot post in this channel") {
		t.Fatalf("after access came back the answer still says meetbot cannot post: %q", r.Data.Content)
	}
	if n := len(h.api.Calls(http.MethodPost, "/channels/C1/messages")) - before; n != 1 {
		t.Fatalf("%d card posts after access came back, want 1", n)
	}
}
