package core

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core/recur"
)

// ScheduleRequest is a new meeting as any adapter collects it (a parsed
// command line, a Slack modal, Discord options).
type ScheduleRequest struct {
	Title    string
	Start    time.Time
	TimeZone string        // IANA zone the start was written in; "" → the actor's
	Duration time.Duration // 0 → the default
	Invitees []string
	Private  bool
	// Recurrence is an RRULE body ("FREQ=WEEKLY;BYDAY=MO") evaluated in
	// TimeZone from Start's wall clock; empty for a one-off meeting.
	Recurrence string
	// Now asks for a meeting starting at once; Start is ignored.
	Now bool
}

// roomCallTimeout bounds one round of upstream work for a person waiting in
// chat, so a slow video service turns into a plain answer, not a hang.
const roomCallTimeout = 8 * time.Second

// Schedule stores a meeting and creates its RealtimeKit room, in two phases:
// the intent is recorded first, then the room is created upstream, then its
// id recorded. A crash or an ambiguous failure between the phases is resolved
// by finding the room by its tag, so no room is ever left untracked and one
// schedule never yields two rooms.
func (s *Service) Schedule(ctx context.Context, a Actor, req ScheduleRequest) (*Meeting, error) {
	// Who may schedule is a workspace setting (see settings.go): checked
	// before anything is stored, for "/meet now" too (Now requests).
	if err := s.mayCreate(ctx, a); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	m, err := s.newMeeting(ctx, a, req, now)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateMeeting(ctx, m); err != nil {
		return nil, fmt.Errorf("record meeting intent: %w", err)
	}
	log := s.log.With().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Logger()
	m, err = s.createRoomOnce(ctx, m, false, true)
	if err != nil {
		log.Warn().Err(err).Msg("room creation failed")
		return nil, err
	}
	s.planLogged(ctx, m)
	log.Info().Str("channel", m.Channel).Time("start", m.Start).Msg("meeting scheduled")
	return m, nil
}

// newMeeting validates req and builds the pending record.
func (s *Service) newMeeting(ctx context.Context, a Actor, req ScheduleRequest, now time.Time) (*Meeting, error) {
	title := strings.TrimSpace(req.Title)
	if title == "" {
		return nil, Errorf(EINVALID, "The meeting needs a title, for example \"/meet schedule Weekly sync tomorrow 3pm\".")
	}
	if err := CheckTitle(title, s.cfg.MaxTitle); err != nil {
		return nil, err
	}
	d := req.Duration
	if d == 0 {
		d = s.cfg.DefaultDuration
	}
	if d < time.Minute {
		return nil, Errorf(EINVALID, "A meeting must last at least a minute, for example \"for 30m\".")
	}
	if d > s.cfg.MaxDuration {
		return nil, Errorf(EINVALID, "A meeting can last at most %s; \"for 1h30m\" is a valid example.", HumanDuration(s.cfg.MaxDuration))
	}
	zone := req.TimeZone
	if zone == "" {
		zone = s.Location(ctx, a).String()
	}
	if _, err := LoadZone(zone); err != nil {
		return nil, Errorf(EINVALID, "%q is not a time zone I know. Use an IANA name such as \"Europe/Berlin\".", zone)
	}
	start := req.Start
	if req.Now {
		start = now.Truncate(time.Second)
	}
	if start.IsZero() {
		return nil, Errorf(EINVALID, "When should it start? For example \"/meet schedule Weekly sync tomorrow 3pm\".")
	}
	if !req.Now && start.Before(now.Add(-time.Minute)) {
		return nil, Errorf(EINVALID, "That start time has already passed. Pick a time in the future, for example \"tomorrow 3pm\".")
	}
	if start.After(now.AddDate(2, 0, 1)) {
		return nil, Errorf(EINVALID, "That is more than two years ahead. Pick a nearer date, for example \"next monday 10:30\".")
	}
	if req.Recurrence != "" {
		if err := recur.Validate(req.Recurrence, start.In(loadZone(zone))); err != nil {
			return nil, Wrap(EINVALID, err, err.Error())
		}
	}
	invitees := make([]string, 0, len(req.Invitees))
	for _, u := range req.Invitees {
		if err := checkText("invitee", u, 64); err != nil || u == "" {
			return nil, Errorf(EINVALID, "%q is not a user I can invite. Mention people, for example \"with @ana @bo\".", u)
		}
		if u != a.User.UserID && !slices.Contains(invitees, u) {
			invitees = append(invitees, u)
		}
	}
	if len(invitees) > 500 {
		return nil, Errorf(EINVALID, "That is %d invitees; the limit is 500. Invite a channel instead and leave the meeting open to it.", len(invitees))
	}
	return &Meeting{
		Workspace:     a.User.Workspace,
		Channel:       a.Channel,
		Title:         title,
		Organizer:     a.User.UserID,
		OrganizerName: a.Name,
		Start:         start,
		TimeZone:      zone,
		Duration:      d,
		Recurrence:    req.Recurrence,
		Private:       req.Private,
		Invitees:      invitees,
		State:         StatePending,
		RoomTag:       newRoomTag(),
		CreatedAt:     now,
		UpdatedAt:     now,
	}, nil
}

