package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	slackapi "github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/meetbot/meetbot/adapters/chatkit"
	"github.com/meetbot/meetbot/core"
)

// DefaultAPIURL is Slack's Web API base; Options.APIURL replaces it so a
// proxy or a test server can stand in.
const DefaultAPIURL = "https://slack.com/api/"

// TokenSource hands out the bot token of a workspace. The install package's
// Tokens implements it for OAuth installs; StaticToken covers the single
// workspace set up with slack.bot_token. An error means "no token": the
// adapter then answers through response_url only, as before any install.
// An ENOTFOUND error says the workspace has none; any other error says its
// token cannot be had right now, so replies that read a time say the
// person's Slack zone could not be read.
type TokenSource interface {
	Token(ctx context.Context, team string) (string, error)
}

// StaticToken is one bot token used for every team, for a single-workspace
// setup. The empty StaticToken has no token.
type StaticToken string

// errNoToken is StaticToken's answer when it is empty.
var errNoToken = core.Errorf(core.ENOTFOUND, "Slack has no bot token configured, so meetbot can only answer commands here.")

// Token implements TokenSource.
func (t StaticToken) Token(context.Context, string) (string, error) {
	if t == "" {
		return "", errNoToken
	}
	return string(t), nil
}

// teamClient is a Web API client for one team's token.
type teamClient struct {
	token string
	api   *slackapi.Client
}

// client returns the Web API client of team and a short fingerprint of its
// token (to remember failures per token, never the token itself). ok is
// false when the team has no token.
func (a *Adapter) client(ctx context.Context, team string) (c *slackapi.Client, fp string, ok bool) {
	c, fp, err := a.clientErr(ctx, team)
	return c, fp, err == nil
}

// clientErr is client saying why there is none: an ENOTFOUND error when
// the team has no token at all, any other error when it has one that
// cannot be used right now (the static token's auth.test has not
// succeeded yet, or the store could not be read).
func (a *Adapter) clientErr(ctx context.Context, team string) (*slackapi.Client, string, error) {
	if a.opts.Tokens == nil || team == "" {
		return nil, "", errNoToken
	}
	tok, err := a.opts.Tokens.Token(ctx, team)
	if err == nil && tok == "" {
		err = errNoToken
	}
	if err != nil {
		if core.ErrorCode(err) != core.ENOTFOUND {
			a.opts.Logger.Warn().Err(err).Str("team", team).Msg("could not load the workspace's bot token")
		}
		return nil, "", err
	}
	a.clientsMu.Lock()
	defer a.clientsMu.Unlock()
	tc, hit := a.clients[team]
	if !hit || tc.token != tok {
		tc = teamClient{token: tok, api: slackapi.New(tok,
			slackapi.OptionAPIURL(a.opts.APIURL), slackapi.OptionHTTPClient(a.opts.HTTPClient))}
		if len(a.clients) >= maxCached {
			clear(a.clients)
		}
		a.clients[team] = tc
	}
	sum := sha256.Sum256([]byte(tok))
	return tc.api, hex.EncodeToString(sum[:6]), nil
}

// maxCached bounds every per-team or per-user cache of this package.
const maxCached = 50_000

// slackError is the error code of a Web API failure ("not_in_channel"),
// or "" when err is not one.
func slackError(err error) string {
	if e, ok := errors.AsType[slackapi.SlackErrorResponse](err); ok {
		return e.Err
	}
	return ""
}

// Errors after which posting to a channel cannot succeed until someone acts:
// the bot was removed, the channel is gone or archived, or the token died.
var (
	channelDead = map[string]bool{"not_in_channel": true, "channel_not_found": true, "is_archived": true}
	tokenDead   = map[string]bool{"account_inactive": true, "invalid_auth": true, "token_revoked": true}
)

func deadChannelKey(team, channel string) string { return team + "\x00" + channel }
func deadTokenKey(team, fp string) string        { return team + "\x00token:" + fp }

// unreachable reports whether posts to channel of team are known to fail.
func (a *Adapter) unreachable(team, channel, fp string) bool {
	now := a.opts.Now()
	return a.dead.Has(deadChannelKey(team, channel), now) || a.dead.Has(deadTokenKey(team, fp), now)
}

// markDead remembers a permanent posting failure and logs it once per
// channel (or token). It reports whether err was such a failure.
func (a *Adapter) markDead(err error, team, channel, fp, meeting string) bool {
	code := slackError(err)
	var key, why string
	switch {
	case channelDead[code]:
		key, why = deadChannelKey(team, channel), "meetbot cannot post in this channel (invite it with /invite @meetbot); its reminders are paused for an hour, then tried again"
	case tokenDead[code]:
		key, why = deadTokenKey(team, fp), "the workspace's bot token no longer works (reinstall meetbot); its reminders are paused for an hour, then tried again"
	default:
		return false
	}
	if a.dead.Add(key, a.opts.Now()) {
		a.opts.Logger.Warn().Str("team", team).Str("channel", channel).Str("meeting", meeting).Str("slack_error", code).Msg(why)
	}
	return true
}

// limiter returns the pacing limiter of one channel.
func (a *Adapter) limiter(team, channel string) *rate.Limiter {
	a.limitsMu.Lock()
	defer a.limitsMu.Unlock()
	k := team + "\x00" + channel
	l, ok := a.limits[k]
	if !ok {
		if len(a.limits) >= maxCached {
			clear(a.limits)
		}
		l = rate.NewLimiter(a.opts.ChannelRate, a.opts.ChannelBurst)
		a.limits[k] = l
	}
	return l
}

// pace waits for channel's turn, so meetbot posts at most about one message
// per second per channel as Slack asks (golang.org/x/time/rate, reserved
// against Options.Now and waited with Options.Sleep so tests need not wait).
func (a *Adapter) pace(ctx context.Context, team, channel string) error {
	now := a.opts.Now()
	r := a.limiter(team, channel).ReserveN(now, 1)
	if !r.OK() {
		return nil
	}
	if d := r.DelayFrom(now); d > 0 {
		if err := a.opts.Sleep(ctx, d); err != nil {
			r.CancelAt(now)
			return err
		}
	}
	return nil
}

// textRateLimited is what a person reads when Slack's rate limit outlasts
// what meetbot waits for in place.
const textRateLimited = "Slack is rate limiting meetbot; please try again in a moment."

// rateLimited recognises Slack's 429 for chatkit.Retry: slack-go's
// RateLimitedError with its Retry-After, or a bare 429 without that
// header (a StatusCodeError), which waits a second.
func rateLimited(err error) (time.Duration, bool) {
	if rl, ok := errors.AsType[*slackapi.RateLimitedError](err); ok {
		return chatkit.Or(rl.RetryAfter, time.Second), true
	}
	if se, ok := errors.AsType[slackapi.StatusCodeError](err); ok && se.Code == http.StatusTooManyRequests {
		return time.Second, true
	}
	return 0, false
}

// withRetry runs call, and again after Slack's Retry-After when it answers
// 429 (chatkit.Retry: at most Options.Retries more times, never past ctx's
// deadline or chatkit.DefaultMaxRateWait).
func (a *Adapter) withRetry(ctx context.Context, call func() error) error {
	return a.retry.Do(ctx, call)
}

// post sends a message to channel with chat.postMessage, paced and retried,
// and returns its ts.
func (a *Adapter) post(ctx context.Context, c *slackapi.Client, team, channel string, opts ...slackapi.MsgOption) (string, error) {
	if err := a.pace(ctx, team, channel); err != nil {
		return "", err
	}
	var ts string
	err := a.withRetry(ctx, func() error {
		var err error
		_, ts, err = c.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}
