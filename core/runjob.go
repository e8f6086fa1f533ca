package core

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// lateThreshold is how late a reminder must be before it says so ("started
// 3 min ago" rather than "starting now").
const lateThreshold = time.Minute

// runner does the due jobs the planner wrote, one at a time as the
// scheduler (core/scheduler) hands them over: it opens and closes rooms,
// provisions participants, revokes removed people and posts reminders.
type runner struct {
	store        MeetingStore
	workspaces   *workspaces
	rooms        *rooms
	planner      *planner
	participants *participants
	notices      *notices
	clock        Clock
	log          zerolog.Logger
}

// jobRun is one due job being run, with what its steps all read: the
// meeting as loaded, the time, the workspace's timing, and the job's
// occurrence (ok is false when it no longer exists: skipped or moved).
type jobRun struct {
	job DueJob
	m   *Meeting
	now time.Time
	p   policy
	occ Occurrence
	ok  bool
	log zerolog.Logger
}

// stale reports whether the job no longer applies: its meeting is not
// scheduled (or waiting for its room), or its occurrence is gone.
func (r jobRun) stale() bool {
	return r.m.State != StateScheduled && r.m.State != StatePending || !r.ok
}

// window is the join window of the job's occurrence.
func (r jobRun) window() Window { return WindowOf(r.occ, r.p.early, r.p.grace) }

// RunJob does one due job and returns a reference to what it posted (for a
// reminder). It is what the scheduler calls; a returned error makes the
// scheduler retry with backoff. A job whose meeting is gone, cancelled, or
// whose occurrence no longer exists (skipped, moved) is a no-op, since
// re-planning has already written the jobs that matter.
func (s *runner) RunJob(ctx context.Context, job DueJob) (string, error) {
	ctx = WithPriority(ctx, PriorityBackground)
	log := s.log.With().Str("workspace", job.Workspace.String()).Str("meeting", job.Meeting).Str("job", string(job.Kind)).Logger()
	m, err := s.store.FindMeetingByID(ctx, job.Workspace, job.Meeting)
	if ErrorCode(err) == ENOTFOUND {
		log.Info().Msg("job for a deleted meeting: nothing to do")
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("load meeting: %w", err)
	}
	r := jobRun{job: job, m: m, now: s.clock.Now(), p: s.workspaces.policy(ctx, m.Workspace), log: log}
	r.occ, r.ok = occurrenceOf(m, job.Occurrence)
	switch job.Kind {
	case JobClose:
		return "", s.runClose(ctx, r)
	case JobOpen:
		return "", s.runOpen(ctx, r)
	case JobProvision:
		return "", s.runProvision(ctx, r)
	case JobRevoke:
		return "", s.runRevoke(ctx, r)
	case JobRemind:
		return s.runRemind(ctx, r)
	case JobRoom:
		return "", s.runRoom(ctx, r)
	}
	return "", fmt.Errorf("unknown job kind %q", job.Kind)
}

// runClose closes the room, marks a meeting with no occurrence left ended
// and plans the next occurrence of a series. It always runs: a room open
// when the process died closes on time. A room the video service no longer
// knows is closed already (syncRoomTo takes the 404 as done); the next
// occurrence's jobs or joins replace it when it is needed again.
func (s *runner) runClose(ctx context.Context, r jobRun) error {
	synced, err := s.rooms.SyncRoom(ctx, r.m)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		// Plan the next occurrence anyway, so an outage at closing time
		// does not stop a series; the plan holds a close job for the
		// room still open, retried (never given up) until it closes.
		s.planner.planLogged(ctx, r.m)
		return RetryBefore(err, nextOpening(r.m, r.now, r.p))
	}
	m := synced
	next := m.CurrentOccurrence(r.now, r.p.early, r.p.grace)
	if m.State == StateScheduled && WindowOf(next, r.p.early, r.p.grace).PhaseAt(r.now) == PhaseAfter {
		// No occurrence left: mark it ended so listings skip it.
		if m, err = s.markEnded(ctx, m, r.now); err != nil {
			return err
		}
	}
	s.planner.planLogged(ctx, m) // the next occurrence of a series
	s.notices.refreshCard(ctx, m, CardEnded)
	return nil
}

// markEnded stores a scheduled meeting as ended.
func (s *runner) markEnded(ctx context.Context, m *Meeting, now time.Time) (*Meeting, error) {
	return s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
		if x.State == StateScheduled {
			x.State, x.UpdatedAt = StateEnded, now
		}
		return nil
	})
}

