package core

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"
)

// rooms keeps each meeting's RealtimeKit room in step with meetbot's
// record: created once however many requests race for it, ACTIVE exactly
// while the join window is open, replaced when the video service has lost
// it. The server-side gate is the room's status, so this is where the
// window is enforced upstream.
type rooms struct {
	store      roomStore
	conf       Conference
	workspaces *workspaces
	clock      Clock
	log        zerolog.Logger
	flight     singleflight.Group // one creation per meeting at a time
}

// roomStore is what rooms read and write: meetings, and the participants
// a lost room forgets.
type roomStore interface {
	MeetingStore
	ParticipantStore
}

// RoomNotReady reports whether m is waiting for a video room that the
// video service has not made yet: an attempt to create it has started and
// none has succeeded. Cards say "video room not ready yet" exactly then;
// the room job redraws them when it first fails and when it succeeds after
// failing (CardRoom), so the line shows only while it is true. A meeting
// whose first attempt is still under way shows nothing, which spares every
// new card a redraw.
func (m *Meeting) RoomNotReady() bool {
	return m.State == StatePending && !m.Abandoned && m.RoomAttempts > 0
}

// roomCallTimeout bounds one round of upstream work for a person waiting in
// chat, so a slow video service turns into a plain answer, not a hang.
const roomCallTimeout = 8 * time.Second

// ensureRoom finishes a pending meeting's room from any path other than
// "/meet now": the room job, a join, the window's opening, provisioning.
func (s *rooms) ensureRoom(ctx context.Context, m *Meeting) (*Meeting, error) {
	return s.createRoomOnce(ctx, m, false)
}

