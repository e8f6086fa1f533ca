package slack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/core"
)

// parisNote is what a person whose Slack zone could not be read is told
// when the workspace reads times in Europe/Paris.
const parisNote = "I could not read your Slack time zone, so I used Europe/Paris; /meet tz sets yours."

// TestUsersInfoFailureIsSaidNotCached replays issue 10's item 24: when
// users.info fails, times out, or the bot token cannot be had yet, the
// command reads the time in the workspace's zone and says so in the reply;
// the failure is not remembered, so the next command asks again and reads
// the person's real zone. A user's Slack zone still beats the workspace's
// zone (the design's order), and a missing user (a Slack refusal) is
// remembered for a minute but still said each time.
func TestUsersInfoFailureIsSaidNotCached(t *testing.T) {
	t.Parallel()
	var tokenDown atomic.Bool
	h := newBotHarness(t, func(o *slack.Options) {
		o.AckWait = time.Minute // the timeout case must answer in the ack
		inner := o.Tokens
		o.Tokens = tokenFunc(func(ctx context.Context, team string) (string, error) {
			if tokenDown.Load() {
				return "", core.Errorf(core.EUNAVAILABLE, "meetbot cannot reach Slack to check its bot token right now; please try again in a minute.")
			}
			return inner.Token(ctx, team)
		})
	})
	h.api.setUser("U9", map[string]any{"is_admin": true, "tz": "America/Chicago"})
	h.api.setUser("U1", map[string]any{"tz": "America/Los_Angeles"})
	h.api.setUser("U2", map[string]any{"tz": "Asia/Tokyo"})
	if code, r := h.command(t, "U9", "settings zone Europe/Paris"); code != http.StatusOK || !strings.Contains(r.all(), "Europe/Paris") {
		t.Fatalf("settings: %d %q", code, r.all())
	}
	schedule := func(user, title string, id string) (string, time.Time) {
		t.Helper()
		posts := len(h.hooks.Posts())
		code, r := h.command(t, user, "schedule "+title+" tomorrow 3pm")
		if code != http.StatusOK {
			t.Fatalf("%s: %d", title, code)
		}
		h.adapter.Wait()
		// What the person sees: the reply, and what followed it through
		// response_url.
		text := r.all()
		for _, p := range h.hooks.Posts()[posts:] {
			if p.Msg.ResponseType != "ephemeral" {
				t.Fatalf("%s: a follow-up went to the channel: %q", title, p.Msg.all())
			}
			text += "\n" + p.Msg.all()
		}
		for _, m := range h.meetings(t) {
			if m.ID == id {
				return text, m.Start.In(zoneOf(t, m.TimeZone))
			}
		}
		t.Fatalf("%s: no meeting %s; reply %q", title, id, r.all())
		return "", time.Time{}
	}
	check := func(text string, start time.Time, zone string, noted bool) {
		t.Helper()
		if start.Location().String() != zone || start.Hour() != 15 || strings.Contains(text, parisNote) != noted {
			t.Fatalf("start %v (%s), want 15:00 %s, note %v; reply %q", start, start.Location(), zone, noted, text)
		}
	}

	// A 500 from users.info: Paris, said; not cached.
	h.api.failNext("users.info", failure{status: http.StatusInternalServerError})
	text, start := schedule("U1", "A", "1")
	check(text, start, "Europe/Paris", true)
	text, start = schedule("U1", "B", "2")
	check(text, start, "America/Los_Angeles", false)

	// No answer within 1.5 s: the same.
	h.api.failNext("users.info", failure{hang: true})
	text, start = schedule("U2", "C", "3")
	check(text, start, "Europe/Paris", true)
	text, start = schedule("U2", "D", "4")
	check(text, start, "Asia/Tokyo", false)

	// The bot token cannot be had yet (auth.test not through after a
	// start): said, and no users.info call is made.
	before := len(h.api.Calls("users.info"))
	tokenDown.Store(true)
	h.api.setUser("U3", map[string]any{"tz": "America/Denver"})
	text, start = schedule("U3", "E", "5")
	check(text, start, "Europe/Paris", true)
	if n := len(h.api.Calls("users.info")); n != before {
		t.Fatalf("users.info called without a token: %d calls, had %d", n, before)
	}
	tokenDown.Store(false)
	text, start = schedule("U3", "F", "6")
	check(text, start, "America/Denver", false)

	// Slack refuses (user_not_found): said every time, one call a minute.
	before = len(h.api.Calls("users.info"))
	text, start = schedule("U4", "G", "7")
	check(text, start, "Europe/Paris", true)
	text, start = schedule("U4", "H", "8")
	check(text, start, "Europe/Paris", true)
	if n := len(h.api.Calls("users.info")) - before; n != 1 {
		t.Fatalf("%d users.info calls for a refused user within a minute", n)
	}
	// users.info answers but Slack has no zone for U5: the workspace's
	// zone, with the ordinary one-time hint instead of the failure note.
	h.api.setUser("U5", map[string]any{"real_name": "Eve"})
	text, start = schedule("U5", "I", "9")
	check(text, start, "Europe/Paris", false)
	if !strings.Contains(text, "I read the time in Europe/Paris, this workspace's default") {
		t.Fatalf("no hint for a person without a Slack zone: %q", text)
	}
	// None of this was stored as the people's own zones.
	for _, u := range []string{"U1", "U2", "U3", "U4"} {
		if usr, err := h.env.Store.FindUser(t.Context(), core.UserKey{Workspace: core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}, UserID: u}); err == nil && usr.TimeZone != "" {
			t.Fatalf("%s stored zone %q", u, usr.TimeZone)
		}
	}
}

