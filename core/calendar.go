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

// CalendarCode returns an opaque, unguessable code naming m for its public
// pages (the .ics file and the info page). It carries no token and grants
// no joining: it only lets a calendar app read the schedule.
func (s *Service) CalendarCode(m *Meeting) string {
	if code, ok := s.calendar.publicCode(m.Workspace, m.ID); ok {
		return code
	}
	return s.calendar.Sign(LinkClaims{
		Platform:  m.Workspace.Platform,
		Workspace: m.Workspace.ID,
		Meeting:   m.ID,
		User:      publicUser,
		Expires:   math.MaxInt64,
	})
}

// CalendarURL is where m's .ics file is served.
func (s *Service) CalendarURL(m *Meeting) string {
	return s.cfg.PublicURL + "/meetings/" + url.PathEscape(s.CalendarCode(m)) + ".ics"
}

// InfoURL is m's public info page (title, times, how to join from chat).
func (s *Service) InfoURL(m *Meeting) string {
	return s.cfg.PublicURL + "/meetings/" + url.PathEscape(s.CalendarCode(m))
}

// PublicMeeting returns the meeting a calendar code names. Cancelled
// meetings are returned too (a calendar should learn of the cancel);
// failed intents are not found.
func (s *Service) PublicMeeting(ctx context.Context, code string) (*Meeting, error) {
	if ws, id, ok := s.calendar.readPublicCode(code); ok {
		return s.findMeeting(ctx, ws, id)
	}
	// Longer signed codes were handed out before short ones existed.
	c, err := s.calendar.Verify(code, s.clock.Now())
	if err != nil || c.User != publicUser {
		return nil, Errorf(ENOTFOUND, "This calendar link is not valid. Ask the bot for a new one with /meet ics.")
	}
	return s.findMeeting(ctx, c.WorkspaceKey(), c.Meeting)
}
