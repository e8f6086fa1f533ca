package slack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
)

// TestCardPostedAndUpdatedInPlace: with a bot token, scheduling posts the
// card with chat.postMessage and records its ts; RSVP and cancel redraw it
// with chat.update and never also replace it through response_url.
func TestCardPostedAndUpdatedInPlace(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	code, r := h.command(t, "U1", "schedule Review tomorrow 3pm")
	if code != http.StatusOK || r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "Review") {
		t.Fatalf("schedule ack: %d %s", code, r.raw)
	}
	posts := h.api.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].Param("channel") != "C1" || !strings.Contains(posts[0].Param("blocks"), `"rsvp_yes:1"`) {
		t.Fatalf("card posts = %+v", posts)
	}
	m := h.meetings(t)[0]
	if m.Card != (core.MessageRef{Channel: "C1", ID: "1700000000.000001"}) {
		t.Fatalf("card ref = %+v", m.Card)
	}

	h.click(t, "U2", "rsvp_yes:1")
	ups := h.api.Calls("chat.update")
	if len(ups) != 1 || ups[0].Param("ts") != m.Card.ID || ups[0].Param("channel") != "C1" || !strings.Contains(ups[0].Param("blocks"), "1 yes, 0 no, 0 maybe") {
		t.Fatalf("rsvp updates = %+v", ups)
	}
	hp := h.hooks.Posts()
	if len(hp) != 1 || hp[0].Msg.ResponseType != "ephemeral" || hp[0].Msg.ReplaceOriginal == nil || *hp[0].Msg.ReplaceOriginal {
		t.Fatalf("rsvp hooks = %+v", hp)
	}

	// Ensure a non-organizer's Cancel is refused with a plain sentence.
	h.click(t, "U2", "cancel:1")
	hp = h.hooks.Posts()
	if len(hp) != 2 || hp[1].Msg.ResponseType != "ephemeral" || strings.Contains(hp[1].Msg.Text, "Cancelled") || h.meetings(t)[0].State == core.StateCancelled {
		t.Fatalf("refused cancel: %+v", hp)
	}
	if n := len(h.api.Calls("chat.update")); n != 1 {
		t.Fatalf("a refused cancel redrew the card (%d updates)", n)
	}

	// The workspace asks for personal messages, so U2 (yes) hears of it.
	if err := h.env.Store.PutWorkspace(t.Context(), &core.Workspace{Key: m.Workspace, DMReminders: true}); err != nil {
		t.Fatal(err)
	}
	h.click(t, "U1", "cancel:1")
	ups = h.api.Calls("chat.update")
	if len(ups) != 2 || !strings.Contains(ups[1].Param("blocks"), "(cancelled)") || strings.Contains(ups[1].Param("blocks"), "join:1") {
		t.Fatalf("cancel updates = %+v", ups)
	}
	for _, p := range h.hooks.Posts() {
		if p.Msg.ReplaceOriginal != nil && *p.Msg.ReplaceOriginal {
			t.Fatalf("a click replaced the card through response_url too: %s", p.Msg.raw)
		}
	}
	// Ensure the cancellation is announced in the channel and told to U2,
	// who said yes, in a direct message.
	posts = h.api.Calls("chat.postMessage")
	if len(posts) != 3 || posts[1].Param("channel") != "C1" || !strings.Contains(posts[1].Param("text"), "cancelled") || posts[2].Param("channel") != "DU2" {
		for _, p := range posts {
			t.Log(p.Param("channel"), p.Param("text"))
		}
		t.Fatalf("%d posts, want the card, the announcement and a DM", len(posts))
	}
}

// TestJoinClickLinkOpensJoinPage: Join on a bot-posted card answers the
// clicker alone through response_url, no Web API message holds the link,
// and the link serves the join page.
func TestJoinClickLinkOpensJoinPage(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.command(t, "U1", "now standup")
	h.click(t, "U2", "join:1")
	hp := h.hooks.Posts()
	if len(hp) != 1 || hp[0].Msg.ResponseType != "ephemeral" || !strings.Contains(hp[0].Msg.Text, "http://meet.test/j/") {
		t.Fatalf("join reply = %+v", hp)
	}
	for _, c := range h.api.Calls("") {
		if strings.Contains(c.Raw, "/j/") {
			t.Fatalf("%s carried a personal link", c.Method)
		}
	}
	text := hp[0].Msg.Text
	link := text[strings.Index(text, "http://meet.test/j/"):]
	if i := strings.IndexAny(link, " \n>"); i >= 0 {
		link = link[:i]
	}
	srv := httptest.NewServer(web.New(web.Options{Service: h.env.Service, Logger: zerolog.Nop()}))
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL + strings.TrimPrefix(link, "http://meet.test"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "standup") || !strings.Contains(string(body), `"token":"`) {
		t.Fatalf("join page: %d\n%.400s", resp.StatusCode, body)
	}
}

