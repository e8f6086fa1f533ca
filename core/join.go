package core

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
)

// JoinLink is a personal link for one person and one occurrence. Adapters
// must show it to that person only (ephemeral reply, DM), never in a
// channel post.
type JoinLink struct {
	URL     string
	Expires time.Time
	Meeting *Meeting
	Window  Window
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
func (s *Service) authorizeJoin(ctx context.Context, m *Meeting, a *Actor) error {
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

// checkWindow returns nil inside the join window and a typed error that
// carries the opening time, the end, or who cancelled, outside it.
//
// zone is called only when a message needs a local time, so the warm join
// path does not look the person's zone up again.
func (s *Service) checkWindow(ctx context.Context, m *Meeting, now time.Time, zone func() string) (Window, Occurrence, error) {
	w, occ := s.windowFor(ctx, m, now)
	if m.State == StateCancelled {
		e := Errorf(EENDED, "Meeting %s was cancelled.", m.ID)
		e.CancelledBy = m.CancelledBy
		if m.CancelledBy != "" {
			e.Message = fmt.Sprintf("Meeting %s was cancelled by @%s.", m.ID, m.CancelledBy)
		}
		return w, occ, e
	}
	switch w.PhaseAt(now) {
	case PhaseBefore:
		e := Errorf(ETOOEARLY, "Meeting %s opens at %s, in %s.", m.ID, ClockTime(w.Opens, zone(), now), HumanDuration(w.Opens.Sub(now)))
		e.OpensAt = w.Opens
		return w, occ, e
	case PhaseAfter:
		e := Errorf(EENDED, "Meeting %s ended at %s.", m.ID, ClockTime(occ.End, zone(), now))
		e.EndedAt = occ.End
		return w, occ, e
	}
	return w, occ, nil
}

// Join authorizes a for meeting id, checks the window, makes sure the room is
// open and a has a RealtimeKit participant, and returns a personal link.
// Outside the window it returns ETOOEARLY (with OpensAt) or EENDED.
func (s *Service) Join(ctx context.Context, a Actor, id string) (*JoinLink, error) {
	m, err := s.findMeeting(ctx, a.User.Workspace, id)
	if err != nil {
		return nil, err
	}
	if !s.permits(ctx, &a, func(a Actor) bool { return canSee(m, a) }) {
		return nil, notFound(m.ID)
	}
	if err := s.authorizeJoin(ctx, m, &a); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	w, occ, err := s.checkWindow(ctx, m, now, func() string { return s.Location(ctx, a).String() })
	if err != nil {
		return nil, err
	}
	if m.State == StatePending {
		// A crash or outage left the room uncreated; finish it now.
		if m, err = s.ensureRoom(ctx, m); err != nil {
			return nil, err
		}
	}
	// Inside the window of a scheduled meeting the room must be ACTIVE. A
	// room recorded ACTIVE costs no call, so a lost one may show only when
	// the participant is added: that too replaces it (onRoom).
	m, err = s.onRoom(ctx, m, func(m *Meeting) (*Meeting, error) {
		m, err := s.openRoom(ctx, m)
		if err != nil {
			return nil, err
		}
		_, err = s.ensureParticipant(ctx, m, a.User, a.Name)
		return m, err
	})
	if err != nil {
		return nil, err
	}
	if a.Name != "" {
		s.rememberName(ctx, a)
	}
	exp := now.Add(s.cfg.LinkTTL)
	code := s.links.Sign(LinkClaims{
		Platform:   m.Workspace.Platform,
		Workspace:  m.Workspace.ID,
		Meeting:    m.ID,
		Occurrence: occ.Start.Unix(),
		User:       a.User.UserID,
		Expires:    exp.Unix(),
	})
	return &JoinLink{URL: s.cfg.PublicURL + "/j/" + url.PathEscape(code), Expires: exp, Meeting: m, Window: w}, nil
}

// rememberName stores the display name so a link opened later (or a
// participant re-created) still sends a name upstream.
func (s *Service) rememberName(ctx context.Context, a Actor) {
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

// ensureParticipant returns the user's participant for m, creating it once.
// Concurrent calls for the same (meeting, user), from two clicks or two
// devices, share one upstream call; later calls reuse the stored record and
// make none, until the token nears its 100-day end.
func (s *Service) ensureParticipant(ctx context.Context, m *Meeting, user UserKey, name string) (*Participant, error) {
	key := user.String() + "\x00" + m.ID
	v, err, _ := s.flight.Do(key, func() (any, error) {
		return s.ensureParticipantOnce(context.WithoutCancel(ctx), m, user, name)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Participant), nil
}

func (s *Service) ensureParticipantOnce(ctx context.Context, m *Meeting, user UserKey, name string) (*Participant, error) {
	now := s.clock.Now()
	preset := s.cfg.ParticipantPreset
	if m.IsHost(user.UserID) {
		preset = s.cfg.HostPreset
	}
	p, err := s.store.FindParticipant(ctx, m.Workspace, m.ID, user.UserID)
	if err == nil {
		s.openToken(p)
	}
	switch {
	case err == nil && p.Preset == preset && now.Sub(p.IssuedAt) < s.cfg.TokenMaxAge && p.Token != "":
		return p, nil
	case err != nil && ErrorCode(err) != ENOTFOUND:
		return nil, fmt.Errorf("find participant: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
	defer cancel()
	if err == nil && p.Preset == preset {
		tok, rerr := s.conf.RefreshToken(cctx, m.RoomID, p.RemoteID)
		if rerr == nil {
			p.Token, p.IssuedAt, p.UpdatedAt = tok, now, now
			if err := s.putParticipant(ctx, p); err != nil {
				return nil, fmt.Errorf("store refreshed participant: %w", err)
			}
			return p, nil
		}
		if ErrorCode(rerr) != ENOTFOUND {
			return nil, userFacingUpstream(rerr)
		}
		// Gone upstream: fall through and add it again.
	}
	if name == "" {
		if u, err := s.store.FindUser(ctx, user); err == nil && u.DisplayName != "" {
			name = u.DisplayName
		} else {
			name = user.UserID
		}
	}
	rp, err := s.conf.AddParticipant(cctx, m.RoomID, AddParticipantRequest{
		CustomID: s.customParticipantID(user),
		Name:     name,
		Preset:   preset,
	})
	if err != nil {
		return nil, userFacingUpstream(err)
	}
	np := &Participant{
		Meeting:   m.ID,
		User:      user,
		RemoteID:  rp.ID,
		CustomID:  s.customParticipantID(user),
		Preset:    preset,
		Name:      name,
		Token:     rp.Token,
		IssuedAt:  now,
		UpdatedAt: now,
	}
	if err := s.putParticipant(ctx, np); err != nil {
		s.dropUntracked(ctx, m, rp.ID)
		return nil, fmt.Errorf("store participant: %w", err)
	}
	return np, nil
}

// dropUntracked deletes a participant just created upstream whose record
// could not be stored, so a failing store leaves no participant (and no
// live token) that nothing tracks or could revoke. Should the delete fail
// too, the participant keeps meetbot's custom id, so the next join finds
// and reuses it instead of adding another.
func (s *Service) dropUntracked(ctx context.Context, m *Meeting, remoteID string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), roomCallTimeout)
	defer cancel()
	if err := s.conf.RemoveParticipant(cctx, m.RoomID, remoteID); err != nil {
		s.log.Warn().Err(err).Str("meeting", m.ID).Str("room", m.RoomID).Str("participant", remoteID).
			Msg("could not delete an upstream participant whose record was not stored; the next join reuses it")
	}
}

// JoinPage is what opening a personal link shows. Inside the window Token is
// set and the page starts the meeting with it (in the page body, never in a
// URL); before it, Phase is PhaseBefore and the page counts down to
// Window.Opens.
type JoinPage struct {
	Meeting *Meeting
	User    UserKey
	Name    string
	Phase   Phase
	Window  Window
	Token   string
	Preset  string
	// Expires is when the link itself stops working.
	Expires time.Time
}

// OpenLink verifies a personal link's code and re-checks everything at this
// moment: the signature, the link's expiry, the user's standing and the
// window. After the window, or when cancelled, it returns EENDED; a tampered,
// expired or foreign link gets a 4xx-class error.
func (s *Service) OpenLink(ctx context.Context, code string) (*JoinPage, error) {
	now := s.clock.Now()
	c, verr := s.links.Verify(code, now)
	if verr != nil && !errors.Is(verr, ErrLinkExpired) {
		return nil, verr
	}
	m, err := s.findMeeting(ctx, c.WorkspaceKey(), c.Meeting)
	if err != nil {
		if verr != nil {
			return nil, verr
		}
		return nil, err
	}
	if verr != nil {
		// Expired: if the meeting is over or cancelled say that, since a
		// fresh link would not help; otherwise ask for a fresh link.
		if _, _, werr := s.checkWindow(ctx, m, now, func() string { return m.TimeZone }); werr != nil && ErrorCode(werr) == EENDED {
			return nil, werr
		}
		return nil, verr
	}
	user := UserKey{Workspace: m.Workspace, UserID: c.User}
	if m.IsRemoved(c.User) {
		return nil, Errorf(EFORBIDDEN, "You were removed from this meeting, so this link no longer works.")
	}
	if !mayUseLink(m, c.User) {
		return nil, Errorf(EFORBIDDEN, "This meeting is for invitees only, and this link is not yours to use.")
	}
	w, occ, werr := s.checkWindow(ctx, m, now, func() string { return m.TimeZone })
	if occ.Start.Unix() != c.Occurrence {
		return nil, Errorf(EENDED, "This link was for an earlier time of meeting %s. Ask the bot for a new one with /meet join %s.", m.ID, m.ID)
	}
	page := &JoinPage{Meeting: m, User: user, Window: w, Expires: time.Unix(c.Expires, 0)}
	if werr != nil {
		if ErrorCode(werr) == ETOOEARLY {
			page.Phase = PhaseBefore
			return page, nil
		}
		return nil, werr
	}
	page.Phase = PhaseOpen
	if m.State == StatePending {
		if m, err = s.ensureRoom(ctx, m); err != nil {
			return nil, err
		}
	}
	if m, err = s.openRoom(ctx, m); err != nil {
		return nil, err
	}
	page.Meeting = m
	p, err := s.ensureParticipant(ctx, m, user, "")
	if err != nil {
		return nil, err
	}
	page.Token, page.Preset, page.Name = p.Token, p.Preset, p.Name
	return page, nil
}
