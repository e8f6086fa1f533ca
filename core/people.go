package core

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// people keeps what meetbot remembers about a person, their zone and their
// display name, and chooses the zone their times are read in. It is the one
// place a person's zone is chosen: commands, the Slack modal and Discord's
// previews all come here.
type people struct {
	store       UserStore
	workspaces  *workspaces
	defaultZone string // the operator's zone, under every workspace's own
	clock       Clock
	log         zerolog.Logger
}

// ZoneSource says where an actor's zone came from, so a reply can tell a
// person whose zone was assumed how to set theirs.
type ZoneSource int

// Where a zone came from, most personal first.
const (
	ZoneFromUser ZoneSource = iota
	ZoneFromPlatform
	ZoneFromWorkspace
	ZoneFromConfig
)

// Location returns the zone to read the actor's times in: the one they
// set, else the one their platform reports, else the workspace default,
// else the configured default (cmd/bot makes that the machine's zone when
// the config names none).
func (s *people) Location(ctx context.Context, a Actor) *time.Location {
	loc, _ := s.LocationSource(ctx, a)
	return loc
}

// LocationSource is Location, also saying where the zone came from.
func (s *people) LocationSource(ctx context.Context, a Actor) (*time.Location, ZoneSource) {
	if u, err := s.store.FindUser(ctx, a.User); err == nil && u.TimeZone != "" {
		if loc, err := LoadZone(u.TimeZone); err == nil {
			return loc, ZoneFromUser
		}
	}
	if a.TimeZone != "" {
		if loc, err := LoadZone(a.TimeZone); err == nil {
			return loc, ZoneFromPlatform
		}
	}
	if w, err := s.workspaces.findWorkspace(ctx, a.User.Workspace); err == nil && w.DefaultTimeZone != "" {
		if loc, err := LoadZone(w.DefaultTimeZone); err == nil {
			return loc, ZoneFromWorkspace
		}
	}
	if loc, err := LoadZone(s.defaultZone); err == nil {
		return loc, ZoneFromConfig
	}
	return time.UTC, ZoneFromConfig
}

// SetTimeZone stores the actor's IANA zone so their times are read and shown
// in it.
func (s *people) SetTimeZone(ctx context.Context, a Actor, zone string) (*time.Location, error) {
	zone = strings.TrimSpace(zone)
	loc, err := LoadZone(zone)
	if err != nil {
		return nil, Errorf(EINVALID, "%q is not a time zone I know. Use an IANA name such as \"Europe/Berlin\" or \"America/New_York\".", zone)
	}
	_, err = s.store.UpdateUser(ctx, a.User, func(u *User) error {
		u.TimeZone = loc.String()
		if a.Name != "" {
			u.DisplayName = a.Name
		}
		u.UpdatedAt = s.clock.Now()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store user: %w", err)
	}
	return loc, nil
}

// TakeZoneHint reports, once per person, that a's times were read in a zone
// they did not choose: the workspace's default or the operator's (the
// platform reports none for them and they never ran "/meet tz"). When ok,
// it returns that zone and where it came from, and records on the user that
// they were told, so the next call returns false. Adapters show the hint
// with the reply to the command that read a time.
func (s *people) TakeZoneHint(ctx context.Context, a Actor) (loc *time.Location, src ZoneSource, ok bool) {
	loc, src = s.LocationSource(ctx, a)
	// A zone the platform has but could not give now is unknown, not
	// absent: telling them once here would use up the hint for nothing.
	if src != ZoneFromWorkspace && src != ZoneFromConfig || a.ZoneUnread != "" {
		return loc, src, false
	}
	told := false
	_, err := s.store.UpdateUser(context.WithoutCancel(ctx), a.User, func(u *User) error {
		told = false // fn may run again
		if u.ZoneHinted {
			return ErrUnchanged
		}
		if u.DisplayName == "" {
			u.DisplayName = a.Name
		}
		u.ZoneHinted, u.UpdatedAt, told = true, s.clock.Now(), true
		return nil
	})
	if err != nil {
		s.log.Warn().Err(err).Str("user", a.User.String()).Msg("could not record the zone hint")
		return loc, src, false
	}
	if !told {
		return loc, src, false
	}
	return loc, src, true
}

// rememberName stores the display name so a link opened later (or a
// participant re-created) still sends a name upstream.
func (s *people) rememberName(ctx context.Context, a Actor) {
	_, err := s.store.UpdateUser(ctx, a.User, func(u *User) error {
		if u.DisplayName == a.Name {
			return ErrUnchanged
		}
		u.DisplayName, u.UpdatedAt = a.Name, s.clock.Now()
		return nil
	})
	if err != nil {
		s.log.Warn().Err(err).Str("user", a.User.String()).Msg("could not remember display name")
	}
}
