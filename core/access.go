package core

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rs/zerolog"
)

// Actor is the person behind a request, as the adapter identified them.
type Actor struct {
	User    UserKey
	Name    string // display name; sent to RealtimeKit as the participant name
	Channel string // where they typed or clicked
	IsAdmin bool   // workspace admin, as the platform says
	// TimeZone is the zone the platform reports for the person (Slack's
	// users.info tz), used when they never set one with /meet tz. Empty
	// where the platform has none (Discord).
	TimeZone string
	// ZoneUnread names the platform ("Slack") when it keeps a zone for the
	// person but it could not be read for this request (the lookup failed
	// or timed out, or the bot token is not usable yet). Their times then
	// fall to the workspace's or the configured zone like anyone's who has
	// none, but the reply says so every time (see chat's zone notes), and
	// nothing about the failure is remembered as theirs.
	ZoneUnread string
	// adminLooked records that the workspace's admin list was already read
	// for this actor (see permits), so a refusal reads it at most once.
	adminLooked bool
}

// MembershipChecker answers whether a user is in a channel. Adapters that can
// ask their platform implement it; without one, a user counts as a member of
// the channel they are typing in.
type MembershipChecker interface {
	IsChannelMember(ctx context.Context, ws WorkspaceKey, channel, user string) (bool, error)
}

// access decides who may see, change, join and create meetings, and who has
// admin rights. Every use case asks it, so a rule is written once and
// holds whichever adapter called.
type access struct {
	store      MeetingStore
	workspaces *workspaces
	members    MembershipChecker // nil: the actor's own channel is all we know
	log        zerolog.Logger
}

// isAdmin is the one rule for meetbot admin rights: the platform says so,
// or the workspace lists the person.
func isAdmin(w *Workspace, a Actor) bool {
	return a.IsAdmin || (w != nil && slices.Contains(w.Admins, a.User.UserID))
}

// IsAdmin reports whether a has admin rights in meetbot: a platform admin,
// or a person the workspace listed with "/meet settings admins add". When
// the settings cannot be read it falls back to what the platform says, so
// a store failure never grants rights.
func (s *access) IsAdmin(ctx context.Context, a Actor) bool {
	if a.IsAdmin {
		return true
	}
	w, err := s.workspaces.storedWorkspace(ctx, a.User.Workspace)
	if err != nil {
		s.log.Warn().Err(err).Str("workspace", a.User.Workspace.String()).Msg("could not read workspace admins")
		return false
	}
	return isAdmin(w, a)
}

// permits reports whether check allows a. When it does not, and a is not
// yet known to be an admin, the workspace's list of meetbot admins is read
// (once per actor) and, if it names a, a.IsAdmin is set and check asked
// again. So listed admins have admin rights in every use case, whichever
// adapter called, while the usual allowed request never reads the store.
func (s *access) permits(ctx context.Context, a *Actor, check func(Actor) bool) bool {
	if check(*a) {
		return true
	}
	if a.IsAdmin || a.adminLooked {
		return false
	}
	a.adminLooked = true
	if !s.IsAdmin(ctx, *a) {
		return false
	}
	a.IsAdmin = true
	return check(*a)
}

// mayCreate refuses a new meeting when the workspace lets only admins
// schedule and a is not one. A settings read failure refuses too, since
// the rule cannot be checked.
func (s *access) mayCreate(ctx context.Context, a Actor) error {
	if a.IsAdmin {
		return nil
	}
	w, err := s.workspaces.storedWorkspace(ctx, a.User.Workspace)
	if err != nil {
		return err
	}
	if w.AdminsOnly && !isAdmin(w, a) {
		return Errorf(EFORBIDDEN, "Only workspace admins can schedule meetings here. Ask an admin, or an admin can allow everyone with \"/meet settings schedulers everyone\".")
	}
	return nil
}

// canSee reports whether a may see m at all: private meetings are visible to
// invitees, hosts and admins only.
func canSee(m *Meeting, a Actor) bool {
	return !m.Private || a.IsAdmin || m.IsInvited(a.User.UserID)
}

// canManage reports whether a may change m: organizer, co-hosts, admins.
func canManage(m *Meeting, a Actor) bool {
	return a.IsAdmin || m.IsHost(a.User.UserID)
}

// visible loads meeting id of a's workspace if a may see it. A meeting a
// may not see is reported as not found, so its existence stays private.
func (s *access) visible(ctx context.Context, a *Actor, id string) (*Meeting, error) {
	m, err := findMeeting(ctx, s.store, a.User.Workspace, id)
	if err != nil {
		return nil, err
	}
	if !s.permits(ctx, a, func(a Actor) bool { return canSee(m, a) }) {
		return nil, notFound(m.ID)
	}
	return m, nil
}

