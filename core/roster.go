package core

import (
	"context"
	"slices"
	"strings"

	"github.com/rs/zerolog"
)

// roster keeps who is in a meeting: invitees, co-hosts, removed people and
// RSVPs, and who among them is reached in person. Removing someone deletes
// their participant upstream, so every token they hold stops working.
type roster struct {
	store        MeetingStore
	access       *access
	people       *people
	participants *participants
	planner      *planner
	notices      *notices
	clock        Clock
	log          zerolog.Logger
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
func (s *roster) Invite(ctx context.Context, a Actor, id string, users []string) (*InviteResult, error) {
	return s.invite(ctx, a, id, users, false)
}

// InviteHosts makes people co-hosts, inviting them if they were not: they get
// the host preset in the call (from their next link on) and may manage the
// meeting. Only the organizer and admins may, because a co-host can do
// everything the organizer can but cancel.
func (s *roster) InviteHosts(ctx context.Context, a Actor, id string, users []string) (*InviteResult, error) {
	return s.invite(ctx, a, id, users, true)
}

// invite is Invite and, with hosts, InviteHosts: it adds the people who
// lack what the invite gives, in one store update, and says who had it.
func (s *roster) invite(ctx context.Context, a Actor, id string, users []string, hosts bool) (*InviteResult, error) {
	if err := checkUsers(users, "invite", id); err != nil {
		return nil, err
	}
	m, err := s.access.manageable(ctx, a, id, "invite people to")
	if err != nil {
		return nil, err
	}
	if hosts && !s.access.permits(ctx, &a, func(a Actor) bool { return m.Organizer == a.User.UserID || a.IsAdmin }) {
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
	s.notices.refreshCard(ctx, m, CardInvited)
	s.planner.planIfProvisioning(ctx, m)
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
func (s *roster) Remove(ctx context.Context, a Actor, id string, users []string) (*RemoveResult, error) {
	if err := checkUsers(users, "remove", id); err != nil {
		return nil, err
	}
	m, err := s.access.manageable(ctx, a, id, "remove people from")
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
		if err := s.participants.revoke(ctx, m, u); err != nil {
			s.log.Warn().Err(err).Str("meeting", m.ID).Str("user", u).Msg("participant not revoked upstream")
			res.Pending = append(res.Pending, u)
			continue
		}
		res.Revoked = append(res.Revoked, u)
	}
	if len(res.Pending) > 0 {
		// Plan a revoke job: retried with backoff until the video service
		// deletes them, so the reply's promise holds.
		s.planner.planLogged(ctx, m)
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

// RSVP records a's answer. Anyone who may join may answer.
func (s *roster) RSVP(ctx context.Context, a Actor, id string, answer RSVP) (*Meeting, error) {
	switch answer {
	case RSVPYes, RSVPNo, RSVPMaybe:
	default:
		return nil, Errorf(EINVALID, "Answer yes, no or maybe, for example \"/meet rsvp %s yes\".", normalizeID(id))
	}
	m, err := s.access.visible(ctx, &a, id)
	if err != nil {
		return nil, err
	}
	if err := s.access.authorizeJoin(ctx, m, &a); err != nil {
		return nil, err
	}
	if m.State == StateCancelled {
		return nil, Errorf(EENDED, "Meeting %s was cancelled.", m.ID)
	}
	if a.Name != "" {
		s.people.rememberName(ctx, a)
	}
	m, err = s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
		if x.RSVPs == nil {
			x.RSVPs = map[string]RSVP{}
		}
		x.RSVPs[a.User.UserID] = answer
		x.UpdatedAt = s.clock.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.notices.refreshCard(ctx, m, CardRSVP)
	if answer == RSVPYes {
		s.planner.planIfProvisioning(ctx, m)
	}
	return m, nil
}