// tokenFunc is a TokenSource from a function.
type tokenFunc func(ctx context.Context, team string) (string, error)

func (f tokenFunc) Token(ctx context.Context, team string) (string, error) { return f(ctx, team) }

func zoneOf(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestModalSaysUnreadZone: a modal submission whose users.info fails
// reads the picked time in the workspace's zone and tells the organizer
// so, next to the card posted in the channel.
func TestModalSaysUnreadZone(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil)
	h.api.setUser("U9", map[string]any{"is_admin": true})
	h.api.setUser("U1", map[string]any{"tz": "America/Los_Angeles"})
	h.command(t, "U9", "settings zone Europe/Paris")
	h.api.failNext("users.info", failure{status: http.StatusBadGateway})
	v := func(k string, x any) map[string]any { return map[string]any{"v": map[string]any{"type": "x", k: x}} }
	payload := map[string]any{
		"type": "view_submission", "team": map[string]any{"id": "T1"},
		"user": map[string]any{"id": "U1", "username": "u1", "team_id": "T1"},
		"view": map[string]any{"id": "V1", "hash": "h1", "callback_id": "meet_schedule",
			"state": map[string]any{"values": map[string]any{
				"title":    v("value", "Design review"),
				"date":     v("selected_date", "2026-11-26"),
				"time":     v("selected_time", "15:00"),
				"duration": v("selected_option", map[string]any{"value": "45"}),
				"repeat":   v("selected_option", map[string]any{"value": "none"}),
				"channel":  v("selected_conversation", "C1"),
			}}},
	}
	b, _ := json.Marshal(payload)
	if code, r := h.do(t, signed(t, h.srv.URL+"/slack/interactions", "payload="+url.QueryEscape(string(b)), time.Now())); code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("submission: %d %s", code, r.raw)
	}
	h.adapter.Wait()
	if s := meetingStart(t, h.harness, "1", "Europe/Paris"); s.Hour() != 15 {
		t.Fatalf("start = %v, want 15:00 Paris", s)
	}
	var told []string
	for _, c := range h.api.Calls("chat.postEphemeral") {
		told = append(told, c.Param("text"))
	}
	if len(told) != 1 || told[0] != parisNote {
		t.Fatalf("ephemeral notes = %q", told)
	}
}
