package install_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/slack/install"
	"github.com/meetbot/meetbot/core"
)

func TestInstallRedirectsToSlack(t *testing.T) {
	e := newEnv(t)
	rec := e.serve(httptestGet(install.InstallPath))
	if rec.Code != http.StatusFound {
		t.Fatalf("status %d", rec.Code)
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if loc.Scheme != "https" || loc.Host != "slack.com" || loc.Path != "/oauth/v2/authorize" {
		t.Errorf("redirect to %s", loc)
	}
	q := loc.Query()
	if q.Get("client_id") != clientID || q.Get("scope") != install.BotScopes ||
		q.Get("redirect_uri") != publicURL+install.CallbackPath || q.Get("state") == "" {
		t.Errorf("authorize query %v", q)
	}
	var c *http.Cookie
	for _, k := range rec.Result().Cookies() {
		c = k
	}
	if c == nil || !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || !strings.HasPrefix(install.CallbackPath, c.Path) {
		t.Fatalf("state cookie %+v", c)
	}
	// Two installs get different states.
	if s2, _ := e.startInstall(); s2 == q.Get("state") {
		t.Error("two installs got the same state")
	}
}

func TestOAuthRoundTrip(t *testing.T) {
	e := newEnv(t)
	state, c := e.startInstall()
	e.clock.Advance(9 * time.Minute) // slow admin, still in time
	rec := e.callback(url.Values{"code": {"the-code"}, "state": {state}}, c)
	body := readAll(t, rec.Body)
	if rec.Code != http.StatusOK {
		t.Fatalf("callback: %d %s", rec.Code, body)
	}
	if !strings.Contains(body, "Acme &amp; &lt;Co&gt;") || strings.Contains(body, "<Co>") {
		t.Errorf("success page does not name the workspace escaped: %s", body)
	}
	if strings.Contains(body, botToken) {
		t.Error("success page shows the token")
	}
	calls := e.slack.Calls()
	if len(calls) != 1 {
		t.Fatalf("oauth.v2.access called %d times", len(calls))
	}
	f := calls[0]
	if f.Get("code") != "the-code" || f.Get("client_id") != clientID || f.Get("client_secret") != clientSecret ||
		f.Get("redirect_uri") != publicURL+install.CallbackPath {
		t.Errorf("exchange form %v", f)
	}
	ctx := context.Background()
	if tok, err := e.tokens.Token(ctx, team); err != nil || tok != botToken {
		t.Fatalf("Token = %q, %v", tok, err)
	}
	if bot, err := e.tokens.BotUserID(ctx, team); err != nil || bot != "U0BOT" {
		t.Errorf("BotUserID = %q, %v", bot, err)
	}
	in, err := e.db.FindInstallation(ctx, core.WorkspaceKey{Platform: core.PlatformSlack, ID: team})
	if err != nil {
		t.Fatal(err)
	}
	if in.InstalledBy != "U0ADMIN" || in.Scopes != install.BotScopes || in.BotUserID != "U0BOT" || in.InstalledAt.IsZero() {
		t.Errorf("installation %+v", in)
	}
	if bytes.Contains(in.SealedToken, []byte(botToken)) {
		t.Error("stored token is not sealed")
	}
	// The state cookie is cleared.
	for _, k := range rec.Result().Cookies() {
		if k.Name == c.Name && k.MaxAge >= 0 {
			t.Errorf("state cookie not cleared: %+v", k)
		}
	}
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("callback headers %v", rec.Header())
	}
	logs := e.logs.String()
	if strings.Contains(logs, botToken) || strings.Contains(logs, clientSecret) || strings.Contains(logs, "the-code") {
		t.Errorf("a secret reached the log: %s", logs)
	}
	if !strings.Contains(logs, team) {
		t.Errorf("no log line names the installed team: %s", logs)
	}
}