// runOpen makes the room ACTIVE as the window opens, creating it first if
// a crash or outage left it uncreated. A failure is retried until the
// window closes (the scheduler never gives it up before), after which
// opening would serve no one and the job ends.
func (s *runner) runOpen(ctx context.Context, r jobRun) error {
	if r.stale() || r.window().PhaseAt(r.now) == PhaseAfter {
		return nil // nothing to open: the close job settles the room
	}
	m := r.m
	if m.State == StatePending {
		var err error
		if m, err = s.rooms.ensureRoom(ctx, m); err != nil {
			return err
		}
	}
	synced, err := s.rooms.onRoom(ctx, m, func(m *Meeting) (*Meeting, error) { return s.rooms.SyncRoom(ctx, m) })
	if err != nil {
		return RetryBefore(err, r.window().Closes)
	}
	s.notices.refreshCard(ctx, synced, CardStarted)
	return nil
}

// runRoom writes a new meeting's plan (planFirst) and creates its room in
// the background (phases two and three of the create; see createRoomOnce). It runs at background
// priority, within the API budget's background share, so joins are served
// first. A failure is retried with backoff by the scheduler, never given
// up; a join or the window's opening creates the room first if the
// service stays down that long. A meeting whose every window has passed
// while it waited gets no room: it is marked ended, after adopting any
// room an earlier attempt may have made, so nothing is left upstream
// untracked.
func (s *runner) runRoom(ctx context.Context, r jobRun) error {
	m := r.m
	// The rest of the plan first, whatever became of the room meanwhile
	// (a join may have made it before this job ran).
	if err := s.planner.planFirst(ctx, m); err != nil {
		return err
	}
	if m.State != StatePending || m.Abandoned || r.job.ID != roomJobID(m) {
		return nil // made already, cancelled, or replaced under a new tag
	}
	occ := m.CurrentOccurrence(r.now, r.p.early, r.p.grace)
	if WindowOf(occ, r.p.early, r.p.grace).PhaseAt(r.now) == PhaseAfter {
		return s.endRoomless(ctx, r)
	}
	done, err := s.rooms.ensureRoom(ctx, m)
	if err != nil {
		// The job's first failure: the card now says "video room not
		// ready yet". Later failures change nothing a reader sees.
		if r.job.Attempts == 0 {
			if cur, ferr := s.store.FindMeetingByID(ctx, m.Workspace, m.ID); ferr == nil && cur.RoomNotReady() {
				s.notices.refreshCard(ctx, cur, CardRoom)
			}
		}
		return err
	}
	r.log.Info().Int("attempts", done.RoomAttempts).Msg("room created")
	if done.RoomAttempts > 1 {
		s.notices.refreshCard(ctx, done, CardRoom) // no longer "not ready"
	}
	if done.RoomStatus == RoomActive && s.rooms.desiredRoomStatus(ctx, done) == RoomInactive {
		// Made or adopted ACTIVE outside its window (setting its status
		// failed): close it now, or leave a close job to retry.
		if _, err := s.rooms.SyncRoom(ctx, done); err != nil {
			s.planner.planLogged(ctx, done)
		}
	}
	return nil
}

