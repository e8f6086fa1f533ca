package core

import (
	"context"
	"math"
	"net/url"
)

// secretCalendar names the key of public meeting codes. It differs from the
// join-link key, so a calendar code can never pass as a join link.
const secretCalendar = "calendar-key"

// publicUser marks claims that name no person: a public meeting code.
const publicUser = "*"

// calendar hands out the public codes of a meeting's calendar file and
// info page, and reads them back. They are signed with their own key, so a
// calendar code can never pass as a join link.
type calendar struct {
	signer    *LinkSigner
	store     MeetingStore
	publicURL string // where adapters/web serves the pages
	clock     Clock
}

// CalendarCode returns an opaque, unguessable code naming m for its public
// pages (the .ics file and the info page). It carries no token and grants
// no joining: it only lets a calendar app read the schedule.
func (s *calendar) CalendarCode(m *Meeting) string {
	if code, ok := s.signer.publicCode(m.Workspace, m.ID); ok {
		return code
	}
	return s.signer.Sign(LinkClaims{
		Platform:  m.Workspace.Platform,
		Workspace: m.Workspace.ID,
		Meeting:   m.ID,
		User:      publicUser,
		Expires:   math.MaxInt64,
	})
}

// CalendarURL is where m's .ics file is served.
func (s *calendar) CalendarURL(m *Meeting) string {
	return s.publicURL + "/meetings/" + url.PathEscape(s.CalendarCode(m)) + ".ics"
}

// InfoURL is m's public info page (title, times, how to join from chat).
func (s *calendar) InfoURL(m *Meeting) string {
	return s.publicURL + "/meetings/" + url.PathEscape(s.CalendarCode(m))
}

// PublicMeeting returns the meeting a calendar code names. Cancelled
// meetings are returned too (a calendar should learn of the cancel);
// failed intents are not found.
func (s *calendar) PublicMeeting(ctx context.Context, code string) (*Meeting, error) {
	if ws, id, ok := s.signer.readPublicCode(code); ok {
		return findMeeting(ctx, s.store, ws, id)
	}
	// Longer signed codes were handed out before short ones existed.
	c, err := s.signer.Verify(code, s.clock.Now())
	if err != nil || c.User != publicUser {
		return nil, Errorf(ENOTFOUND, "This calendar link is not valid. Ask the bot for a new one with /meet ics.")
	}
	return findMeeting(ctx, s.store, c.WorkspaceKey(), c.Meeting)
}
