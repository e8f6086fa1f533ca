package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// meetings finds and lists a workspace's meetings as a person may see
// them, and changes whether and when a meeting happens: cancel here, skip
// and move (series.go). Each change closes or opens the room as the new
// times say, re-plans the jobs and tells the people.
type meetings struct {
	store      MeetingStore
	access     *access
	workspaces *workspaces
	rooms      *rooms
	planner    *planner
	notices    *notices
	clock      Clock
	log        zerolog.Logger
}

// List returns the channel's meetings that are not over yet, as a sees them
// (private meetings only for their invitees). The meetings may be the
// store's shared copies (see MeetingViewer): read-only, so a list costs no
// copy per meeting; Clone one before changing it.
func (s *meetings) List(ctx context.Context, a Actor) ([]*Meeting, error) {
	now := s.clock.Now()
	// Scheduled and pending meetings only: the scheduler marks a meeting
	// ended when its last window closes, so this does not grow with history
	// (one whose close never ran is filtered by its window below).
	f := MeetingFilter{
		Workspace: a.User.Workspace,
		Channel:   a.Channel,
		States:    []MeetingState{StateScheduled, StatePending},
	}
	var ms []*Meeting
	var err error
	if v, ok := s.store.(MeetingViewer); ok {
		ms, err = v.ViewMeetings(ctx, f)
	} else {
		ms, err = s.store.FindMeetings(ctx, f)
	}
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	type item struct {
		m     *Meeting
		start time.Time
	}
	items := make([]item, 0, len(ms))
	p := s.workspaces.policy(ctx, a.User.Workspace) // one workspace: read its settings once
	for _, m := range ms {
		if m.Abandoned || !s.access.permits(ctx, &a, func(a Actor) bool { return canSee(m, a) }) {
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
func (s *meetings) Info(ctx context.Context, a Actor, id string) (*Meeting, error) {
	return s.access.visible(ctx, &a, id)
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
func (s *meetings) Cancel(ctx context.Context, a Actor, id string) (*CancelResult, error) {
	m, err := s.access.visible(ctx, &a, id)
	if err != nil {
		return nil, err
	}
	if !s.access.permits(ctx, &a, func(a Actor) bool { return m.Organizer == a.User.UserID || a.IsAdmin }) {
		return nil, Errorf(EFORBIDDEN, "Only the organizer (@%s) or a workspace admin can cancel meeting %s.", orName(m), m.ID)
	}
	now := s.clock.Now()
	if m.State == StateCancelled {
		return nil, Errorf(EENDED, "Meeting %s is already cancelled.", m.ID)
	}
	if w, _ := s.workspaces.windowFor(ctx, m, now); w.PhaseAt(now) == PhaseAfter {
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
		synced, err := s.rooms.SyncRoom(ctx, m)
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
	s.planner.planLogged(ctx, res.Meeting)
	s.notices.announce(ctx, Announcement{Kind: "cancelled", Meeting: res.Meeting, Occurrence: m.CurrentOccurrence(now, 0, 0), By: a.User.UserID, DMs: yesRSVPs(res.Meeting)})
	s.notices.refreshCard(ctx, res.Meeting, CardCancelled)
	s.log.Info().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Str("user", a.User.String()).Msg("meeting cancelled")
	return res, nil
}

// ErrNoCurrentMeeting is returned by CurrentMeeting when the channel has
// nothing running or coming up.
var ErrNoCurrentMeeting = errors.New("no current meeting")

// CurrentMeeting picks the meeting "/meet join" means without an id: the
// channel's meeting whose window is open (the latest to start), else the next
// one to come.
func (s *meetings) CurrentMeeting(ctx context.Context, a Actor) (*Meeting, error) {
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
		w, _ := s.workspaces.windowFor(ctx, m, now)
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
	// List's meetings may be the store's shared copies: the caller owns
	// the one returned.
	if open != nil {
		return open.Clone(), nil
	}
	if next != nil {
		return next.Clone(), nil
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

// OpenWindows returns the ids of ws's meetings whose join window is open
// now (by number), and when the last of those windows closes; none open
// gives no ids and a zero time. Local mode uses it to keep serving join
// links after its input ends for as long as a link it printed can work.
func (s *meetings) OpenWindows(ctx context.Context, ws WorkspaceKey) (ids []string, closes time.Time, err error) {
	now := s.clock.Now()
	ms, err := s.store.FindMeetings(ctx, MeetingFilter{
		Workspace: ws,
		States:    []MeetingState{StateScheduled, StatePending},
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("find open meetings: %w", err)
	}
	p := s.workspaces.policy(ctx, ws)
	for _, m := range ms {
		if m.Abandoned {
			continue
		}
		w := WindowOf(m.CurrentOccurrence(now, p.early, p.grace), p.early, p.grace)
		if w.PhaseAt(now) != PhaseOpen {
			continue
		}
		ids = append(ids, m.ID)
		closes = maxTime(closes, w.Closes)
	}
	// By number (9 before 10), then as text.
	slices.SortFunc(ids, func(a, b string) int {
		x, errX := strconv.Atoi(a)
		y, errY := strconv.Atoi(b)
		if errX == nil && errY == nil && x != y {
			return x - y
		}
		return strings.Compare(a, b)
	})
	return ids, closes, nil
}
