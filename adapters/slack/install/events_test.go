package install_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/slack/install"
	"github.com/meetbot/meetbot/core"
)

// uninstallEvent is an app_uninstalled delivery as Slack sends it.
func uninstallEvent(team, eventID string) string {
	return `{"token":"XXYYZZ","team_id":"` + team + `","api_app_id":"A0APP","event":{"type":"app_uninstalled"},` +
		`"type":"event_callback","event_id":"` + eventID + `","event_time":1700000000}`
}

// revokedEvent is a tokens_revoked delivery listing bot and user tokens.
func revokedEvent(team, eventID string, bots, users []string) string {
	b, _ := json.Marshal(map[string]any{
		"token": "XXYYZZ", "team_id": team, "api_app_id": "A0APP", "type": "event_callback", "event_id": eventID,
		"event": map[string]any{"type": "tokens_revoked", "tokens": map[string]any{"oauth": users, "bot": bots}},
	})
	return string(b)
}

func TestEventsURLVerification(t *testing.T) {
	e := newEnv(t)
	body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	rec := e.serve(e.signedEvent(body, 0))
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d %v", rec.Code, rec.Header())
	}
	var got struct{ Challenge string }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Challenge != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("answer %s (%v)", rec.Body, err)
	}
}

func TestEventsAppUninstalledForgetsToken(t *testing.T) {
	e := newEnv(t)
	e.installed()
	ctx := context.Background()
	if _, err := e.tokens.Token(ctx, team); err != nil { // now cached
		t.Fatal(err)
	}
	rec := e.serve(e.signedEvent(uninstallEvent(team, "Ev01"), 0))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	_, err := e.tokens.Token(ctx, team)
	if ce, ok := core.AsError(err); !ok || ce.Code != core.ENOTFOUND ||
		ce.Message != "meetbot is not installed in this workspace; ask an admin to install it from https://meetbot.example.com/slack/install." {
		t.Fatalf("Token after uninstall: %v", err)
	}
	if e.hasInstall(team) {
		t.Error("installation still stored")
	}
	if got := e.Uninstalls(); len(got) != 1 || got[0] != team {
		t.Errorf("OnUninstall calls %v", got)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"team":"`+team+`"`) || strings.Contains(logs, botToken) {
		t.Errorf("log: %s", logs)
	}
}

func TestEventsTokensRevoked(t *testing.T) {
	e := newEnv(t)
	e.installed()
	// Only user tokens revoked: meetbot holds none, so nothing changes.
	if rec := e.serve(e.signedEvent(revokedEvent(team, "Ev01", nil, []string{"U0ADMIN"}), 0)); rec.Code != http.StatusOK {
		t.Fatalf("%d", rec.Code)
	}
	if !e.hasInstall(team) || len(e.Uninstalls()) != 0 {
		t.Fatal("user-token revocation dropped the bot token")
	}
	if rec := e.serve(e.signedEvent(revokedEvent(team, "Ev02", []string{"U0BOT"}, nil), 0)); rec.Code != http.StatusOK {
		t.Fatalf("%d", rec.Code)
	}
	if e.hasInstall(team) || len(e.Uninstalls()) != 1 {
		t.Fatal("bot-token revocation kept the token")
	}
}

// TestEventsRetryActsOnce: a retried delivery (same event id, with
// X-Slack-Retry-Num) is acknowledged but not acted on again, so a retry
// landing after a reinstall does not delete the new token.
func TestEventsRetryActsOnce(t *testing.T) {
	e := newEnv(t)
	e.installed()
	body := uninstallEvent(team, "Ev0RETRY")
	if rec := e.serve(e.signedEvent(body, 0)); rec.Code != http.StatusOK {
		t.Fatalf("%d", rec.Code)
	}
	e.installed() // reinstalled before the retry arrives
	e.clock.Advance(time.Minute)
	req := e.signedEvent(body, 0)
	req.Header.Set("X-Slack-Retry-Num", "1")
	req.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	if rec := e.serve(req); rec.Code != http.StatusOK {
		t.Fatalf("retry: %d", rec.Code)
	}
	if !e.hasInstall(team) {
		t.Error("the retry deleted the new installation")
	}
	if n := len(e.Uninstalls()); n != 1 {
		t.Errorf("OnUninstall called %d times", n)
	}
	// A different event id is a new uninstall.
	if rec := e.serve(e.signedEvent(uninstallEvent(team, "Ev0OTHER"), 0)); rec.Code != http.StatusOK || e.hasInstall(team) {
		t.Errorf("a new event was not acted on: %d", rec.Code)
	}
}

// TestEventsSignatureRefused: bad, stale, missing and altered signatures
// get 401 and change nothing.
func TestEventsSignatureRefused(t *testing.T) {
	body := uninstallEvent(team, "Ev0SIG")
	cases := map[string]func(e *env) *http.Request{
		"no headers": func(e *env) *http.Request {
			return httptest.NewRequest("POST", install.EventsPath, strings.NewReader(body))
		},
		"no signature": func(e *env) *http.Request {
			r := e.signedEvent(body, 0)
			r.Header.Del("X-Slack-Signature")
			return r
		},
		"no timestamp": func(e *env) *http.Request {
			r := e.signedEvent(body, 0)
			r.Header.Del("X-Slack-Request-Timestamp")
			return r
		},
		"wrong secret": func(e *env) *http.Request {
			r := e.signedEvent(body, 0)
			ts := r.Header.Get("X-Slack-Request-Timestamp")
			r.Header.Set("X-Slack-Signature", testSign("another-secret", ts, []byte(body)))
			return r
		},
		"stale -301s":  func(e *env) *http.Request { return e.signedEvent(body, -301*time.Second) },
		"future +301s": func(e *env) *http.Request { return e.signedEvent(body, 301*time.Second) },
		"v1 prefix": func(e *env) *http.Request {
			r := e.signedEvent(body, 0)
			r.Header.Set("X-Slack-Signature", "v1="+strings.TrimPrefix(r.Header.Get("X-Slack-Signature"), "v0="))
			return r
		},
		"bad hex": func(e *env) *http.Request {
			r := e.signedEvent(body, 0)
			r.Header.Set("X-Slack-Signature", "v0=zz")
			return r
		},
		"timestamp not a number": func(e *env) *http.Request {
			r := e.signedEvent(body, 0)
			r.Header.Set("X-Slack-Request-Timestamp", "soon")
			return r
		},
		"body altered by one byte": func(e *env) *http.Request {
			r := e.signedEvent(body, 0)
			altered := strings.Replace(body, "Ev0SIG", "Ev0SIH", 1)
			r.Body = httptest.NewRequest("POST", "/", strings.NewReader(altered)).Body
			return r
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.installed()
			rec := e.serve(mk(e))
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("status %d", rec.Code)
			}
			if !e.hasInstall(team) || len(e.Uninstalls()) != 0 {
				t.Error("a refused request changed the store")
			}
		})
	}
	// The edges of the window are accepted.
	for _, skew := range []time.Duration{-299 * time.Second, 299 * time.Second} {
		e := newEnv(t)
		if rec := e.serve(e.signedEvent(`{"type":"url_verification","challenge":"c"}`, skew)); rec.Code != http.StatusOK {
			t.Errorf("skew %v: %d", skew, rec.Code)
		}
	}
}

func TestEventsOversized(t *testing.T) {
	e := newEnv(t)
	e.installed()
	// A valid uninstall padded past 64 KiB, correctly signed.
	big := `{"pad":"` + strings.Repeat("x", install.DefaultMaxBody) + `",` + uninstallEvent(team, "Ev0BIG")[1:]
	rec := e.serve(e.signedEvent(big, 0))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("with Content-Length: %d", rec.Code)
	}
	req := e.signedEvent(big, 0)
	req.ContentLength = -1 // chunked: the cap must hold while reading
	req.Body = io.NopCloser(struct{ io.Reader }{bytes.NewReader([]byte(big))})
	rec = e.serve(req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("without Content-Length: %d", rec.Code)
	}
	if !e.hasInstall(team) || len(e.Uninstalls()) != 0 {
		t.Error("an oversized request changed the store")
	}
}

func TestEventsOtherBodies(t *testing.T) {
	e := newEnv(t)
	e.installed()
	cases := []struct {
		body   string
		status int
	}{
		{`{"type":"event_callback","team_id":"` + team + `","event_id":"Ev1","event":{"type":"app_mention","text":"hi"}}`, 200},
		{`{"type":"event_callback","team_id":"` + team + `","event_id":"Ev2","event":{"type":"no_such_event_type"}}`, 200},
		{`{"type":"app_rate_limited","team_id":"` + team + `","minute_rate_limited":1518467820}`, 200},
		{`{"type":"something_new"}`, 200},
		{`not json`, 400},
		{``, 400},
		{`{"type":"url_verification"}`, 400},
		{`{"type":"event_callback","event_id":"Ev3","event":{"type":"app_uninstalled"}}`, 400}, // no team
		{`{"type":"event_callback","team_id":"` + team + `","event_id":"Ev4","event":"app_uninstalled"}`, 400},
	}
	for _, tc := range cases {
		rec := e.serve(e.signedEvent(tc.body, 0))
		if rec.Code != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.body, rec.Code, rec.Body, tc.status)
		}
	}
	if !e.hasInstall(team) || len(e.Uninstalls()) != 0 {
		t.Error("an unrelated event changed the store")
	}
}

// TestHandleEventForSocketMode: the exported entry point works without
// HTTP, as Socket Mode will use it.
func TestHandleEventForSocketMode(t *testing.T) {
	e := newEnv(t)
	e.installed()
	if resp, err := e.handler.HandleEvent(context.Background(), []byte(uninstallEvent(team, "Ev0SOCK"))); err != nil || resp != nil {
		t.Fatalf("HandleEvent = %s, %v", resp, err)
	}
	if e.hasInstall(team) {
		t.Error("not forgotten")
	}
	_, err := e.handler.HandleEvent(context.Background(), []byte("{"))
	testenvWantCode(t, err, core.EINVALID)
}

// Signed requests in a static single-workspace setup still reach the
// events route; uninstall calls the hook and the token stays configured.
func TestEventsStaticToken(t *testing.T) {
	e := newEnv(t)
	tok, err := install.NewTokens(install.TokensOptions{BotToken: botToken, Team: team})
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	h, err := install.New(install.Options{Tokens: tok, Once: e.db, SigningSecret: signingSecret, Now: e.clock.Now,
		OnUninstall: func(_ context.Context, team string) { calls = append(calls, team) }})
	if err != nil {
		t.Fatal(err)
	}
	routes := h.Routes()
	if _, ok := routes["GET "+install.InstallPath]; ok {
		t.Error("install route served without OAuth credentials")
	}
	rec := httptestRecorder(routes["POST "+install.EventsPath], e.signedEvent(uninstallEvent(team, "Ev0ST"), 0))
	if rec.Code != http.StatusOK || len(calls) != 1 {
		t.Errorf("%d, hook %v", rec.Code, calls)
	}
	if got, err := tok.Token(context.Background(), team); err != nil || got != botToken {
		t.Errorf("static token after uninstall event: %q %v", got, err)
	}
}