// TestOAuthRefusals: every bad callback is refused with one sentence,
// nothing is stored and the code is never exchanged.
func TestOAuthRefusals(t *testing.T) {
	cases := []struct {
		name   string
		status int
		want   string
		run    func(e *env) (url.Values, *http.Cookie)
	}{
		{"forged state", http.StatusForbidden, "not valid", func(e *env) (url.Values, *http.Cookie) {
			state, c := e.startInstall()
			b := []byte(state)
			if i := len(b) - 2; b[i] == 'A' { // still base64url; the MAC no longer matches
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			return url.Values{"code": {"c"}, "state": {string(b)}}, c
		}},
		{"state signed with another key", http.StatusForbidden, "not valid", func(e *env) (url.Values, *http.Cookie) {
			other, err := install.New(install.Options{Tokens: e.tokens, Once: e.db, ClientID: clientID, ClientSecret: clientSecret,
				StateKey: bytes.Repeat([]byte{8}, 32), PublicURL: publicURL, Now: e.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			rec := httptestRecorder(other.Routes()["GET "+install.InstallPath], httptestGet(install.InstallPath))
			loc, _ := url.Parse(rec.Header().Get("Location"))
			return url.Values{"code": {"c"}, "state": {loc.Query().Get("state")}}, rec.Result().Cookies()[0]
		}},
		{"garbage state", http.StatusForbidden, "not valid", func(e *env) (url.Values, *http.Cookie) {
			_, c := e.startInstall()
			return url.Values{"code": {"c"}, "state": {"<script>alert(1)</script>"}}, c
		}},
		{"expired state", http.StatusBadRequest, "expired", func(e *env) (url.Values, *http.Cookie) {
			state, c := e.startInstall()
			e.clock.Advance(10*time.Minute + time.Second)
			return url.Values{"code": {"c"}, "state": {state}}, c
		}},
		{"missing cookie", http.StatusForbidden, "another browser", func(e *env) (url.Values, *http.Cookie) {
			state, _ := e.startInstall()
			return url.Values{"code": {"c"}, "state": {state}}, nil
		}},
		{"cookie of another install", http.StatusForbidden, "another browser", func(e *env) (url.Values, *http.Cookie) {
			state, _ := e.startInstall()
			_, other := e.startInstall()
			return url.Values{"code": {"c"}, "state": {state}}, other
		}},
		{"no code", http.StatusBadRequest, "install link", func(e *env) (url.Values, *http.Cookie) {
			state, c := e.startInstall()
			return url.Values{"state": {state}}, c
		}},
		{"slack error", http.StatusBadRequest, "did not complete", func(e *env) (url.Values, *http.Cookie) {
			state, c := e.startInstall()
			return url.Values{"error": {"invalid_scope"}, "state": {state}}, c
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			q, c := tc.run(e)
			rec := e.callback(q, c)
			body := readAll(t, rec.Body)
			if rec.Code != tc.status || !strings.Contains(body, tc.want) || !strings.Contains(body, publicURL+install.InstallPath) {
				t.Errorf("got %d %s; want %d with %q and the install link", rec.Code, body, tc.status, tc.want)
			}
			if n := len(e.slack.Calls()); n != 0 {
				t.Errorf("code exchanged %d times", n)
			}
			if e.hasInstall(team) {
				t.Error("an installation was stored")
			}
		})
	}
}

func TestOAuthStateIsSingleUse(t *testing.T) {
	e := newEnv(t)
	state, c := e.startInstall()
	q := url.Values{"code": {"c1"}, "state": {state}}
	if rec := e.callback(q, c); rec.Code != http.StatusOK {
		t.Fatalf("first use: %d", rec.Code)
	}
	if err := e.tokens.Forget(context.Background(), team); err != nil {
		t.Fatal(err)
	}
	rec := e.callback(q, c)
	if body := readAll(t, rec.Body); rec.Code != http.StatusForbidden || !strings.Contains(body, "already used") {
		t.Errorf("replay: %d %s", rec.Code, body)
	}
	if n := len(e.slack.Calls()); n != 1 {
		t.Errorf("code exchanged %d times, want 1", n)
	}
	if e.hasInstall(team) {
		t.Error("the replay stored an installation")
	}
}

// TestOAuthWrongCookieKeepsState: a callback refused for its cookie does
// not use up the state, so the right browser can still finish.
func TestOAuthWrongCookieKeepsState(t *testing.T) {
	e := newEnv(t)
	state, c := e.startInstall()
	q := url.Values{"code": {"c1"}, "state": {state}}
	if rec := e.callback(q, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("without cookie: %d", rec.Code)
	}
	if rec := e.callback(q, c); rec.Code != http.StatusOK {
		t.Fatalf("with cookie: %d %s", rec.Code, rec.Body)
	}
}

func TestOAuthCancelled(t *testing.T) {
	e := newEnv(t)
	state, c := e.startInstall()
	rec := e.callback(url.Values{"error": {"access_denied"}, "state": {state}}, c)
	if body := readAll(t, rec.Body); rec.Code != http.StatusOK || !strings.Contains(body, "Install cancelled") {
		t.Errorf("%d %s", rec.Code, body)
	}
	if len(e.slack.Calls()) != 0 || e.hasInstall(team) {
		t.Error("a cancelled install exchanged a code or stored something")
	}
}

func TestOAuthSlackAnswers(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"ok": true, "access_token": botToken, "token_type": "bot", "scope": install.BotScopes,
			"bot_user_id": "U0BOT", "team": map[string]any{"id": team, "name": "Acme"}, "authed_user": map[string]any{"id": "U0ADMIN"}}
	}
	cases := []struct {
		name   string
		edit   func(m map[string]any)
		status int
		want   string
	}{
		{"invalid code", func(m map[string]any) { clear(m); m["ok"] = false; m["error"] = "invalid_code" }, http.StatusBadRequest, "did not accept"},
		{"ok false without error", func(m map[string]any) { clear(m); m["ok"] = false }, http.StatusBadRequest, "bot token"},
		{"enterprise install", func(m map[string]any) {
			m["is_enterprise_install"] = true
			m["enterprise"] = map[string]any{"id": "E0ORG", "name": "Org"}
			m["team"] = nil
		}, http.StatusForbidden, "Enterprise Grid"},
		{"user token only", func(m map[string]any) { m["token_type"] = "user" }, http.StatusBadRequest, "bot token"},
		{"no team", func(m map[string]any) { m["team"] = map[string]any{"id": ""} }, http.StatusBadRequest, "bot token"},
		{"junk team id", func(m map[string]any) { m["team"] = map[string]any{"id": "T1/../x"} }, http.StatusBadRequest, "bot token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			m := base()
			tc.edit(m)
			e.slack.setReply(m)
			state, c := e.startInstall()
			rec := e.callback(url.Values{"code": {"c"}, "state": {state}}, c)
			body := readAll(t, rec.Body)
			if rec.Code != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("got %d %s; want %d with %q", rec.Code, body, tc.status, tc.want)
			}
			if e.hasInstall(team) {
				t.Error("an installation was stored")
			}
			if strings.Contains(body, botToken) || strings.Contains(e.logs.String(), botToken) {
				t.Error("the token leaked into the page or the log")
			}
		})
	}
}