// createRoomOnce makes sure one meeting's room is created at most once
// however many requests race for it: concurrent callers share one attempt,
// and a caller that finds the room already recorded uses it. Each attempt
// is counted in the store (RoomAttempts) before anything is sent, so an
// attempt that follows one whose outcome is unknown (an error, a timeout,
// a process that died) looks the room up by its tag first and adopts what
// it finds. The first attempt of a fresh tag sends no lookup, which keeps a
// burst of schedules at two calls per room. mayDelete lets a clean
// rejection delete the intent: only for "/meet now", whose user is told to
// try again.
func (s *rooms) createRoomOnce(ctx context.Context, m *Meeting, mayDelete bool) (*Meeting, error) {
	v, err, _ := s.flight.Do("room\x00"+m.Workspace.String()+"\x00"+m.ID, func() (any, error) {
		cur, err := s.store.FindMeetingByID(ctx, m.Workspace, m.ID)
		if err != nil {
			return nil, err
		}
		if cur.RoomID != "" && cur.State != StatePending {
			return cur, nil
		}
		if cur.RoomAttempts > 0 {
			fctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
			room, ok, ferr := s.conf.FindRoomByTag(fctx, cur.RoomTag)
			cancel()
			if ferr != nil {
				return nil, userFacingUpstream(ferr)
			}
			if ok {
				return s.adoptRoom(ctx, cur, room)
			}
		}
		tag, attempts := cur.RoomTag, cur.RoomAttempts
		now := s.clock.Now()
		cur, err = s.store.UpdateMeeting(ctx, cur.Workspace, cur.ID, func(x *Meeting) error {
			if x.RoomTag != tag || x.RoomID != "" && x.State != StatePending {
				return Errorf(ECONFLICT, "The meeting's video room changed meanwhile; please try again.")
			}
			if x.RoomAttempts != attempts {
				// Another process started an attempt since we looked.
				return s.attemptUnderWay(x, now)
			}
			if wait := x.RoomAttemptAt.Add(roomCallTimeout).Sub(now); x.RoomAttempts > 0 && wait > 0 {
				return s.attemptUnderWay(x, now)
			}
			x.RoomAttempts++
			x.RoomAttemptAt = now
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("count room attempt: %w", err)
		}
		done, err := s.createRoom(ctx, cur, mayDelete)
		if err != nil {
			// The attempt is over; its outcome is for the next one to look
			// up, so no other process need wait for it.
			_, _ = s.store.UpdateMeeting(context.WithoutCancel(ctx), cur.Workspace, cur.ID, func(x *Meeting) error {
				if x.RoomAttemptAt.Equal(now) {
					x.RoomAttemptAt = time.Time{}
				}
				return nil
			})
		}
		return done, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*Meeting), nil
}

// attemptUnderWay is the answer while another process's attempt to create
// x's room may still be running (it started less than roomCallTimeout
// ago): creating a second room beside it could leave one untracked, so the
// caller hears when to try again, and by then the other attempt has
// recorded its room or its outcome is looked up by the tag.
func (s *rooms) attemptUnderWay(x *Meeting, now time.Time) error {
	wait := max(x.RoomAttemptAt.Add(roomCallTimeout).Sub(now), time.Second).Round(time.Second)
	e := Errorf(EUNAVAILABLE, "The video room is being made right now; please try again in %d s.", int(wait/time.Second))
	e.RetryAfter = wait
	return e
}

// adoptRoom records a room found by m's tag, set first to the status m's
// window asks for. If that call fails the room is recorded as it is: the
// plan closes a room left ACTIVE outside its window.
func (s *rooms) adoptRoom(ctx context.Context, m *Meeting, room Room) (*Meeting, error) {
	if want := s.desiredRoomStatus(ctx, m); room.Status != want {
		sctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
		err := s.conf.SetRoomStatus(sctx, room.ID, want)
		cancel()
		if err == nil {
			room.Status = want
		}
	}
	return s.recordRoom(ctx, m, room)
}

// recordRoom stores room as m's: phase three of a create, or the adoption
// of a room found by m's tag. A pending meeting becomes scheduled; a
// cancelled one keeps its state and gets its room recorded, so it is
// tracked (and closed) rather than orphaned.
func (s *rooms) recordRoom(ctx context.Context, m *Meeting, room Room) (*Meeting, error) {
	return s.store.UpdateMeeting(context.WithoutCancel(ctx), m.Workspace, m.ID, func(x *Meeting) error {
		x.RoomID, x.RoomStatus = room.ID, room.Status
		if x.State == StatePending {
			x.State = StateScheduled
		}
		x.Abandoned = false
		x.UpdatedAt = s.clock.Now()
		return nil
	})
}

// roomLost replaces a room the video service no longer knows (it answered
// 404: deleted upstream, or the local sandbox restarted empty): the old
// participants are forgotten, and a new room is created under a new tag.
func (s *rooms) roomLost(ctx context.Context, m *Meeting) (*Meeting, error) {
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
		x.RoomAttempts, x.RoomAttemptAt = 0, time.Time{} // a new tag: nothing can exist under it yet
		x.UpdatedAt = s.clock.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.createRoomOnce(ctx, m, false)
}

// onRoom runs op on m's room. When the video service answers that a room
// meetbot recorded does not exist (404: deleted upstream, or a local
// sandbox that restarted empty), the room is replaced at once (roomLost)
// and op runs once more on the new room. Joins and every job kind that
// calls upstream go through it, so a lost room costs one replacement, not
// a string of failing retries.
func (s *rooms) onRoom(ctx context.Context, m *Meeting, op func(*Meeting) (*Meeting, error)) (*Meeting, error) {
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
func (s *rooms) openRoom(ctx context.Context, m *Meeting) (*Meeting, error) {
	opened, err := s.onRoom(ctx, m, func(m *Meeting) (*Meeting, error) {
		return s.syncRoomTo(ctx, m, RoomActive)
	})
	if err != nil {
		return nil, userFacingUpstream(err)
	}
	return opened, nil
}

// createRoom runs phases two and three for a pending meeting whose
// attempt is already counted. When it fails, a room may still have been
// made upstream (a timeout, a 5xx after the write); the next attempt looks
// for it (RoomAttempts > 0), so the meeting simply stays pending. Only
// "/meet now" (first) resolves the outcome at once, since its user is told
// it failed: nothing upstream deletes the intent, a room found is adopted,
// and an unanswered lookup leaves an abandoned intent for recovery.
func (s *rooms) createRoom(ctx context.Context, m *Meeting, first bool) (*Meeting, error) {
	want := s.desiredRoomStatus(ctx, m)
	cctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
	defer cancel()
	room, err := s.conf.CreateRoom(cctx, CreateRoomRequest{Title: m.Title, Tag: m.RoomTag, Status: want})
	if err == nil {
		return s.recordRoom(ctx, m, room)
	}
	if room.ID != "" {
		// Created, but setting its status failed: record it as it is; the
		// plan closes a room left ACTIVE outside its window.
		s.log.Warn().Err(err).Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Msg("room created but its status not set")
		return s.recordRoom(ctx, m, room)
	}
	if !first {
		return nil, userFacingUpstream(err)
	}
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), roomCallTimeout/2)
	defer fcancel()
	found, ok, ferr := s.conf.FindRoomByTag(fctx, m.RoomTag)
	switch {
	case ferr == nil && ok:
		return s.adoptRoom(context.WithoutCancel(ctx), m, found)
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
func (s *rooms) desiredRoomStatus(ctx context.Context, m *Meeting) RoomStatus {
	if m.State == StateCancelled || m.State == StateFailed || m.State == StateEnded {
		return RoomInactive
	}
	w, _ := s.workspaces.windowFor(ctx, m, s.clock.Now())
	if w.PhaseAt(s.clock.Now()) == PhaseOpen {
		return RoomActive
	}
	return RoomInactive
}

// SyncRoom sets the upstream room's status to what the window and state say
// it should be (ACTIVE only inside an open window of a scheduled meeting),
// kicking everyone out when closing. It is idempotent; the scheduler calls it
// on time, and Join and Cancel call it at once.
func (s *rooms) SyncRoom(ctx context.Context, m *Meeting) (*Meeting, error) {
	if m.RoomID == "" {
		return m, nil
	}
	return s.syncRoomTo(ctx, m, s.desiredRoomStatus(ctx, m))
}

// syncRoomTo sets the room to want unless we know it is there already.
// Callers that have just checked the window pass the status it implies, so
// the warm join path reads no settings twice and calls nothing upstream.
func (s *rooms) syncRoomTo(ctx context.Context, m *Meeting, want RoomStatus) (*Meeting, error) {
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
func (s *rooms) CloseEndedRooms(ctx context.Context) (int, error) {
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

// newRoomTag returns a random marker for an upstream title, by which a room
// is found again when the answer to its creation was lost.
func newRoomTag() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "mb" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}
