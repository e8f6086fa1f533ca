package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// List returns the channel's meetings that are not over yet, as a sees them
// (private meetings only for their invitees).
func (s *Service) List(ctx context.Context, a Actor) ([]*Meeting, error) {
	now := s.clock.Now()
	// Scheduled and pending meetings only: the scheduler marks a meeting
	// ended when its last window closes, so this does not grow with history
	// (one whose close never ran is filtered by its window below).
	ms, err := s.store.FindMeetings(ctx, MeetingFilter{
		Workspace: a.User.Workspace,
		Channel:   a.Channel,
		States:    []MeetingState{StateScheduled, StatePending},
	})
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	type item struct {
		m     *Meeting
		start time.Time
	}
	var items []item
	p := s.policy(ctx, a.User.Workspace) // one workspace: read its settings once
	for _, m := range ms {
		if m.Abandoned || !s.permits(ctx, &a, func(a Actor) bool { return canSee(m, a) }) {
			continue
		}
		occ := m.CurrentOccurrence(now, p.early, p.grace)
		if WindowOf(occ, p.early, p.grace).PhaseAt(now) == PhaseAfter {
			continue
		}
		items = append(items, item{m, occ.Start})
	}
	// By the next occurrence, not the series' first start; at the same time
	// by id as people read it (9 before 10), not as text.
	slices.SortFunc(items, func(x, y item) int {
		if c := x.start.Compare(y.start); c != 0 {
			return c
		}
		return CompareIDs(x.m.ID, y.m.ID)
	})
	out := make([]*Meeting, len(items))
	for i, it := range items {
		out[i] = it.m
	}
	return out, nil
}

// Info returns one meeting if a may see it.
func (s *Service) Info(ctx context.Context, a Actor, id string) (*Meeting, error) {
	m, err := s.findMeeting(ctx, a.User.Workspace, id)
	if err != nil {
		return nil, err
	}
	if !s.permits(ctx, &a, func(a Actor) bool { return canSee(m, a) }) {
		return nil, notFound(m.ID)
	}
	return m, nil
}

// CancelResult says what Cancel did; RoomClosed is false when the video
// service could not be reached, in which case joins are refused by us anyway
// and the room is closed by the next SyncRoom.
type CancelResult struct {
	Meeting    *Meeting
	RoomClosed bool
}

// Cancel cancels a meeting at once: stored as cancelled (so no new link is
// issued), then everyone is kicked from a live session and the room set
// INACTIVE, so tokens already handed out stop working too. Only the
// organizer and workspace admins may cancel.
func (s *Service) Cancel(ctx context.Context, a Actor, id string) (*CancelResult, error) {
	m, err := s.findMeeting(ctx, a.User.Workspace, id)
	if err != nil {
		return nil, err
	}
	if !s.permits(ctx, &a, func(a Actor) bool { return canSee(m, a) }) {
		return nil, notFound(m.ID)
	}
	if !s.permits(ctx, &a, func(a Actor) bool { return m.Organizer == a.User.UserID || a.IsAdmin }) {
		return nil, Errorf(EFORBIDDEN, "Only the organizer (@%s) or a workspace admin can cancel meeting %s.", orName(m), m.ID)
	}
	now := s.clock.Now()
	if m.State == StateCancelled {
		return nil, Errorf(EENDED, "Meeting %s is already cancelled.", m.ID)
	}
	if w, _ := s.windowFor(ctx, m, now); w.PhaseAt(now) == PhaseAfter {
		return nil, Errorf(EENDED, "Meeting %s is already over; there is nothing to cancel.", m.ID)
	}
	m, err = s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
		if x.State == StateCancelled {
			return Errorf(EENDED, "Meeting %s is already cancelled.", x.ID)
		}
		x.State = StateCancelled
		// The user id, not the display name: adapters render it as a
		// mention (Slack <@U…>, Discord <@…>), the console as @id.
		x.CancelledBy = a.User.UserID
		x.CancelledAt = now
		x.UpdatedAt = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := &CancelResult{Meeting: m, RoomClosed: true}
	if m.RoomID != "" {
		// Force the close even if we believe the room inactive: a live session
		// may have been started with an old token.
		m.RoomStatus = RoomActive
		synced, err := s.SyncRoom(ctx, m)
		if err != nil {
			res.RoomClosed = false
			s.log.Warn().Err(err).Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Msg("room not closed on cancel; will retry")
			// Record that the room may still be open so a later sync closes it.
			if _, uerr := s.store.UpdateMeeting(context.WithoutCancel(ctx), m.Workspace, m.ID, func(x *Meeting) error {
				x.RoomStatus = RoomActive
				return nil
			}); uerr != nil {
				s.log.Error().Err(uerr).Str("meeting", m.ID).Msg("could not record room status")
			}
		} else {
			res.Meeting = synced
		}
	}
	s.planLogged(ctx, res.Meeting)
	s.announce(ctx, Announcement{Kind: "cancelled", Meeting: res.Meeting, Occurrence: m.CurrentOccurrence(now, 0, 0), By: a.User.UserID, DMs: s.yesRSVPs(res.Meeting)})
	s.refreshCard(ctx, res.Meeting, CardCancelled)
	s.log.Info().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Str("user", a.User.String()).Msg("meeting cancelled")
	return res, nil
}