// endRoomless marks a pending meeting with no window left ended without
// creating its room, after adopting one an earlier attempt may have made
// (it is recorded INACTIVE, or closed by the plan if it is ACTIVE).
func (s *runner) endRoomless(ctx context.Context, r jobRun) error {
	m := r.m
	if m.RoomAttempts > 0 {
		fctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
		room, ok, err := s.rooms.conf.FindRoomByTag(fctx, m.RoomTag)
		cancel()
		if err != nil {
			return userFacingUpstream(err)
		}
		if ok {
			if m, err = s.rooms.recordRoom(ctx, m, room); err != nil {
				return err
			}
		}
	}
	ended, err := s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
		if x.State == StatePending || x.State == StateScheduled {
			x.State, x.UpdatedAt = StateEnded, r.now
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.log.Warn().Msg("meeting ended before its video room could be made")
	s.planner.planLogged(ctx, ended) // closes an adopted room left ACTIVE
	s.notices.refreshCard(ctx, ended, CardEnded)
	return nil
}

// runProvision creates participants ahead of the window, retried until it
// opens; after that, joins create the missing ones themselves.
func (s *runner) runProvision(ctx context.Context, r jobRun) error {
	if r.stale() {
		return nil
	}
	if err := s.provision(ctx, r.m); err != nil {
		return RetryBefore(err, r.window().Opens)
	}
	return nil
}

// runRevoke retries deleting the participants of removed people whose
// deletion failed when they were removed.
func (s *runner) runRevoke(ctx context.Context, r jobRun) error {
	for _, u := range r.m.Removed {
		if err := s.participants.revoke(ctx, r.m, u); err != nil {
			return fmt.Errorf("revoke participant of a removed user: %w", err)
		}
	}
	return nil
}

// runRemind posts a reminder of the job's occurrence, unless the
// occurrence is over or a later reminder of it is due already.
func (s *runner) runRemind(ctx context.Context, r jobRun) (string, error) {
	if r.stale() {
		return "", nil
	}
	m, occ, now, p := r.m, r.occ, r.now, r.p
	if !now.Before(occ.End) {
		r.log.Info().Time("occurrence", occ.Start).Msg("reminder dropped: the occurrence is already over")
		return "", nil
	}
	if !s.notices.posts() {
		return "", nil
	}
	// After downtime several reminders of one occurrence can be due at
	// once; send only the latest, so people get one "started 3 min ago"
	// and not a burst.
	for _, lead := range p.reminders {
		if lead < r.job.Lead && !occ.Start.Add(-lead).After(now) {
			r.log.Info().Dur("lead", r.job.Lead).Msg("late reminder superseded by a later one")
			return "", nil
		}
	}
	rem := Reminder{Meeting: m, Occurrence: occ, Window: r.window(), Lead: r.job.Lead}
	// Lateness from the planned time, not job.Due: a retry moves Due.
	if late := now.Sub(occ.Start.Add(-r.job.Lead)); late >= lateThreshold {
		rem.Late = late
	}
	// A private meeting has no channel reminder (its title stays out
	// of the channel), so its people are reminded in person always.
	if p.dms || m.Private {
		rem.DMs = personalRecipients(m)
	}
	return s.notices.remind(ctx, rem)
}

// nextOpening is when the join window after now opens (the zero time when
// m has no further occurrence): a failed close must be retried before it,
// or it would run into the next window it does not serve.
func nextOpening(m *Meeting, now time.Time, p policy) time.Time {
	for _, o := range m.NextOccurrences(now, 2) {
		if w := WindowOf(o, p.early, p.grace); w.Opens.After(now) {
			return w.Opens
		}
	}
	return time.Time{}
}

// occurrenceOf finds m's occurrence starting at start, if it still exists.
func occurrenceOf(m *Meeting, start time.Time) (Occurrence, bool) {
	for _, o := range m.OccurrencesBetween(start, start.Add(time.Second), 2) {
		if o.Start.Equal(start) {
			return o, true
		}
	}
	return Occurrence{}, false
}

// provisionWorkers bounds concurrent participant creation for one meeting;
// the RealtimeKit budget (background share) bounds the rate overall.
const provisionWorkers = 4

// provision creates participants ahead of the start for invitees and "yes"
// RSVPs, so a large meeting's start needs no upstream calls for them. It
// runs at background priority: joins always go first within the budget.
func (s *runner) provision(ctx context.Context, m *Meeting) error {
	if len(personalRecipients(m)) == 0 {
		return nil // nobody to set up, so no room needed yet either
	}
	if m.State == StatePending {
		var err error
		if m, err = s.rooms.ensureRoom(ctx, m); err != nil {
			return err
		}
	}
	_, err := s.rooms.onRoom(ctx, m, func(m *Meeting) (*Meeting, error) { return m, s.provisionPeople(ctx, m) })
	return err
}

// provisionPeople creates the missing participants of m's invitees and
// "yes" RSVPs, a few at a time.
func (s *runner) provisionPeople(ctx context.Context, m *Meeting) error {
	users := personalRecipients(m)
	work := make(chan string)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		done  int
	)
	for range min(provisionWorkers, len(users)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range work {
				_, err := s.participants.ensureParticipant(ctx, m, UserKey{Workspace: m.Workspace, UserID: u}, "")
				mu.Lock()
				if err != nil && first == nil {
					first = err
				} else if err == nil {
					done++
				}
				mu.Unlock()
			}
		}()
	}
	for _, u := range users {
		if ctx.Err() != nil {
			break
		}
		work <- u
	}
	close(work)
	wg.Wait()
	s.log.Info().Str("meeting", m.ID).Int("participants", done).Int("wanted", len(users)).Msg("participants provisioned")
	if first != nil {
		return fmt.Errorf("provision participants (%d of %d done): %w", done, len(users), first)
	}
	return ctx.Err()
}
