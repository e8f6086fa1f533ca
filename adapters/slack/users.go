package slack

import (
	"context"
	"sync"
	"time"

	"github.com/meetbot/meetbot/core"
)

// userInfo is what users.info tells about a person that meetbot uses.
type userInfo struct {
	zone  string
	name  string
	admin bool
	at    time.Time
	ok    bool
}

// userCache keeps users.info answers per (team, user), so a burst of
// commands costs one call an hour per person.
type userCache struct {
	mu sync.Mutex
	m  map[string]userInfo
}

// userFailTTL is how long a failed users.info is remembered, so a broken
// token or a missing scope does not add a call to every command.
const userFailTTL = time.Minute

// userCallTimeout bounds users.info inside a command, which Slack wants
// answered within 3 seconds.
const userCallTimeout = 1500 * time.Millisecond

// lookupUser returns users.info for user in team, from the cache when fresh.
// Any failure yields the zero userInfo: the command goes on with no zone
// and no admin rights.
func (a *Adapter) lookupUser(ctx context.Context, team, user string) userInfo {
	key := team + "\x00" + user
	now := a.opts.Now()
	a.users.mu.Lock()
	u, hit := a.users.m[key]
	a.users.mu.Unlock()
	if hit && (u.ok && now.Sub(u.at) < a.opts.UserTTL || !u.ok && now.Sub(u.at) < userFailTTL) {
		return u
	}
	c, _, ok := a.client(ctx, team)
	if !ok {
		return userInfo{}
	}
	cctx, cancel := context.WithTimeout(ctx, userCallTimeout)
	defer cancel()
	u = userInfo{at: now}
	su, err := c.GetUserInfoContext(cctx, user)
	if err != nil {
		a.opts.Logger.Warn().Err(err).Str("team", team).Str("user", user).Msg("users.info failed; going on without the person's zone and admin flag")
	} else {
		u.ok = true
		u.zone = su.TZ
		u.admin = su.IsAdmin || su.IsOwner || su.IsPrimaryOwner
		u.name = su.Profile.DisplayName
		if u.name == "" {
			u.name = su.RealName
		}
		if _, zerr := core.LoadZone(u.zone); u.zone != "" && zerr != nil {
			u.zone = ""
		}
	}
	a.users.mu.Lock()
	if len(a.users.m) >= maxCached {
		clear(a.users.m)
	}
	a.users.m[key] = u
	a.users.mu.Unlock()
	return u
}

// actor identifies the person behind a request, filling zone, admin flag
// and display name from users.info when the workspace has a token.
func (a *Adapter) actor(ctx context.Context, team, user, name, channel string) core.Actor {
	act := core.Actor{
		User:    core.UserKey{Workspace: core.WorkspaceKey{Platform: core.PlatformSlack, ID: team}, UserID: user},
		Name:    name,
		Channel: channel,
	}
	if u := a.lookupUser(ctx, team, user); u.ok {
		act.TimeZone, act.IsAdmin = u.zone, u.admin
		if u.name != "" {
			act.Name = u.name
		}
	}
	if act.Name == "" {
		act.Name = user
	}
	return act
}