// ensureRoom finishes a pending meeting's room from any path other than
// the first attempt in Schedule (a join, a job, recovery).
func (s *Service) ensureRoom(ctx context.Context, m *Meeting) (*Meeting, error) {
	return s.createRoomOnce(ctx, m, true, false)
}

// createRoomOnce makes sure one meeting's room is created at most once
// however many requests race for it: concurrent callers share one attempt,
// and a caller that finds the room already recorded uses it. lookFirst
// (every attempt but Schedule's first, or a new tag's) looks the room up by
// its tag before creating, since an earlier attempt or a process that died
// may have created it upstream. mayDelete lets a clean rejection delete the
// intent: only for the first attempt, whose user is told to try again.
func (s *Service) createRoomOnce(ctx context.Context, m *Meeting, lookFirst, mayDelete bool) (*Meeting, error) {
	v, err, _ := s.flight.Do("room\x00"+m.Workspace.String()+"\x00"+m.ID, func() (any, error) {
		cur, err := s.store.FindMeetingByID(ctx, m.Workspace, m.ID)
		if err != nil {
			return nil, err
		}
		if cur.RoomID != "" && cur.State != StatePending {
			return cur, nil
		}
		if lookFirst {
			fctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
			room, ok, ferr := s.conf.FindRoomByTag(fctx, cur.RoomTag)
			cancel()
			if ferr != nil {
				return nil, userFacingUpstream(ferr)
			}
			if ok {
				return s.store.UpdateMeeting(context.WithoutCancel(ctx), cur.Workspace, cur.ID, func(x *Meeting) error {
					x.RoomID, x.RoomStatus = room.ID, room.Status
					if x.State == StatePending {
						x.State = StateScheduled
					}
					x.Abandoned = false
					x.UpdatedAt = s.clock.Now()
					return nil
				})
			}
		}
		return s.createRoom(ctx, cur, mayDelete)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Meeting), nil
}

// roomLost replaces a room the video service no longer knows (it answered
// 404: deleted upstream, or the local sandbox restarted empty): the old
// participants are forgotten, and a new room is created under a new tag.
func (s *Service) roomLost(ctx context.Context, m *Meeting) (*Meeting, error) {
	s.log.Warn().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Msg("room unknown upstream; creating a new one")
	ps, err := s.store.ListParticipants(ctx, m.Workspace, m.ID)
	if err != nil {
		return nil, fmt.Errorf("list participants of a lost room: %w", err)
	}
	for _, p := range ps {
		if err := s.store.DeleteParticipant(ctx, m.Workspace, m.ID, p.User.UserID); err != nil {
			return nil, fmt.Errorf("forget participant of a lost room: %w", err)
		}
	}
	lost := m.RoomID
	m, err = s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
		if x.RoomID != lost {
			return nil // someone replaced it already
		}
		x.RoomID, x.RoomStatus, x.RoomTag, x.State = "", "", newRoomTag(), StatePending
		x.UpdatedAt = s.clock.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.createRoomOnce(ctx, m, false, false)
}

// onRoom runs op on m's room. When the video service answers that a room
// meetbot recorded does not exist (404: deleted upstream, or a local
// sandbox that restarted empty), the room is replaced at once (roomLost)
// and op runs once more on the new room. Joins and every job kind that
// calls upstream go through it, so a lost room costs one replacement, not
// a string of failing retries.
func (s *Service) onRoom(ctx context.Context, m *Meeting, op func(*Meeting) (*Meeting, error)) (*Meeting, error) {
	out, err := op(m)
	if ErrorCode(err) != ENOTFOUND || m.RoomID == "" {
		return out, err
	}
	if m, err = s.roomLost(ctx, m); err != nil {
		return nil, err
	}
	return op(m)
}

// openRoom makes m's room ACTIVE for a join, replacing it if it was lost.
func (s *Service) openRoom(ctx context.Context, m *Meeting) (*Meeting, error) {
	opened, err := s.onRoom(ctx, m, func(m *Meeting) (*Meeting, error) {
		return s.syncRoomTo(ctx, m, RoomActive)
	})
	if err != nil {
		return nil, userFacingUpstream(err)
	}
	return opened, nil
}

// createRoom runs phases two and three for a pending meeting. On failure
// the store is left as the user would expect: no meeting (the intent is
// deleted) when we know no room exists, else an abandoned intent that
// recovery resolves.
func (s *Service) createRoom(ctx context.Context, m *Meeting, first bool) (*Meeting, error) {
	want := s.desiredRoomStatus(ctx, m)
	cctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
	defer cancel()
	room, err := s.conf.CreateRoom(cctx, CreateRoomRequest{Title: m.Title, Tag: m.RoomTag, Status: want})
	if err != nil {
		// The create may have happened upstream even though we saw an error
		// (timeout, 5xx after the write). Look before deciding.
		fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), roomCallTimeout/2)
		defer fcancel()
		found, ok, ferr := s.conf.FindRoomByTag(fctx, m.RoomTag)
		switch {
		case ferr == nil && ok:
			room = found
			if room.Status != want {
				if serr := s.conf.SetRoomStatus(fctx, room.ID, want); serr == nil {
					room.Status = want
				}
			}
		case ferr == nil && !first:
			// Nothing upstream, for a meeting people already know about:
			// keep it pending; a later join, job or restart tries again.
			return nil, userFacingUpstream(err)
		case ferr == nil:
			// Nothing upstream: forget the intent so a retry starts clean.
			if derr := s.store.DeleteMeeting(context.WithoutCancel(ctx), m.Workspace, m.ID); derr != nil {
				return nil, errors.Join(err, fmt.Errorf("delete failed intent: %w", derr))
			}
			return nil, userFacingUpstream(err)
		default:
			if _, uerr := s.store.UpdateMeeting(context.WithoutCancel(ctx), m.Workspace, m.ID, func(x *Meeting) error {
				x.Abandoned = true
				return nil
			}); uerr != nil {
				return nil, errors.Join(err, fmt.Errorf("mark intent abandoned: %w", uerr))
			}
			return nil, userFacingUpstream(err)
		}
	}
	return s.store.UpdateMeeting(context.WithoutCancel(ctx), m.Workspace, m.ID, func(x *Meeting) error {
		x.RoomID = room.ID
		x.RoomStatus = room.Status
		if x.State == StatePending {
			x.State = StateScheduled
		}
		x.Abandoned = false
		x.UpdatedAt = s.clock.Now()
		return nil
	})
}

