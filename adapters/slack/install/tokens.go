// Package install is how meetbot gets into a Slack workspace and how the
// rest of the Slack adapter gets a bot token to speak there. It serves the
// OAuth v2 install flow (GET /slack/install, GET /slack/oauth/callback),
// stores each workspace's bot token sealed with AES-GCM so the database
// file alone gives none away, and serves the Events API endpoint
// (POST /slack/events) so an uninstall or a revoked token deletes the
// workspace's token at once. A single-workspace deployment with a
// configured bot token uses the same Tokens type without any store.
//
// The package imports neither adapters/slack nor storage: cmd/bot hands it
// the store and keys, and adapters/slack asks it for tokens.
package install

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/seal"
)

// BotScopes is every bot scope meetbot asks for, comma-separated as the
// authorize URL wants it. It must match oauth_config.scopes.bot in
// slack-app-manifest.yaml (a test checks both), and holds only what the
// adapter uses: the slash command, posting cards, users.info for time
// zones, and opening DMs for personal reminders.
const BotScopes = "commands,chat:write,users:read,im:write"

// DefaultCacheTTL is how long an opened token stays in memory, so posting
// a card does not read bbolt and run AES-GCM every time, while a token
// deleted on another replica stops being used within a minute.
const DefaultCacheTTL = time.Minute

// TokensOptions configure Tokens. Set either BotToken (one workspace) or
// Store and Box (OAuth installs), not both.
type TokensOptions struct {
	// BotToken is the configured slack.bot_token of a single-workspace
	// deployment. Its workspace is Team, or, when Team is empty, the one
	// auth.test reports for it on first use; requests from any other
	// workspace never get the token.
	BotToken string
	// Team pins the workspace of BotToken and skips auth.test.
	Team string
	// APIURL is the Slack Web API base for auth.test (default
	// slack-go's https://slack.com/api/), so tests and proxies can stand in.
	APIURL string
	// HTTPClient calls auth.test; default a client with a 10s timeout.
	HTTPClient *http.Client

	// Store keeps one sealed token per workspace (OAuth installs).
	Store core.InstallStore
	// Box seals and opens the stored tokens (storage.encryption_key).
	Box *seal.Box
	// PublicURL is where people reach meetbot (http.public_url), named in
	// the "not installed" message as <PublicURL>/slack/install.
	PublicURL string

	// CacheTTL is how long an opened token is kept in memory; default
	// DefaultCacheTTL.
	CacheTTL time.Duration
	// Now is the clock of the cache; default time.Now.
	Now    func() time.Time
	Logger zerolog.Logger
}

// Tokens hands out the bot token of a workspace. It is safe for concurrent
// use.
type Tokens struct {
	o TokensOptions

	mu    sync.Mutex
	cache map[string]cached

	// Single-workspace mode: the workspace learned from auth.test.
	staticMu   sync.Mutex
	staticTeam string
	staticBot  string
}

// cached is an opened token and when it must be read again.
type cached struct {
	token, botUser string
	until          time.Time
}

