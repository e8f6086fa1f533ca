package install_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/slack/install"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

func slackWS(team string) core.WorkspaceKey {
	return core.WorkspaceKey{Platform: core.PlatformSlack, ID: team}
}

// putSealed stores token for team sealed with additional data ad.
func (e *env) putSealed(team, token, ad string) {
	e.t.Helper()
	sealed, err := e.box.Seal([]byte(token), ad)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.PutInstallation(context.Background(), &core.Installation{Workspace: slackWS(team), SealedToken: sealed, BotUserID: "U0BOT"}); err != nil {
		e.t.Fatal(err)
	}
}

func TestTokenNotInstalled(t *testing.T) {
	e := newEnv(t)
	_, err := e.tokens.Token(context.Background(), "T0NOPE")
	ce := testenv.WantCode(t, err, core.ENOTFOUND)
	if want := "meetbot is not installed in this workspace; ask an admin to install it from https://meetbot.example.com/slack/install."; ce.Message != want {
		t.Errorf("message %q", ce.Message)
	}
	_, err = e.tokens.Token(context.Background(), "")
	testenv.WantCode(t, err, core.EINVALID)
}

// TestTokenBoundToWorkspace: a sealed token copied under another
// workspace's key does not open there, and is never handed out.
func TestTokenBoundToWorkspace(t *testing.T) {
	e := newEnv(t)
	e.putSealed("T0A", "xoxb-token-of-A", "slack:T0A")
	e.putSealed("T0B", "xoxb-token-of-A", "slack:T0A") // A's sealed bytes stored under B
	ctx := context.Background()
	if tok, err := e.tokens.Token(ctx, "T0A"); err != nil || tok != "xoxb-token-of-A" {
		t.Fatalf("A: %q %v", tok, err)
	}
	tok, err := e.tokens.Token(ctx, "T0B")
	if tok != "" {
		t.Fatal("B got A's token")
	}
	ce := testenv.WantCode(t, err, core.EINTERNAL)
	if strings.Contains(ce.Message, "xoxb") || !strings.Contains(ce.Message, "install meetbot again") {
		t.Errorf("message %q", ce.Message)
	}
}

func TestTokenCacheAndForget(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.putSealed(team, "xoxb-one", "slack:"+team)
	if tok, _ := e.tokens.Token(ctx, team); tok != "xoxb-one" {
		t.Fatalf("token %q", tok)
	}
	// Replaced behind the cache's back (another replica): the old token is
	// served until the cache entry runs out, then the new one.
	e.putSealed(team, "xoxb-two", "slack:"+team)
	if tok, _ := e.tokens.Token(ctx, team); tok != "xoxb-one" {
		t.Errorf("within the TTL: %q, want the cached one", tok)
	}
	e.clock.Advance(install.DefaultCacheTTL + time.Second)
	if tok, _ := e.tokens.Token(ctx, team); tok != "xoxb-two" {
		t.Errorf("after the TTL: %q", tok)
	}
	// Forget drops the cache at once.
	if err := e.tokens.Forget(ctx, team); err != nil {
		t.Fatal(err)
	}
	_, err := e.tokens.Token(ctx, team)
	testenv.WantCode(t, err, core.ENOTFOUND)
	if err := e.tokens.Forget(ctx, team); err != nil {
		t.Errorf("forgetting twice: %v", err)
	}
	if bot, err := e.tokens.BotUserID(ctx, team); err == nil || bot != "" {
		t.Errorf("BotUserID after forget: %q %v", bot, err)
	}
}

func TestStaticTokenPinnedTeam(t *testing.T) {
	tok, err := install.NewTokens(install.TokensOptions{BotToken: botToken, Team: team})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if got, err := tok.Token(ctx, team); err != nil || got != botToken {
		t.Errorf("own team: %q %v", got, err)
	}
	got, err := tok.Token(ctx, "T0OTHER")
	if got != "" {
		t.Fatal("another workspace got the static token")
	}
	ce := testenv.WantCode(t, err, core.ENOTFOUND)
	if strings.Contains(ce.Message, "http") {
		t.Errorf("static mode names an install link: %q", ce.Message)
	}
	if err := tok.Forget(ctx, team); err != nil {
		t.Error(err)
	}
	if got, _ := tok.Token(ctx, team); got != botToken {
		t.Error("Forget dropped the configured token")
	}
}