// userFacingUpstream makes sure an upstream failure reaches the user as a
// plain "busy" sentence even when the adapter returned something untyped.
func userFacingUpstream(err error) error {
	if e, ok := AsError(err); ok && e.Code != EINTERNAL {
		return err
	}
	return Wrap(EUNAVAILABLE, err, "The video service is not answering right now; please try again in a minute.")
}

// desiredRoomStatus is ACTIVE exactly while the join window is open and the
// meeting is scheduled.
func (s *Service) desiredRoomStatus(ctx context.Context, m *Meeting) RoomStatus {
	if m.State == StateCancelled || m.State == StateFailed || m.State == StateEnded {
		return RoomInactive
	}
	w, _ := s.windowFor(ctx, m, s.clock.Now())
	if w.PhaseAt(s.clock.Now()) == PhaseOpen {
		return RoomActive
	}
	return RoomInactive
}

// Recover finishes or cleans up what a crash or an outage left behind:
// pending intents get their room found or created (abandoned ones are kept
// only if a room turned up, and then stay inactive), and rooms left open
// past their window (or after a cancel the video service missed) are closed. It is safe to run
// at any time and on every start.
func (s *Service) Recover(ctx context.Context) error {
	ctx = WithPriority(ctx, PriorityBackground)
	pending, err := s.store.FindPendingMeetings(ctx)
	if err != nil {
		return fmt.Errorf("list pending intents: %w", err)
	}
	var errs []error
	for _, m := range pending {
		if err := s.recoverOne(ctx, m); err != nil {
			errs = append(errs, fmt.Errorf("recover meeting %s/%s: %w", m.Workspace, m.ID, err))
		}
	}
	if _, err := s.CloseEndedRooms(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Service) recoverOne(ctx context.Context, m *Meeting) error {
	log := s.log.With().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Logger()
	cctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
	defer cancel()
	room, ok, err := s.conf.FindRoomByTag(cctx, m.RoomTag)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	w, _ := s.windowFor(ctx, m, now)
	over := w.PhaseAt(now) == PhaseAfter
	switch {
	case m.Abandoned && !ok:
		log.Info().Msg("abandoned intent had no room upstream; deleted")
		return s.store.DeleteMeeting(ctx, m.Workspace, m.ID)
	case m.Abandoned:
		if room.Status != RoomInactive {
			if err := s.conf.SetRoomStatus(cctx, room.ID, RoomInactive); err != nil {
				return err
			}
		}
		_, err := s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
			x.RoomID, x.RoomStatus, x.State, x.UpdatedAt = room.ID, RoomInactive, StateFailed, now
			return nil
		})
		log.Info().Msg("abandoned intent's room found; kept tracked and inactive")
		return err
	case !ok && over:
		log.Info().Msg("unfinished intent for a meeting already over; deleted")
		return s.store.DeleteMeeting(ctx, m.Workspace, m.ID)
	case ok:
		want := s.desiredRoomStatus(ctx, m)
		if room.Status != want {
			if err := s.conf.SetRoomStatus(cctx, room.ID, want); err != nil {
				return err
			}
		}
		done, err := s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
			x.RoomID, x.RoomStatus, x.State, x.UpdatedAt = room.ID, want, StateScheduled, now
			return nil
		})
		if err != nil {
			return err
		}
		log.Info().Msg("unfinished intent completed with the room found upstream")
		return s.Plan(ctx, done)
	default:
		done, err := s.createRoomOnce(ctx, m, true, false)
		if err != nil {
			return err
		}
		log.Info().Msg("unfinished intent completed with a new room")
		return s.Plan(ctx, done)
	}
}

