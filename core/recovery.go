package core

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// recovery finishes or cleans up what a crash or an outage left behind. It
// runs on every start, so no room is ever left untracked or open past its
// window however a process died.
type recovery struct {
	store      MeetingStore
	conf       Conference
	workspaces *workspaces
	rooms      *rooms
	planner    *planner
	clock      Clock
	log        zerolog.Logger
}

// Recover finishes or cleans up what a crash or an outage left behind:
// pending meetings get their room job planned (abandoned intents are kept
// only if a room turned up, and then stay inactive), and rooms left open
// past their window (or after a cancel the video service missed) are
// closed. It is safe to run at any time and on every start.
func (s *recovery) Recover(ctx context.Context) error {
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
	if _, err := s.rooms.CloseEndedRooms(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// recoverOne settles one pending intent. One waiting for its room in the
// background is planned if it has no room job (a crash between storing a
// meeting and planning it, on a backend that cannot do both at once), and
// the job does the upstream work within the API budget; a restart during
// an outage so costs no upstream call. An
// abandoned intent (a "/meet now" whose user was told it failed) is
// settled by what the video service holds: a room found by its tag is
// adopted, inactive; none found deletes the intent.
func (s *recovery) recoverOne(ctx context.Context, m *Meeting) error {
	if !m.Abandoned {
		return s.planIfUnplanned(ctx, m)
	}
	log := s.log.With().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Logger()
	cctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
	defer cancel()
	room, ok, err := s.conf.FindRoomByTag(cctx, m.RoomTag)
	if err != nil {
		return err
	}
	if !ok {
		log.Info().Msg("abandoned intent had no room upstream; deleted")
		return s.store.DeleteMeeting(ctx, m.Workspace, m.ID)
	}
	if _, err := s.adopt(ctx, cctx, m, room, RoomInactive, StateFailed, s.clock.Now()); err != nil {
		return err
	}
	log.Info().Msg("abandoned intent's room found; kept tracked and inactive")
	return nil
}

// planIfUnplanned plans a pending meeting that has no room job yet (a
// crash between the two phases of a schedule). One that has it is planned
// already and is left alone: its jobs, overdue reminders included, run
// late from the store as they are.
func (s *recovery) planIfUnplanned(ctx context.Context, m *Meeting) error {
	jobs, err := s.planner.store.FindJobs(ctx, m.Workspace, m.ID)
	if err != nil {
		return fmt.Errorf("jobs of a pending meeting: %w", err)
	}
	for _, j := range jobs {
		if j.ID == roomJobID(m) {
			return nil
		}
	}
	s.log.Info().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Msg("pending meeting had no room job; planned")
	return s.planner.Plan(ctx, m)
}

// adopt records room, found upstream by m's tag, as m's room: it is set to
// status there first (cctx bounds that call), then m is stored in state.
func (s *recovery) adopt(ctx, cctx context.Context, m *Meeting, room Room, status RoomStatus, state MeetingState, now time.Time) (*Meeting, error) {
	if room.Status != status {
		if err := s.conf.SetRoomStatus(cctx, room.ID, status); err != nil {
			return nil, err
		}
	}
	return s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
		x.RoomID, x.RoomStatus, x.State, x.UpdatedAt = room.ID, status, state, now
		return nil
	})
}
