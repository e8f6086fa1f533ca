package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/core"
)

// Ensure one process serves Slack and Discord at once: a command from each
// stores a meeting under its own platform and posts its card through its
// own API, and the scheduler's reminders for each meeting go to the API of
// the platform it was made on.
func TestServeSlackAndDiscordTogether(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/slack/api/auth.test":
			_, _ = w.Write([]byte(`{"ok":true,"team_id":"T1","user_id":"UBOT"}`))
		case r.URL.Path == "/slack/api/users.info":
			_, _ = w.Write([]byte(`{"ok":true,"user":{"id":"U1","tz":"America/New_York"}}`))
		case strings.HasPrefix(r.URL.Path, "/slack/api/"):
			_, _ = w.Write([]byte(`{"ok":true,"channel":"C1","ts":"1700000000.000100"}`))
		case r.Method == http.MethodPut:
			b, _ := io.ReadAll(r.Body)
			_, _ = w.Write(b)
		default:
			_, _ = w.Write([]byte(`{"id":"900","channel_id":"C1"}`))
		}
	}))
	defer api.Close()
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	cfgPath := writeConfig(t, t.TempDir(), "slack:\n  signing_secret: "+secret+"\n  bot_token: xoxb-test\n  api_url: "+api.URL+"/slack/api/\n"+
		"discord:\n  bot_token: tok\n  application_id: \"998877665544332211\"\n  public_key: d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\n  gateway: false\n  api_url: "+api.URL+"/discord/api/v10/\n")
	a, base := serveFrom(t, cfgPath)

	post := func(path string, body []byte, sign func(*http.Request)) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
		sign(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, out)
		}
	}
	slackBody := []byte("team_id=T1&channel_id=C1&user_id=U1&user_name=ana&command=%2Fmeet&text=schedule+slack+sync+tomorrow+3pm&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1%2F2&trigger_id=t1")
	post("/slack/commands", slackBody, func(r *http.Request) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("X-Slack-Request-Timestamp", ts)
		r.Header.Set("X-Slack-Signature", slack.Sign(secret, ts, slackBody))
	})
	discordBody := []byte(`{"id":"i1","type":2,"application_id":"998877665544332211","token":"t","guild_id":"G1","channel_id":"C1","member":{"user":{"id":"U1","username":"ana"},"permissions":"0"},"data":{"name":"meet","type":1,"options":[{"type":1,"name":"schedule","options":[{"type":3,"name":"title","value":"discord sync"},{"type":3,"name":"when","value":"tomorrow 3pm"}]}]}}`)
	post("/discord/interactions", discordBody, func(r *http.Request) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		r.Header.Set(discord.HeaderTimestamp, ts)
		r.Header.Set(discord.HeaderSignature, discord.Sign(discordTestKey(), ts, discordBody))
	})

	ctx := context.Background()
	for _, c := range []struct {
		ws     core.WorkspaceKey
		title  string
		prefix string
	}{
		{core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}, "slack sync", "POST /slack/api/chat.postMessage"},
		{core.WorkspaceKey{Platform: core.PlatformDiscord, ID: "G1"}, "discord sync", "POST /discord/api/v10/channels/C1/messages"},
	} {
		ms, err := a.store.FindMeetings(ctx, core.MeetingFilter{Workspace: c.ws})
		if err != nil || len(ms) != 1 || ms[0].Title != c.title || ms[0].Card.IsZero() {
			t.Fatalf("%s: meetings %v, %v; want %q with its card recorded", c.ws, ms, err, c.title)
		}
		mu.Lock()
		before := len(calls)
		mu.Unlock()
		occ, w := a.svc.Current(ctx, ms[0])
		if _, err := a.notify.Remind(ctx, core.Reminder{Meeting: ms[0], Occurrence: occ, Window: w, Lead: 10 * time.Minute}); err != nil {
			t.Fatalf("%s reminder: %v", c.ws, err)
		}
		mu.Lock()
		sent := append([]string(nil), calls[before:]...)
		mu.Unlock()
		if len(sent) != 1 || sent[0] != c.prefix {
			t.Fatalf("%s reminder went to %v, want one %s", c.ws, sent, c.prefix)
		}
	}
}