func orName(m *Meeting) string {
	if m.OrganizerName != "" {
		return m.OrganizerName
	}
	return m.Organizer
}

// InviteResult says what an invite changed, person by person, so the reply
// can say exactly that and nothing more.
type InviteResult struct {
	Meeting *Meeting
	// Added are the people newly invited (made co-hosts, for InviteHosts),
	// including anyone whose earlier removal this lifted.
	Added []string
	// Already were invited (already hosts, for InviteHosts) before; nothing
	// changed for them.
	Already []string
}

// Invite adds invitees (and lifts an earlier removal). Hosts and admins only.
func (s *Service) Invite(ctx context.Context, a Actor, id string, users []string) (*InviteResult, error) {
	return s.invite(ctx, a, id, users, false)
}

// InviteHosts makes people co-hosts, inviting them if they were not: they get
// the host preset in the call (from their next link on) and may manage the
// meeting. Only the organizer and admins may, because a co-host can do
// everything the organizer can but cancel.
func (s *Service) InviteHosts(ctx context.Context, a Actor, id string, users []string) (*InviteResult, error) {
	return s.invite(ctx, a, id, users, true)
}

func (s *Service) invite(ctx context.Context, a Actor, id string, users []string, hosts bool) (*InviteResult, error) {
	if err := checkUsers(users, "invite", id); err != nil {
		return nil, err
	}
	m, err := s.manageable(ctx, a, id, "invite people to")
	if err != nil {
		return nil, err
	}
	if hosts && !s.permits(ctx, &a, func(a Actor) bool { return m.Organizer == a.User.UserID || a.IsAdmin }) {
		return nil, Errorf(EFORBIDDEN, "Only the organizer (@%s) or a workspace admin can make co-hosts of meeting %s; \"/meet invite %s @name\" invites without the host role.", orName(m), m.ID, m.ID)
	}
	res := &InviteResult{Meeting: m}
	// has says whether u already has what the invite gives.
	has := func(x *Meeting, u string) bool {
		if hosts {
			return x.IsHost(u)
		}
		return x.IsInvited(u) && !x.IsRemoved(u)
	}
	if !slices.ContainsFunc(users, func(u string) bool { return !has(m, u) }) {
		res.Already = users // nothing to change: the store stays as it is
		return res, nil
	}
	m, err = s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
		res.Added, res.Already = nil, nil // the store may run this again
		for _, u := range users {
			if has(x, u) {
				res.Already = append(res.Already, u)
				continue
			}
			res.Added = append(res.Added, u)
			x.Removed = slices.DeleteFunc(x.Removed, func(r string) bool { return r == u })
			if !x.IsInvited(u) {
				x.Invitees = append(x.Invitees, u)
			}
			if hosts && !x.IsHost(u) {
				x.CoHosts = append(x.CoHosts, u)
			}
		}
		x.UpdatedAt = s.clock.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Meeting = m
	s.refreshCard(ctx, m, CardInvited)
	s.planIfProvisioning(ctx, m)
	return res, nil
}

// RemoveResult says what Remove did, person by person, and upstream.
type RemoveResult struct {
	Meeting *Meeting
	// Removed were invited (or co-hosts) and are not any more.
	Removed []string
	// Barred were not invited, but as members of a public meeting's channel
	// could have joined; now they can't.
	Barred []string
	// NotInvited were not invited to a private meeting, so could not join
	// anyway; nothing changed for them.
	NotInvited []string
	// AlreadyRemoved had been removed before; nothing changed for them.
	AlreadyRemoved []string
	// Revoked lists the users whose RealtimeKit participant was deleted
	// (every token they held stopped working).
	Revoked []string
	// Pending lists users whose participant could not be deleted now; they
	// get no new link from us, and the deletion is retried on their record.
	Pending []string
}

// Remove takes users out of a meeting: no new link is issued to them, and
// their RealtimeKit participant is kicked and deleted, which revokes every
// token they already hold. Hosts and admins only; the organizer can't be
// removed. People it does not apply to (never invited to a private
// meeting, removed already) are left as they are, and the result says so.
func (s *Service) Remove(ctx context.Context, a Actor, id string, users []string) (*RemoveResult, error) {
	if err := checkUsers(users, "remove", id); err != nil {
		return nil, err
	}
	m, err := s.manageable(ctx, a, id, "remove people from")
	if err != nil {
		return nil, err
	}
	if slices.Contains(users, m.Organizer) {
		return nil, Errorf(EINVALID, "The organizer can't be removed from their own meeting; cancel it instead with \"/meet cancel %s\".", m.ID)
	}
	res := &RemoveResult{Meeting: m}
	sortRemoval(res, m, users)
	if len(res.Removed)+len(res.Barred) == 0 {
		return res, nil // nothing to change: the store stays as it is
	}
	m, err = s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
		sortRemoval(res, x, users) // the store may run this again
		for _, u := range append(slices.Clone(res.Removed), res.Barred...) {
			x.Invitees = slices.DeleteFunc(x.Invitees, func(r string) bool { return r == u })
			x.CoHosts = slices.DeleteFunc(x.CoHosts, func(r string) bool { return r == u })
			x.Removed = append(x.Removed, u)
		}
		x.UpdatedAt = s.clock.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Meeting = m
	for _, u := range append(slices.Clone(res.Removed), res.Barred...) {
		if err := s.revoke(ctx, m, u); err != nil {
			s.log.Warn().Err(err).Str("meeting", m.ID).Str("user", u).Msg("participant not revoked upstream")
			res.Pending = append(res.Pending, u)
			continue
		}
		res.Revoked = append(res.Revoked, u)
	}
	if len(res.Pending) > 0 {
		// Plan a revoke job: retried with backoff until the video service
		// deletes them, so the reply's promise holds.
		s.planLogged(ctx, m)
	}
	return res, nil
}