// SyncRoom sets the upstream room's status to what the window and state say
// it should be (ACTIVE only inside an open window of a scheduled meeting),
// kicking everyone out when closing. It is idempotent; the scheduler calls it
// on time, and Join and Cancel call it at once.
func (s *Service) SyncRoom(ctx context.Context, m *Meeting) (*Meeting, error) {
	if m.RoomID == "" {
		return m, nil
	}
	return s.syncRoomTo(ctx, m, s.desiredRoomStatus(ctx, m))
}

// syncRoomTo sets the room to want unless we know it is there already.
// Callers that have just checked the window pass the status it implies, so
// the warm join path reads no settings twice and calls nothing upstream.
func (s *Service) syncRoomTo(ctx context.Context, m *Meeting, want RoomStatus) (*Meeting, error) {
	if m.RoomID == "" || m.RoomStatus == want {
		return m, nil
	}
	cctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
	defer cancel()
	// A room the video service no longer knows (404) is as closed as can
	// be: closing it succeeds. Opening it fails with ENOTFOUND, and the
	// join path then creates a new room (see roomLost).
	gone := func(err error) bool { return want == RoomInactive && ErrorCode(err) == ENOTFOUND }
	if want == RoomInactive {
		if err := s.conf.KickAll(cctx, m.RoomID); err != nil && !gone(err) {
			return m, err
		}
	}
	if err := s.conf.SetRoomStatus(cctx, m.RoomID, want); err != nil && !gone(err) {
		return m, err
	}
	updated, err := s.store.UpdateMeeting(context.WithoutCancel(ctx), m.Workspace, m.ID, func(x *Meeting) error {
		x.RoomStatus = want
		x.UpdatedAt = s.clock.Now()
		return nil
	})
	if err != nil {
		return m, err
	}
	if want == RoomActive && s.desiredRoomStatus(ctx, updated) == RoomInactive {
		// A cancel (or the end) landed while we were opening the room: the
		// cancel's own close may have run before our ACTIVE, so close again.
		return s.syncRoomTo(ctx, updated, RoomInactive)
	}
	return updated, nil
}

// CloseEndedRooms closes every open room whose window has ended or whose
// meeting was cancelled: kick everyone, then INACTIVE. It reads only the
// store's index of active rooms, so its cost is the number of open rooms.
// Until the scheduler closes rooms on time, cmd/bot runs it periodically
// and at start; it returns how many rooms it closed.
func (s *Service) CloseEndedRooms(ctx context.Context) (int, error) {
	ctx = WithPriority(ctx, PriorityBackground)
	open, err := s.store.FindActiveRooms(ctx)
	if err != nil {
		return 0, fmt.Errorf("list active rooms: %w", err)
	}
	closed := 0
	var errs []error
	for _, m := range open {
		if s.desiredRoomStatus(ctx, m) != RoomInactive {
			continue
		}
		if _, err := s.SyncRoom(ctx, m); err != nil {
			errs = append(errs, fmt.Errorf("close room of meeting %s/%s: %w", m.Workspace, m.ID, err))
			continue
		}
		closed++
		s.log.Info().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Msg("room closed: window over")
	}
	return closed, errors.Join(errs...)
}