// reminder builds the reminder the scheduler would send for meeting id.
func (h *botHarness) reminder(t *testing.T, id string, dms ...string) core.Reminder {
	t.Helper()
	for _, m := range h.meetings(t) {
		if m.ID == id {
			occ, w := h.env.Service.Current(context.Background(), m)
			return core.Reminder{Meeting: m, Occurrence: occ, Window: w, Lead: 10 * time.Minute, DMs: dms}
		}
	}
	t.Fatalf("no meeting %s", id)
	return core.Reminder{}
}

// TestReminderPostsToChannelAndDMs: a reminder goes to the channel with the
// card's buttons (its ts is the post ref) and to each DM recipient.
func TestReminderPostsToChannelAndDMs(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	ref, err := h.adapter.Remind(t.Context(), h.reminder(t, "1", "U7"))
	if err != nil {
		t.Fatal(err)
	}
	posts := h.api.Calls("chat.postMessage")
	if len(posts) != 3 {
		t.Fatalf("%d posts, want card, reminder and DM: %+v", len(posts), posts)
	}
	rem, dm := posts[1], posts[2]
	if rem.Param("channel") != "C1" || ref != "1700000000.000002" || !strings.Contains(rem.Param("text"), "Reminder") || !strings.Contains(rem.Param("blocks"), `"join:1"`) {
		t.Fatalf("reminder %+v ref %q", rem, ref)
	}
	if opens := h.api.Calls("conversations.open"); len(opens) != 1 || !strings.Contains(opens[0].Param("users"), "U7") || dm.Param("channel") != "DU7" {
		t.Fatalf("dm: opens %+v post %+v", opens, dm)
	}
}

// TestReminderHonoursRetryAfter: a 429 with Retry-After: 1 makes the
// adapter wait one second (asked of the injected sleep) and post again.
func TestReminderHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.api.failNext("chat.postMessage", failure{status: http.StatusTooManyRequests, retryAfter: "1"})
	before := len(h.sleeps.All())
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1")); err != nil {
		t.Fatal(err)
	}
	if n := len(h.api.Calls("chat.postMessage")); n != 3 {
		t.Fatalf("%d posts, want the card, the refused reminder and its retry", n)
	}
	var got []time.Duration
	for _, d := range h.sleeps.All()[before:] {
		if d == time.Second {
			got = append(got, d)
		}
	}
	if len(got) != 1 {
		t.Fatalf("waits %v, want exactly one of 1s for Retry-After", h.sleeps.All()[before:])
	}
	// Ensure retries are bounded: four 429s in a row give up with an error.
	for range 4 {
		h.api.failNext("chat.postMessage", failure{status: http.StatusTooManyRequests, retryAfter: "1"})
	}
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1")); err == nil {
		t.Fatal("a reminder rate-limited four times counted as sent")
	}
}

// TestReminderNotInChannel: not_in_channel ends the reminder without error
// and with one log line naming the meeting; the next reminder for that
// channel makes no call at all.
func TestReminderNotInChannel(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.api.failNext("chat.postMessage", failure{slackErr: "not_in_channel"})
	if ref, err := h.adapter.Remind(t.Context(), h.reminder(t, "1")); err != nil || ref != "" {
		t.Fatalf("remind = %q, %v", ref, err)
	}
	calls := len(h.api.Calls(""))
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1")); err != nil {
		t.Fatal(err)
	}
	if n := len(h.api.Calls("")); n != calls {
		t.Fatalf("the second reminder made %d calls", n-calls)
	}
	var lines []string
	for _, l := range strings.Split(h.env.Logs.String(), "\n") {
		if strings.Contains(l, "cannot post in this channel") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], `"meeting":"1"`) || !strings.Contains(lines[0], `"channel":"C1"`) {
		t.Fatalf("log lines = %q", lines)
	}
	// Ensure other failures are returned so the scheduler retries.
	h2 := newBotHarness(t, nil)
	h2.command(t, "U1", "schedule Review tomorrow 3pm")
	h2.api.failNext("chat.postMessage", failure{slackErr: "internal_error"})
	if _, err := h2.adapter.Remind(t.Context(), h2.reminder(t, "1")); err == nil {
		t.Fatal("internal_error counted as sent")
	}
}