// TestStaticTokenLearnsTeam: without a pinned team, auth.test says whose
// token it is, once; a failed auth.test is retried on the next request.
func TestStaticTokenLearnsTeam(t *testing.T) {
	e := newEnv(t)
	e.slack.mu.Lock()
	e.slack.authReply = map[string]any{"ok": false, "error": "ratelimited"}
	e.slack.mu.Unlock()
	tok, err := install.NewTokens(install.TokensOptions{BotToken: botToken, APIURL: e.slack.URL + "/api", HTTPClient: e.slack.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err = tok.Token(ctx, team)
	testenv.WantCode(t, err, core.EUNAVAILABLE)
	e.slack.mu.Lock()
	e.slack.authReply = map[string]any{"ok": true, "team_id": team, "user_id": "U0BOT"}
	e.slack.mu.Unlock()
	for range 3 {
		if got, err := tok.Token(ctx, team); err != nil || got != botToken {
			t.Fatalf("own team: %q %v", got, err)
		}
	}
	if got, err := tok.Token(ctx, "T0OTHER"); got != "" || core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("other team: %q %v", got, err)
	}
	if bot, _ := tok.BotUserID(ctx, team); bot != "U0BOT" {
		t.Errorf("bot user %q", bot)
	}
	e.slack.mu.Lock()
	n := e.slack.auths
	e.slack.mu.Unlock()
	if n != 2 {
		t.Errorf("auth.test called %d times, want 2 (one failure, one success)", n)
	}
}

// TestPrepareLearnsTeamAhead: Prepare does the auth.test at startup, so the
// first request makes no call at all; Prepare is a no-op for OAuth tokens.
func TestPrepareLearnsTeamAhead(t *testing.T) {
	e := newEnv(t)
	e.slack.mu.Lock()
	e.slack.authReply = map[string]any{"ok": true, "team_id": team, "user_id": "U0BOT"}
	e.slack.mu.Unlock()
	tok, err := install.NewTokens(install.TokensOptions{BotToken: botToken, APIURL: e.slack.URL + "/api", HTTPClient: e.slack.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.slack.mu.Lock()
	before := e.slack.auths
	e.slack.mu.Unlock()
	if got, err := tok.Token(context.Background(), team); err != nil || got != botToken {
		t.Fatalf("own team after Prepare: %q %v", got, err)
	}
	e.slack.mu.Lock()
	after := e.slack.auths
	e.slack.mu.Unlock()
	if before != 1 || after != 1 {
		t.Fatalf("auth.test calls: %d after Prepare, %d after the first request; want 1 and 1", before, after)
	}
	oauth, err := install.NewTokens(install.TokensOptions{Store: e.db, Box: e.box})
	if err != nil {
		t.Fatal(err)
	}
	if err := oauth.Prepare(context.Background()); err != nil {
		t.Fatalf("Prepare with OAuth tokens: %v", err)
	}
}

func TestNewTokensRefusesBadOptions(t *testing.T) {
	e := newEnv(t)
	for name, o := range map[string]install.TokensOptions{
		"nothing":       {},
		"both":          {BotToken: botToken, Store: e.db, Box: e.box},
		"store, no box": {Store: e.db},
		"box, no store": {Box: e.box},
	} {
		if _, err := install.NewTokens(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestNewHandlerRefusesBadOptions(t *testing.T) {
	e := newEnv(t)
	static, _ := install.NewTokens(install.TokensOptions{BotToken: botToken, Team: team})
	key := make([]byte, 32)
	for name, o := range map[string]install.Options{
		"no tokens":       {Once: e.db},
		"no once":         {Tokens: e.tokens},
		"no secret":       {Tokens: e.tokens, Once: e.db, ClientID: clientID, StateKey: key, PublicURL: publicURL},
		"short state key": {Tokens: e.tokens, Once: e.db, ClientID: clientID, ClientSecret: clientSecret, StateKey: key[:16], PublicURL: publicURL},
		"no public url":   {Tokens: e.tokens, Once: e.db, ClientID: clientID, ClientSecret: clientSecret, StateKey: key},
		"relative url":    {Tokens: e.tokens, Once: e.db, ClientID: clientID, ClientSecret: clientSecret, StateKey: key, PublicURL: "meetbot.example.com"},
		"static tokens":   {Tokens: static, Once: e.db, ClientID: clientID, ClientSecret: clientSecret, StateKey: key, PublicURL: publicURL},
	} {
		if _, err := install.New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
