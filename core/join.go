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

// joins hands people their personal join links and opens them: it
// authorizes, checks the window at that moment, makes sure the room is open
// and the person has a participant, and signs or verifies the link.
type joins struct {
	store        MeetingStore
	access       *access
	workspaces   *workspaces
	people       *people
	rooms        *rooms
	participants *participants
	links        *LinkSigner
	linkTTL      time.Duration // how long a personal link stays valid
	publicURL    string        // where adapters/web serves the links
	clock        Clock
	obs          Observer // told the outcome of each OpenLink
}

// checkWindow returns nil inside the join window and a typed error that
// carries the opening time, the end, or who cancelled, outside it.
//
// zone is called only when a message needs a local time, so the warm join
// path does not look the person's zone up again.
func (s *joins) checkWindow(ctx context.Context, m *Meeting, now time.Time, zone func() string) (Window, Occurrence, error) {
	w, occ := s.workspaces.windowFor(ctx, m, now)
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
func (s *joins) Join(ctx context.Context, a Actor, id string) (*JoinLink, error) {
	m, err := s.access.visible(ctx, &a, id)
	if err != nil {
		return nil, err
	}
	if err := s.access.authorizeJoin(ctx, m, &a); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	w, occ, err := s.checkWindow(ctx, m, now, func() string { return s.people.Location(ctx, a).String() })
	if err != nil {
		return nil, err
	}
	if m.State == StatePending {
		// A crash or outage left the room uncreated; finish it now.
		if m, err = s.rooms.ensureRoom(ctx, m); err != nil {
			return nil, err
		}
	}
	// Inside the window of a scheduled meeting the room must be ACTIVE. A
	// room recorded ACTIVE costs no call, so a lost one may show only when
	// the participant is added: that too replaces it (onRoom).
	m, err = s.rooms.onRoom(ctx, m, func(m *Meeting) (*Meeting, error) {
		m, err := s.rooms.openRoom(ctx, m)
		if err != nil {
			return nil, err
		}
		_, err = s.participants.ensureParticipant(ctx, m, a.User, a.Name)
		return m, err
	})
	if err != nil {
		return nil, err
	}
	if a.Name != "" {
		s.people.rememberName(ctx, a)
	}
	exp := now.Add(s.linkTTL)
	code := s.links.Sign(LinkClaims{
		Platform:   m.Workspace.Platform,
		Workspace:  m.Workspace.ID,
		Meeting:    m.ID,
		Occurrence: occ.Start.Unix(),
		User:       a.User.UserID,
		Expires:    exp.Unix(),
	})
	return &JoinLink{URL: s.publicURL + "/j/" + url.PathEscape(code), Expires: exp, Meeting: m, Window: w}, nil
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
func (s *joins) OpenLink(ctx context.Context, code string) (*JoinPage, error) {
	start := time.Now()
	page, err := s.openLink(ctx, code)
	s.obs.JoinOpened(joinOutcomeOf(page, err), time.Since(start))
	return page, err
}

// openLink is OpenLink without the observation.
func (s *joins) openLink(ctx context.Context, code string) (*JoinPage, error) {
	now := s.clock.Now()
	c, verr := s.links.Verify(code, now)
	if verr != nil && !errors.Is(verr, ErrLinkExpired) {
		return nil, verr
	}
	m, err := findMeeting(ctx, s.store, c.WorkspaceKey(), c.Meeting)
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
		if m, err = s.rooms.ensureRoom(ctx, m); err != nil {
			return nil, err
		}
	}
	if m, err = s.rooms.openRoom(ctx, m); err != nil {
		return nil, err
	}
	page.Meeting = m
	p, err := s.participants.ensureParticipant(ctx, m, user, "")
	if err != nil {
		return nil, err
	}
	page.Token, page.Preset, page.Name = p.Token, p.Preset, p.Name
	return page, nil
}
