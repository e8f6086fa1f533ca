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
	// Early is set when the link was issued before the window opens (at
	// most EarlyLinkHorizon before): it opens a page that waits and joins
	// by itself at Window.Opens, and it stays valid until Window.Closes.
	// Adapters still say when the meeting opens.
	Early bool
	// Start is the start of the occurrence the link is for.
	Start time.Time
}

// EarlyLinkHorizon is how long before its join window opens a Join gets
// the personal link at once (a waiting page) instead of only "opens at
// 14:55". A day covers the reminders and the card's button without handing
// out links for meetings weeks away.
const EarlyLinkHorizon = 24 * time.Hour

// nextLinkHorizon bounds the wait link an "it ended" page offers for a
// series' next occurrence: a week and a day covers weekly series.
const nextLinkHorizon = 8 * 24 * time.Hour

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
// Up to EarlyLinkHorizon before the window it returns an early link
// (JoinLink.Early) and provisions the participant while the room stays
// INACTIVE: the page it opens waits, and at the opening it only needs the
// stored token.
// Earlier than that it returns ETOOEARLY (with OpensAt); after, EENDED.
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
		if ErrorCode(err) != ETOOEARLY || w.Opens.Sub(now) > EarlyLinkHorizon {
			return nil, err
		}
		if a.Name != "" {
			s.people.rememberName(ctx, a)
		}
		if m.State == StateScheduled && m.RoomID != "" {
			// Provision now, so the opening costs this person no call: a
			// large meeting's waiting pages all ask at the same second.
			// Best effort: the room stays INACTIVE (the token is useless
			// until the window opens), and if this fails OpenLink makes the
			// participant at the opening, so the link is issued anyway.
			_, _ = s.participants.ensureParticipant(ctx, m, a.User, a.Name)
		}
		return s.link(m, occ, a.User.UserID, w.Closes, w, true), nil
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
	return s.link(m, occ, a.User.UserID, now.Add(s.linkTTL), w, false), nil
}

// link signs a personal link to occurrence occ of m for user, valid until exp.
func (s *joins) link(m *Meeting, occ Occurrence, user string, exp time.Time, w Window, early bool) *JoinLink {
	code := s.links.Sign(LinkClaims{
		Platform:   m.Workspace.Platform,
		Workspace:  m.Workspace.ID,
		Meeting:    m.ID,
		Occurrence: occ.Start.Unix(),
		User:       user,
		Expires:    exp.Unix(),
	})
	return &JoinLink{URL: s.publicURL + "/j/" + url.PathEscape(code), Expires: exp, Meeting: m, Window: w, Early: early, Start: occ.Start}
}

// JoinPage is what opening a personal link shows. Inside the window Token is
// set and the page starts the meeting with it (in the page body, never in a
// URL); before it, Phase is PhaseBefore and the page counts down to
// Window.Opens.
//
// OpenLink also returns a JoinPage with its refusals of an authentic link
// (ended, cancelled, moved away, removed), with Phase PhaseAfter, so the
// page can name the meeting and offer what comes next; the error says why.
type JoinPage struct {
	Meeting *Meeting
	User    UserKey
	Name    string
	Phase   Phase
	Window  Window
	// Occurrence is the occurrence the link is for (after any move).
	Occurrence Occurrence
	Token      string
	Preset     string
	// Expires is when the link itself stops working (moved with its
	// occurrence when the meeting was rescheduled).
	Expires time.Time
	// MovedFrom is the start the link was made for, when the occurrence
	// has moved since; zero otherwise.
	MovedFrom time.Time
	// Next is, on a refusal for a series, a wait link of the same person
	// for the next occurrence (when it opens within about a week); nil
	// otherwise.
	Next *JoinLink
	// Media is the workspace's camera and screen-share quality, for the
	// page to pass to the RealtimeKit client.
	Media MediaSettings
}