// sortRemoval puts each user in the RemoveResult list that says what
// removing them from m does.
func sortRemoval(res *RemoveResult, m *Meeting, users []string) {
	res.Removed, res.Barred, res.NotInvited, res.AlreadyRemoved = nil, nil, nil, nil
	for _, u := range users {
		switch {
		case m.IsRemoved(u):
			res.AlreadyRemoved = append(res.AlreadyRemoved, u)
		case m.IsInvited(u):
			res.Removed = append(res.Removed, u)
		case m.Private:
			res.NotInvited = append(res.NotInvited, u)
		default:
			res.Barred = append(res.Barred, u)
		}
	}
}

// revoke deletes a user's participant upstream, then forgets it.
func (s *Service) revoke(ctx context.Context, m *Meeting, user string) error {
	p, err := s.store.FindParticipant(ctx, m.Workspace, m.ID, user)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
	defer cancel()
	if err := s.conf.RemoveParticipant(cctx, m.RoomID, p.RemoteID); err != nil {
		return err
	}
	return s.store.DeleteParticipant(context.WithoutCancel(ctx), m.Workspace, m.ID, user)
}

// manageable loads a meeting that a may change: organizer, co-hosts and
// admins. action completes "Only the organizer … can <action> meeting 12".
func (s *Service) manageable(ctx context.Context, a Actor, id, action string) (*Meeting, error) {
	m, err := s.findMeeting(ctx, a.User.Workspace, id)
	if err != nil {
		return nil, err
	}
	if !s.permits(ctx, &a, func(a Actor) bool { return canSee(m, a) }) {
		return nil, notFound(m.ID)
	}
	if !s.permits(ctx, &a, func(a Actor) bool { return canManage(m, a) }) {
		return nil, Errorf(EFORBIDDEN, "Only the organizer (@%s), co-hosts or a workspace admin can %s meeting %s.", orName(m), action, m.ID)
	}
	if m.State == StateCancelled {
		return nil, Errorf(EENDED, "Meeting %s was cancelled.", m.ID)
	}
	return m, nil
}

// checkUsers validates the people named for invite or remove.
func checkUsers(users []string, verb, id string) error {
	if len(users) == 0 {
		return Errorf(EINVALID, "Whom should I %s? Mention them, for example \"/meet %s %s @ana\".", verb, verb, normalizeID(id))
	}
	for _, u := range users {
		if err := checkText("user", u, 64); err != nil || strings.TrimSpace(u) == "" {
			return Errorf(EINVALID, "%q is not a user. Mention people, for example \"/meet %s %s @ana\".", u, verb, normalizeID(id))
		}
	}
	return nil
}

// SetTimeZone stores the actor's IANA zone so their times are read and shown
// in it.
func (s *Service) SetTimeZone(ctx context.Context, a Actor, zone string) (*time.Location, error) {
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

// ErrNoCurrentMeeting is returned by CurrentMeeting when the channel has
// nothing running or coming up.
var ErrNoCurrentMeeting = errors.New("no current meeting")

// CurrentMeeting picks the meeting "/meet join" means without an id: the
// channel's meeting whose window is open (the latest to start), else the next
// one to come.
func (s *Service) CurrentMeeting(ctx context.Context, a Actor) (*Meeting, error) {
	ms, err := s.List(ctx, a)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var open, next *Meeting
	for _, m := range ms {
		if m.State != StateScheduled && m.State != StatePending {
			continue
		}
		w, _ := s.windowFor(ctx, m, now)
		switch w.PhaseAt(now) {
		case PhaseOpen:
			if open == nil || m.Start.After(open.Start) {
				open = m
			}
		case PhaseBefore:
			if next == nil || m.Start.Before(next.Start) {
				next = m
			}
		}
	}
	if open != nil {
		return open, nil
	}
	if next != nil {
		return next, nil
	}
	return nil, &Error{Code: ENOTFOUND, Message: "There is no meeting running or coming up in this channel. Start one with \"/meet now\" or see \"/meet list\".", Err: ErrNoCurrentMeeting}
}

// CompareIDs orders meeting ids as people read them: a shorter id first,
// then by text, which for the numeric ids meetbot hands out (no leading
// zeros) is their numeric order: 9 before 10, not after it as text.
func CompareIDs(a, b string) int {
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}