// TestUsersInfoZoneAndAdmin: "tomorrow 3pm" is read in the zone users.info
// gives, and users.info's is_admin lets an admin cancel someone else's
// meeting; a users.info failure only loses the zone.
func TestUsersInfoZoneAndAdmin(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.api.setUser("U1", map[string]any{"tz": "America/Los_Angeles", "real_name": "Ana Lopez"})
	h.api.setUser("U9", map[string]any{"is_admin": true})
	h.command(t, "U1", "schedule Planning tomorrow 3pm")
	start := meetingStart(t, h.harness, "1", "America/Los_Angeles")
	if start.Hour() != 15 || start.Minute() != 0 {
		t.Fatalf("start = %v, want 15:00 in Los Angeles", start)
	}
	if m := h.meetings(t)[0]; m.TimeZone != "America/Los_Angeles" || m.OrganizerName != "Ana Lopez" {
		t.Fatalf("zone %q organizer %q", m.TimeZone, m.OrganizerName)
	}
	// Ensure users.info is cached: a second command makes no second call.
	h.command(t, "U1", "list")
	if n := len(h.api.Calls("users.info")); n != 1 {
		t.Fatalf("%d users.info calls for U1", n)
	}
	h.click(t, "U9", "cancel:1")
	if h.meetings(t)[0].State != core.StateCancelled {
		t.Fatal("an admin could not cancel")
	}
	// U3 is unknown to users.info: the command still runs, in the default zone.
	h.command(t, "U3", "schedule Other tomorrow 3pm")
	if s := meetingStart(t, h.harness, "2", "America/New_York"); s.Hour() != 15 {
		t.Fatalf("fallback start = %v", s)
	}
}

// TestModalOpenAndSubmit: "/meet" alone opens the modal; a valid
// submission stores the meeting at the picked time in the person's zone
// and posts its card; a missing title comes back as an error under the
// title and stores nothing.
func TestModalOpenAndSubmit(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.api.setUser("U1", map[string]any{"tz": "America/Los_Angeles"})
	code, r := h.command(t, "U1", "")
	if code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("modal ack: %d %q", code, r.raw)
	}
	opens := h.api.Calls("views.open")
	if len(opens) != 1 || !strings.HasPrefix(opens[0].Param("trigger_id"), "trig.") || !strings.Contains(opens[0].Raw, `"callback_id":"meet_schedule"`) || !strings.Contains(opens[0].Raw, `"initial_conversation":"C1"`) {
		t.Fatalf("views.open = %+v", opens)
	}

	submit := func(values map[string]any) (int, reply) {
		payload := map[string]any{
			"type": "view_submission", "team": map[string]any{"id": "T1"},
			"user": map[string]any{"id": "U1", "username": "u1", "team_id": "T1"},
			"view": map[string]any{"id": "V1", "hash": "h" + time.Now().Format("150405.000000000"), "callback_id": "meet_schedule",
				"state": map[string]any{"values": values}},
		}
		b, _ := json.Marshal(payload)
		return h.do(t, signed(t, h.srv.URL+"/slack/interactions", "payload="+url.QueryEscape(string(b)), time.Now()))
	}
	values := func(title string) map[string]any {
		v := func(k string, x any) map[string]any { return map[string]any{"v": map[string]any{"type": "x", k: x}} }
		return map[string]any{
			"title":    v("value", title),
			"date":     v("selected_date", "2026-11-26"),
			"time":     v("selected_time", "15:00"),
			"duration": v("selected_option", map[string]any{"value": "45"}),
			"repeat":   v("selected_option", map[string]any{"value": "weekly"}),
			"invitees": v("selected_users", []string{"U4"}),
			"channel":  v("selected_conversation", "C1"),
		}
	}
	code, r = submit(values(""))
	if code != http.StatusOK || !strings.Contains(string(r.raw), `"response_action":"errors"`) || !strings.Contains(string(r.raw), `"title":`) {
		t.Fatalf("missing title: %d %s", code, r.raw)
	}
	h.adapter.Wait()
	if len(h.meetings(t)) != 0 {
		t.Fatal("an invalid submission stored a meeting")
	}
	code, r = submit(values("Design review"))
	if code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("valid submission: %d %s", code, r.raw)
	}
	h.adapter.Wait()
	ms := h.meetings(t)
	if len(ms) != 1 || ms[0].Title != "Design review" || ms[0].Duration != 45*time.Minute || ms[0].Recurrence != "FREQ=WEEKLY;BYDAY=TH" || len(ms[0].Invitees) != 1 {
		t.Fatalf("meetings = %+v", ms)
	}
	if s := meetingStart(t, h.harness, "1", "America/Los_Angeles"); s.Format("2006-01-02 15:04") != "2026-11-26 15:00" {
		t.Fatalf("start = %v, want 15:00 in Los Angeles", s)
	}
	if posts := h.api.Calls("chat.postMessage"); len(posts) != 1 || !strings.Contains(posts[0].Param("text"), "Design review") || ms[0].Card.IsZero() {
		t.Fatalf("card after modal: %+v card %+v", posts, ms[0].Card)
	}
}