// OpenLink verifies a personal link's code and re-checks everything at this
// moment: the signature, the link's expiry, the user's standing and the
// window. After the window, or when cancelled, it returns EENDED; a tampered,
// expired or foreign link gets a 4xx-class error.
//
// A link names one occurrence. When that occurrence was moved (a one-off
// meeting rescheduled, or one time of a series moved) the link follows it,
// and its expiry moves by as much, so a link for a meeting moved later
// keeps waiting instead of failing.
func (s *joins) OpenLink(ctx context.Context, code string) (*JoinPage, error) {
	start := time.Now()
	// The window (policy) and the media settings both read the workspace:
	// once is enough for one open.
	page, err := s.openLink(WithRequestMemo(ctx), code)
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
	user := UserKey{Workspace: m.Workspace, UserID: c.User}
	pol := s.workspaces.policy(ctx, m.Workspace)
	linked := time.Unix(c.Occurrence, 0)
	occ, found := linkedOccurrence(m, linked)
	shift := occ.Start.Sub(linked)
	w := WindowOf(occ, pol.early, pol.grace)
	page := &JoinPage{Meeting: m, User: user, Window: w, Occurrence: occ, Expires: time.Unix(c.Expires, 0).Add(shift), Phase: PhaseAfter}
	if found && shift != 0 {
		page.MovedFrom = linked
	}
	if !m.IsRemoved(c.User) && !mayUseLink(m, c.User) {
		// Not even the title: this link's person is not (or no longer)
		// invited to a private meeting.
		return nil, Errorf(EFORBIDDEN, "This meeting is for invitees only, and this link is not yours to use.")
	}
	refuse := func(err error) (*JoinPage, error) {
		if !m.IsRemoved(c.User) && m.State != StateCancelled {
			page.Next = s.nextLink(m, occ, c.User, now, pol)
		}
		return page, err
	}
	switch {
	case m.State == StateCancelled:
		_, _, werr := s.checkWindow(ctx, m, now, func() string { return m.TimeZone })
		return refuse(werr)
	case !found:
		return refuse(Errorf(EENDED, "Meeting %s no longer takes place at %s: that time was skipped or the series changed.", m.ID, FullTime(linked, m.TimeZone)))
	case w.PhaseAt(now) == PhaseAfter:
		e := Errorf(EENDED, "Meeting %s ended at %s.", m.ID, ClockTime(occ.End, m.TimeZone, now))
		e.EndedAt = occ.End
		return refuse(e)
	}
	if !now.Before(page.Expires) {
		if verr == nil {
			verr = Errorf(EINVALID, "This join link has expired. Ask the bot for a new one with /meet join %s.", m.ID)
		}
		return refuse(verr)
	}
	if m.IsRemoved(c.User) {
		return page, Errorf(EFORBIDDEN, "You were removed from this meeting, so this link no longer works.")
	}
	page.Media = s.workspaces.media(ctx, m.Workspace)
	if w.PhaseAt(now) == PhaseBefore {
		page.Phase = PhaseBefore
		return page, nil
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

// linkedOccurrence finds the occurrence a link made for start names now:
// the one starting there, else (a series) the rule's occurrence at start
// moved elsewhere, else (a one-off) the meeting wherever it is now. found
// is false when that time of a series was skipped or no longer exists.
func linkedOccurrence(m *Meeting, start time.Time) (Occurrence, bool) {
	if !m.IsRecurring() {
		o, ok := m.occurrence(m.Start)
		if !ok {
			return Occurrence{Start: start, End: start.Add(m.Duration), Original: start}, false
		}
		return o, true
	}
	if got := m.OccurrencesBetween(start, start.Add(time.Second), 1); len(got) == 1 && got[0].Start.Equal(start) {
		return got[0], true
	}
	if e, ok := m.exception(start); ok && !e.Skipped && !e.Start.IsZero() {
		return m.occurrence(start)
	}
	return Occurrence{Start: start, End: start.Add(m.Duration), Original: start}, false
}

// nextLink is the wait link for the occurrence after occ, for a page that
// says occ is over; nil when there is none within nextLinkHorizon.
func (s *joins) nextLink(m *Meeting, occ Occurrence, user string, now time.Time, pol policy) *JoinLink {
	if !m.IsRecurring() {
		return nil
	}
	from := occ.Start.Add(time.Second)
	if from.Before(now) {
		from = now
	}
	next := m.OccurrencesBetween(from, now.Add(nextLinkHorizon), 1)
	if len(next) == 0 {
		return nil
	}
	w := WindowOf(next[0], pol.early, pol.grace)
	if !w.Closes.After(now) {
		return nil
	}
	return s.link(m, next[0], user, w.Closes, w, w.Opens.After(now))
}