// manageable loads a meeting that a may change: organizer, co-hosts and
// admins. action completes "Only the organizer … can <action> meeting 12".
func (s *access) manageable(ctx context.Context, a Actor, id, action string) (*Meeting, error) {
	m, err := s.visible(ctx, &a, id)
	if err != nil {
		return nil, err
	}
	if !s.permits(ctx, &a, func(a Actor) bool { return canManage(m, a) }) {
		return nil, Errorf(EFORBIDDEN, "Only the organizer (@%s), co-hosts or a workspace admin can %s meeting %s.", orName(m), action, m.ID)
	}
	if m.State == StateCancelled {
		return nil, Errorf(EENDED, "Meeting %s was cancelled.", m.ID)
	}
	return m, nil
}

// mayUseLink is the one rule that both Join (before it issues a link or
// makes a participant) and OpenLink (when the link is opened) apply to a
// private meeting: only its invitees, hosts and organizer get in. Workspace
// admins are not let in silently: they may see, change and cancel a private
// meeting, and may invite themselves, which the others then see on the
// invite list. That is what people who were promised "invitees only"
// expect, and an admin keeps every power to moderate; it also needs no
// admin lookup when a link is opened in a browser, where the platform's
// admin flag is not known.
func mayUseLink(m *Meeting, user string) bool {
	return !m.Private || m.IsInvited(user)
}

// authorizeJoin decides whether a may join m at all, whatever the time.
// Private meetings are for invitees; open ones for the channel's members.
func (s *access) authorizeJoin(ctx context.Context, m *Meeting, a *Actor) error {
	if m.Workspace != a.User.Workspace {
		return notFound(m.ID)
	}
	uid := a.User.UserID
	if m.IsRemoved(uid) {
		return Errorf(EFORBIDDEN, "You were removed from meeting %s, so I can't give you a link. Ask the organizer if this is a mistake.", m.ID)
	}
	if !mayUseLink(m, uid) {
		if s.permits(ctx, a, func(a Actor) bool { return a.IsAdmin }) {
			return Errorf(EFORBIDDEN, "Meeting %s is for invitees only, admins included. Invite yourself first with \"/meet invite %s @you\", so the others see you are coming.", m.ID, m.ID)
		}
		return Errorf(EFORBIDDEN, "Meeting %s is for invitees only. Ask the organizer to invite you with \"/meet invite %s @you\".", m.ID, m.ID)
	}
	if m.IsInvited(uid) || a.IsAdmin {
		return nil
	}
	if a.Channel == m.Channel {
		return nil
	}
	if s.members != nil {
		ok, err := s.members.IsChannelMember(ctx, m.Workspace, m.Channel, uid)
		if err != nil {
			return userFacingUpstream(fmt.Errorf("check channel membership: %w", err))
		}
		if ok {
			return nil
		}
	}
	if s.permits(ctx, a, func(a Actor) bool { return a.IsAdmin }) {
		return nil
	}
	return Errorf(EFORBIDDEN, "Meeting %s belongs to another channel; join it from there, or ask the organizer to invite you.", m.ID)
}

// orName is how refusals name a meeting's organizer: their display name,
// else their id.
func orName(m *Meeting) string {
	if m.OrganizerName != "" {
		return m.OrganizerName
	}
	return m.Organizer
}

// findMeeting loads a meeting of the actor's workspace, returning a plain
// not-found error that never reveals other workspaces.
func findMeeting(ctx context.Context, store MeetingStore, ws WorkspaceKey, id string) (*Meeting, error) {
	id = normalizeID(id)
	if id == "" {
		return nil, Errorf(EINVALID, "Which meeting? Give its id, for example \"/meet info 12\". \"/meet list\" shows the ids.")
	}
	m, err := store.FindMeetingByID(ctx, ws, id)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, notFound(id)
		}
		return nil, fmt.Errorf("find meeting %s: %w", id, err)
	}
	if m.State == StatePending && m.Abandoned || m.State == StateFailed {
		return nil, notFound(id)
	}
	return m, nil
}

// normalizeID accepts the ways people type an id: "#12", " 12 ", "012".
func normalizeID(id string) string {
	id = strings.TrimPrefix(strings.TrimSpace(id), "#")
	if strings.Trim(id, "0123456789") == "" && len(id) > 1 {
		if t := strings.TrimLeft(id, "0"); t != "" {
			id = t
		}
	}
	return id
}

func notFound(id string) error {
	return Errorf(ENOTFOUND, "There is no meeting %q here. Use \"/meet list\" to see this channel's meetings.", id)
}
