package slack

import (
	"context"
	"errors"
	"sync"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/core"
)

// userInfo is what users.info tells about a person that meetbot uses.
type userInfo struct {
	zone  string
	name  string
	admin bool
	at    time.Time
	ok    bool
	// failed is set when the team has a bot token but users.info gave no
	// answer (an error, a timeout, or a token not usable yet): the person
	// may well have a zone, it is only unknown for now.
	failed bool
}

// userCache keeps users.info answers per (team, user), so a burst of
// commands costs one call an hour per person.
type userCache struct {
	mu sync.Mutex
	m  map[string]userInfo
}

// userFailTTL is how long a refusal from users.info (a Slack error such as
// missing_scope, or rate limiting) is remembered, so a broken token or a
// missing scope does not add a call to every command. Timeouts and
// network errors are not remembered: the next command asks again.
const userFailTTL = time.Minute

// userCallTimeout bounds users.info inside a command, which Slack wants
// answered within 3 seconds. It covers getting the token too, which for a
// static token may wait for its first auth.test.
const userCallTimeout = 1500 * time.Millisecond

// lookupUser returns users.info for user in team, from the cache when fresh.
// Any failure yields a userInfo without ok: the command goes on with no
// zone and no admin rights, and with failed set when the team has a token,
// so the reply can say the zone was not read.
func (a *Adapter) lookupUser(ctx context.Context, team, user string) userInfo {
	key := team + "\x00" + user
	now := a.opts.Now()
	a.users.mu.Lock()
	u, hit := a.users.m[key]
	a.users.mu.Unlock()
	if hit && (u.ok && now.Sub(u.at) < a.opts.UserTTL || !u.ok && now.Sub(u.at) < userFailTTL) {
		return u
	}
	if a.opts.Tokens == nil || team == "" {
		// No token can ever be had (askUser would say so at once): skip
		// the timer and the goroutine that guard a slow token.
		return userInfo{at: now}
	}
	cctx, cancel := context.WithTimeout(ctx, userCallTimeout)
	defer cancel()
	u, remember := a.fetchUser(cctx, team, user, now)
	if !remember {
		return u
	}
	a.users.mu.Lock()
	if len(a.users.m) >= maxCached {
		clear(a.users.m)
	}
	a.users.m[key] = u
	a.users.mu.Unlock()
	return u
}

// fetchUser asks Slack for user within ctx's deadline, reporting whether
// the answer may be cached. The work runs aside so that a token still
// being checked (a static token's auth.test after a start holds a lock)
// cannot hold the command past the deadline.
func (a *Adapter) fetchUser(ctx context.Context, team, user string, now time.Time) (userInfo, bool) {
	type result struct {
		u        userInfo
		remember bool
	}
	ch := make(chan result, 1)
	a.work.Go(func() {
		u, remember := a.askUser(ctx, team, user, now)
		ch <- result{u, remember}
	})
	select {
	case r := <-ch:
		return r.u, r.remember
	case <-ctx.Done():
		a.opts.Logger.Warn().Str("team", team).Str("user", user).Msg("users.info did not answer in time; going on without the person's zone and admin flag")
		return userInfo{at: now, failed: true}, false
	}
}

// askUser is one users.info call with its token.
func (a *Adapter) askUser(ctx context.Context, team, user string, now time.Time) (userInfo, bool) {
	c, _, err := a.clientErr(ctx, team)
	if err != nil {
		// No token at all is not a failure: there is no zone to read.
		return userInfo{at: now, failed: core.ErrorCode(err) != core.ENOTFOUND}, false
	}
	su, err := c.GetUserInfoContext(ctx, user)
	if err != nil {
		a.opts.Logger.Warn().Err(err).Str("team", team).Str("user", user).Msg("users.info failed; going on without the person's zone and admin flag")
		_, refused := errors.AsType[slackapi.SlackErrorResponse](err)
		_, limited := errors.AsType[*slackapi.RateLimitedError](err)
		return userInfo{at: now, failed: true}, refused || limited
	}
	u := userInfo{at: now, ok: true, zone: su.TZ, admin: su.IsAdmin || su.IsOwner || su.IsPrimaryOwner, name: su.Profile.DisplayName}
	if u.name == "" {
		u.name = su.RealName
	}
	if _, zerr := core.LoadZone(u.zone); u.zone != "" && zerr != nil {
		u.zone = ""
	}
	return u, true
}

// actor identifies the person behind a request, filling zone, admin flag
// and display name from users.info when the workspace has a token.
func (a *Adapter) actor(ctx context.Context, team, user, name, channel string) core.Actor {
	act := core.Actor{
		User:    core.UserKey{Workspace: core.WorkspaceKey{Platform: core.PlatformSlack, ID: team}, UserID: user},
		Name:    name,
		Channel: channel,
	}
	switch u := a.lookupUser(ctx, team, user); {
	case u.ok:
		act.TimeZone, act.IsAdmin = u.zone, u.admin
		if u.name != "" {
			act.Name = u.name
		}
	case u.failed:
		act.ZoneUnread = "Slack"
	}
	if act.Name == "" {
		act.Name = user
	}
	return act
}