// NewTokens checks the options and returns Tokens. It makes no network
// call: a static token's workspace is learned on first use.
func NewTokens(o TokensOptions) (*Tokens, error) {
	static := o.BotToken != ""
	stored := o.Store != nil || o.Box != nil
	switch {
	case static && stored:
		return nil, errors.New("install: set either a bot token or an install store, not both")
	case !static && !stored:
		return nil, errors.New("install: set a bot token (one workspace) or an install store and a seal box (OAuth installs)")
	case stored && (o.Store == nil || o.Box == nil):
		return nil, errors.New("install: OAuth installs need both the install store and the seal box (storage.encryption_key)")
	}
	o.APIURL, o.HTTPClient = apiDefaults(o.APIURL, o.HTTPClient)
	if o.CacheTTL <= 0 {
		o.CacheTTL = DefaultCacheTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	t := &Tokens{o: o, cache: map[string]cached{}}
	if static && o.Team != "" {
		t.staticTeam = o.Team
	}
	return t, nil
}

// Static reports whether the tokens come from a configured bot token
// rather than from OAuth installs.
func (t *Tokens) Static() bool { return t.o.BotToken != "" }

// workspace is the store key of a Slack team.
func workspace(team string) core.WorkspaceKey {
	return core.WorkspaceKey{Platform: core.PlatformSlack, ID: team}
}

// sealAD is what a sealed token is bound to ("slack:T123"): a sealed value
// copied under another workspace's key does not open.
func sealAD(team string) string { return workspace(team).String() }

// notInstalled is the answer for a workspace without a token.
func (t *Tokens) notInstalled(team string) error {
	if t.Static() || t.o.PublicURL == "" {
		return &core.Error{Code: core.ENOTFOUND,
			Message: "meetbot is not installed in this workspace; ask an admin to install it.",
			Err:     fmt.Errorf("no bot token for slack team %s", team)}
	}
	return &core.Error{Code: core.ENOTFOUND,
		Message: "meetbot is not installed in this workspace; ask an admin to install it from " + t.o.PublicURL + InstallPath + ".",
		Err:     fmt.Errorf("no bot token for slack team %s", team)}
}

// Token returns the bot token for team. A workspace without one gets an
// ENOTFOUND *core.Error whose message tells the user how to install
// meetbot; a stored token that does not open (wrong key, moved record) is
// an EINTERNAL error and is never returned.
func (t *Tokens) Token(ctx context.Context, team string) (string, error) {
	c, err := t.lookup(ctx, team)
	return c.token, err
}

// BotUserID returns meetbot's own user id in team, so the adapter can
// ignore its own messages. It costs what Token costs.
func (t *Tokens) BotUserID(ctx context.Context, team string) (string, error) {
	c, err := t.lookup(ctx, team)
	return c.botUser, err
}

// lookup finds team's token in the cache, or else opens it from the store
// (or resolves the static token's team).
func (t *Tokens) lookup(ctx context.Context, team string) (cached, error) {
	if team == "" {
		return cached{}, core.Errorf(core.EINVALID, "This request names no Slack workspace, so meetbot cannot answer it.")
	}
	if t.Static() {
		return t.static(ctx, team)
	}
	now := t.o.Now()
	t.mu.Lock()
	c, ok := t.cache[team]
	t.mu.Unlock()
	if ok && now.Before(c.until) {
		return c, nil
	}
	in, err := t.o.Store.FindInstallation(ctx, workspace(team))
	if core.ErrorCode(err) == core.ENOTFOUND {
		return cached{}, t.notInstalled(team)
	}
	if err != nil {
		return cached{}, fmt.Errorf("install: read the installation of slack team %s: %w", team, err)
	}
	pt, err := t.o.Box.Open(in.SealedToken, sealAD(team))
	if err != nil {
		return cached{}, core.Wrap(core.EINTERNAL, fmt.Errorf("slack team %s: %w", team, err),
			"meetbot's stored token for this workspace cannot be read; ask an admin to install meetbot again.")
	}
	c = cached{token: string(pt), botUser: in.BotUserID, until: now.Add(t.o.CacheTTL)}
	t.mu.Lock()
	t.cache[team] = c
	t.mu.Unlock()
	return c, nil
}

// Prepare learns which workspace the configured bot token belongs to
// (auth.test) before the first request, so no slash command waits for it
// inside Slack's 3 seconds. A failure is only returned for logging: the
// first request tries again. Without a static token it does nothing.
func (t *Tokens) Prepare(ctx context.Context) error {
	if !t.Static() {
		return nil
	}
	t.staticMu.Lock()
	defer t.staticMu.Unlock()
	return t.learnTeam(ctx)
}

// static serves the configured token to its own workspace only, learning
// that workspace through auth.test the first time.
func (t *Tokens) static(ctx context.Context, team string) (cached, error) {
	t.staticMu.Lock()
	defer t.staticMu.Unlock()
	if err := t.learnTeam(ctx); err != nil {
		return cached{}, err
	}
	if team != t.staticTeam {
		return cached{}, t.notInstalled(team)
	}
	return cached{token: t.o.BotToken, botUser: t.staticBot}, nil
}

// learnTeam asks auth.test once which team the static token is for. The
// caller holds staticMu.
func (t *Tokens) learnTeam(ctx context.Context) error {
	if t.staticTeam == "" {
		api := slackapi.New(t.o.BotToken, slackapi.OptionAPIURL(t.o.APIURL), slackapi.OptionHTTPClient(t.o.HTTPClient))
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		res, err := api.AuthTestContext(ctx)
		if err != nil {
			// Not cached: the next request tries again.
			return core.Wrap(core.EUNAVAILABLE, fmt.Errorf("auth.test: %w", err),
				"meetbot cannot reach Slack to check its bot token right now; please try again in a minute.")
		}
		if res.TeamID == "" {
			return core.Wrap(core.EINTERNAL, errors.New("auth.test returned no team_id"),
				"meetbot's bot token does not belong to any workspace; ask an admin to check slack.bot_token.")
		}
		t.staticTeam, t.staticBot = res.TeamID, res.UserID
		t.o.Logger.Info().Str("team", res.TeamID).Msg("slack bot token belongs to this workspace")
	}
	return nil
}

// Forget deletes team's installation and drops its cached token, for an
// uninstall or revoked tokens. Forgetting a workspace that has none is not
// an error. With a static token it does nothing: the configuration, not
// the store, holds that token.
func (t *Tokens) Forget(ctx context.Context, team string) error {
	if t.Static() || team == "" {
		return nil
	}
	t.mu.Lock()
	delete(t.cache, team)
	t.mu.Unlock()
	if err := t.o.Store.DeleteInstallation(ctx, workspace(team)); err != nil {
		return fmt.Errorf("install: delete the installation of slack team %s: %w", team, err)
	}
	return nil
}

// installedBefore reports whether team has a stored installation made
// before the Unix time at (an event's event_time; 0 means unknown and
// gives false), so an uninstall whose first handling failed can be acted
// on again without deleting a later reinstall.
func (t *Tokens) installedBefore(ctx context.Context, team string, at int64) (bool, error) {
	if t.Static() || at <= 0 {
		return false, nil
	}
	in, err := t.o.Store.FindInstallation(ctx, workspace(team))
	switch {
	case core.ErrorCode(err) == core.ENOTFOUND:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("install: read the installation of slack team %s: %w", team, err)
	}
	return in.InstalledAt.Before(time.Unix(at, 0)), nil
}

// save seals token under team and stores the installation, replacing any
// earlier one, and refreshes the cache.
func (t *Tokens) save(ctx context.Context, in core.Installation, token string) error {
	if t.Static() {
		return errors.New("install: OAuth installs are off while slack.bot_token is set")
	}
	team := in.Workspace.ID
	sealed, err := t.o.Box.Seal([]byte(token), sealAD(team))
	if err != nil {
		return err
	}
	in.SealedToken = sealed
	if err := t.o.Store.PutInstallation(ctx, &in); err != nil {
		return fmt.Errorf("install: store the installation of slack team %s: %w", team, err)
	}
	t.mu.Lock()
	t.cache[team] = cached{token: token, botUser: in.BotUserID, until: t.o.Now().Add(t.o.CacheTTL)}
	t.mu.Unlock()
	return nil
}

// apiDefaults fills in Slack's Web API base (with the trailing slash
// slack-go expects) and an HTTP client with a deadline, for Tokens and the
// install handler alike.
func apiDefaults(base string, c *http.Client) (string, *http.Client) {
	if base == "" {
		base = slackapi.APIURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	return base, c
}