// TestCrossWorkspaceForgedIDs: validly signed requests from team T2 naming
// team T1's meeting ids neither read nor change it.
func TestCrossWorkspaceForgedIDs(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.command(t, "U1", "now standup")
	for i, action := range []string{"join:1", "cancel:1", "rsvp_yes:1"} {
		body := clickPayload("T2", "U1", action, h.hooks.URL+"/actions/T2/"+action, "t2."+string(rune('a'+i)))
		if code, _ := h.do(t, signed(t, h.srv.URL+"/slack/interactions", body, time.Now())); code != http.StatusOK {
			t.Fatalf("%s: %d", action, code)
		}
	}
	h.adapter.Wait()
	for _, p := range h.hooks.Posts() {
		if p.Msg.ResponseType != "ephemeral" || strings.Contains(p.Msg.Text, "/j/") || !strings.Contains(p.Msg.Text, "no meeting") {
			t.Fatalf("foreign click answer: %s", p.Msg.raw)
		}
	}
	form := h.commandForm("U1", "cancel 1")
	form.Set("team_id", "T2")
	if _, r := h.do(t, signed(t, h.srv.URL+"/slack/commands", form.Encode(), time.Now())); !strings.Contains(r.Text, "no meeting") {
		t.Fatalf("foreign cancel: %s", r.raw)
	}
	m := h.meetings(t)[0]
	if m.State != core.StateScheduled || len(m.RSVPs) != 0 {
		t.Fatalf("team T2 changed T1's meeting: %+v", m)
	}
	if n := len(h.api.Calls("chat.update")); n != 0 {
		t.Fatalf("%d card updates after foreign clicks", n)
	}
	if _, err := h.env.Store.FindParticipant(t.Context(), core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}, "1", "U1"); err == nil {
		t.Fatal("a foreign Join created a participant")
	}
}

// TestHostileTitleNeverPings: a title built to ping is escaped in the card,
// the ephemeral confirmation, the reminder and the cancel announcement.
func TestHostileTitleNeverPings(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	_, r := h.command(t, "U1", `schedule "<!channel> <@U123> & <https://evil.example|x>" tomorrow 3pm`)
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1")); err != nil {
		t.Fatal(err)
	}
	h.click(t, "U1", "rsvp_yes:1")
	h.click(t, "U1", "cancel:1")
	texts := []string{r.all()}
	for _, c := range h.api.Calls("") {
		texts = append(texts, c.Param("text"), c.Param("blocks"))
	}
	for _, p := range h.hooks.Posts() {
		texts = append(texts, p.Msg.all())
	}
	if len(h.api.Calls("chat.postMessage")) < 3 || len(h.api.Calls("chat.update")) < 2 {
		t.Fatalf("too few posts to check: %+v", h.api.Calls(""))
	}
	for _, s := range texts {
		for _, bad := range []string{"<!channel>", "<@U123>", "<https://evil"} {
			if strings.Contains(s, bad) {
				t.Fatalf("%q unescaped in %s", bad, s)
			}
		}
	}
}