func TestOAuthSlackUnreachable(t *testing.T) {
	e := newEnv(t)
	e.slack.Close()
	state, c := e.startInstall()
	rec := e.callback(url.Values{"code": {"c"}, "state": {state}}, c)
	if body := readAll(t, rec.Body); rec.Code != http.StatusBadGateway || !strings.Contains(body, "could not reach Slack") {
		t.Errorf("%d %s", rec.Code, body)
	}
	if e.hasInstall(team) {
		t.Error("an installation was stored")
	}
}

// TestTokensAtRestAreNotPlaintext reads the bbolt file's raw bytes after an
// install: the token must not be there, yet it opens after a restart.
func TestTokensAtRestAreNotPlaintext(t *testing.T) {
	e := newEnv(t)
	e.installed()
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(e.path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(team)) {
		t.Fatal("the file does not hold the installation at all; the test would prove nothing")
	}
	for _, needle := range []string{botToken, "TESTtokenNEVERinTHEfile", clientSecret} {
		if bytes.Contains(raw, []byte(needle)) {
			t.Errorf("the database file holds %q in the clear", needle)
		}
	}
	e.open() // a restart with the same key reads it back
	if tok, err := e.tokens.Token(context.Background(), team); err != nil || tok != botToken {
		t.Errorf("after restart Token = %q, %v", tok, err)
	}
}