// TestRetriesDedupeAcrossReplicas: the first delivery reaches one replica,
// Slack's retry and a replay reach another sharing the store: one meeting.
func TestRetriesDedupeAcrossReplicas(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *slack.Options) { o.Store = nil })
	a1, srv1 := h.newReplica(t, nil)
	_, srv2 := h.newReplica(t, nil)
	_ = a1
	body := h.commandForm("U1", "schedule Planning tomorrow 3pm").Encode()
	if code, r := h.do(t, signed(t, srv1.URL+"/slack/commands", body, time.Now())); code != http.StatusOK || r.ResponseType != "in_channel" {
		t.Fatalf("first: %d %s", code, r.raw)
	}
	retry := signed(t, srv2.URL+"/slack/commands", body, time.Now())
	retry.Header.Set(slack.HeaderRetryNum, "1")
	if code, r := h.do(t, retry); code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("retry on the other replica: %d %q", code, r.raw)
	}
	if code, r := h.do(t, signed(t, srv2.URL+"/slack/commands", body, time.Now())); code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("replay on the other replica: %d %q", code, r.raw)
	}
	if ms := h.meetings(t); len(ms) != 1 {
		t.Fatalf("%d meetings, want 1", len(ms))
	}
}

// TestLostChannelIsRetriedAfterAnHour: a channel meetbot was removed from
// is left alone for an hour (no calls, no more log lines), then tried
// again, so reminders resume by themselves once someone invites it back.
func TestLostChannelIsRetriedAfterAnHour(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	h := newBotHarness(t, func(o *slack.Options) {
		o.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.api.failNext("chat.postMessage", failure{slackErr: "not_in_channel"})
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1")); err != nil {
		t.Fatal(err)
	}
	calls := len(h.api.Calls("chat.postMessage"))
	offset.Store(int64(59 * time.Minute))
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1")); err != nil {
		t.Fatal(err)
	}
	if n := len(h.api.Calls("chat.postMessage")); n != calls {
		t.Fatalf("a reminder 59 min later still posted (%d calls)", n-calls)
	}
	offset.Store(int64(61 * time.Minute)) // invited back meanwhile: the fake answers ok now
	ref, err := h.adapter.Remind(t.Context(), h.reminder(t, "1"))
	if err != nil || ref == "" || len(h.api.Calls("chat.postMessage")) != calls+1 {
		t.Fatalf("an hour later the reminder was not tried again: ref %q, err %v", ref, err)
	}
}

// TestPostsArePacedPerChannel: two posts to one channel at the same moment
// wait about a second between them (Slack's one message per second per
// channel); a post to another channel does not wait for the first.
func TestPostsArePacedPerChannel(t *testing.T) {
	t.Parallel()
	at := time.Now()
	h := newBotHarness(t, func(o *slack.Options) { o.Now = func() time.Time { return at } })
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	r := h.reminder(t, "1")
	base := len(h.sleeps.All()) // the card post may have used C1's turn already
	for range 2 {
		if _, err := h.adapter.Remind(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	waits := h.sleeps.All()[base:]
	if len(waits) == 0 || waits[len(waits)-1] < 900*time.Millisecond || waits[len(waits)-1] > 3*time.Second {
		t.Fatalf("waits before posts to C1 = %v, want about a second before the second one", waits)
	}
	other := r
	other.Meeting = r.Meeting.Clone()
	other.Meeting.Channel = "C2"
	before := len(h.sleeps.All())
	if _, err := h.adapter.Remind(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	if w := h.sleeps.All()[before:]; len(w) != 0 {
		t.Fatalf("a post to C2 waited %v for C1's pacing", w)
	}
}

// TestCardPostedClearsLostChannel: once meetbot is invited back and a new
// meeting's card is posted in the channel, reminders there are sent again
// at once, not skipped for the rest of the hour.
func TestCardPostedClearsLostChannel(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.api.failNext("chat.postMessage", failure{slackErr: "not_in_channel"})
	if _, err := h.adapter.Remind(t.Context(), h.reminder(t, "1")); err != nil {
		t.Fatal(err)
	}
	// Invited back: the card of the next meeting is posted by the bot.
	calls := len(h.api.Calls("chat.postMessage"))
	h.command(t, "U1", "schedule Retro tomorrow 4pm")
	if n := len(h.api.Calls("chat.postMessage")); n != calls+1 {
		t.Fatalf("%d card posts, want 1", n-calls)
	}
	ref, err := h.adapter.Remind(t.Context(), h.reminder(t, "2"))
	if err != nil || ref == "" || len(h.api.Calls("chat.postMessage")) != calls+2 {
		t.Fatalf("after a card was posted the channel's reminder was skipped: ref %q, err %v", ref, err)
	}
}
