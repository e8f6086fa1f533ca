package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// planner turns a meeting's schedule into its due jobs: reminders,
// provisioning, opening and closing of its current occurrence. Every change
// to a meeting's time, state or people re-plans it here, and the scheduler
// (core/scheduler) runs what it wrote (see runner).
type planner struct {
	store      planStore
	workspaces *workspaces
	clock      Clock
	log        zerolog.Logger
	wake       func() // nil until cmd/bot wires the scheduler (SetWaker)
}

// planStore is what planning reads and writes: the due jobs, the
// participants a removal still has to revoke, and a workspace's meetings
// to re-plan after its settings change.
type planStore interface {
	DueJobStore
	FindParticipant(ctx context.Context, ws WorkspaceKey, meetingID, userID string) (*Participant, error)
	FindMeetings(ctx context.Context, f MeetingFilter) ([]*Meeting, error)
}

// SetWaker registers the function Plan calls after writing jobs, so the
// scheduler loop wakes for a job that is due before the one it sleeps for.
// cmd/bot wires it to the scheduler; without one, planning still works and
// the loop finds the jobs when it next wakes.
func (s *planner) SetWaker(wake func()) { s.wake = wake }

// jobsFor returns the due jobs of m's current occurrence: the reminders
// still ahead, provisioning during the reminder lead, opening at the window
// start and closing at its end. A cancelled meeting has none (Cancel closes
// the room at once); an ended series has none except a close for a room we
// believe still open.
func (s *planner) jobsFor(ctx context.Context, m *Meeting, now time.Time) ([]DueJob, error) {
	if m.State == StateCancelled || m.State == StateFailed || m.State == StateEnded || m.Abandoned {
		return jobsWith(m, policy{}, now, false), nil
	}
	p := s.workspaces.policy(ctx, m.Workspace)
	return s.keepDueReminders(ctx, m, p, now, jobsWith(m, p, now, s.pendingRevocations(ctx, m)))
}

// keepDueReminders adds to a re-plan the current occurrence's reminders
// that fell due before now but have not run yet. jobsWith plans only
// reminders still ahead (one already past when a meeting is scheduled
// would repeat the confirmation), and PlanJobs drops every unfinished job
// a plan leaves out; so without this, any change to a meeting between a
// reminder's due time and its run (an RSVP while the scheduler is behind,
// a leader change, a room job retried late) deleted that reminder and it
// was never sent. Only reminders already stored are kept, never created,
// and only those of the occurrence being planned: a move gives the
// occurrence a new start, and its passed reminders stay unsent as for a
// new meeting. The store is read only when some reminder of the
// occurrence is already due, which no change before the first lead pays.
func (s *planner) keepDueReminders(ctx context.Context, m *Meeting, p policy, now time.Time, jobs []DueJob) ([]DueJob, error) {
	occ := m.CurrentOccurrence(now, p.early, p.grace)
	passed := false
	for _, lead := range p.reminders {
		passed = passed || !occ.Start.Add(-lead).After(now)
	}
	if !passed || WindowOf(occ, p.early, p.grace).PhaseAt(now) == PhaseAfter {
		return jobs, nil
	}
	stored, err := s.store.FindJobs(ctx, m.Workspace, m.ID)
	if err != nil {
		return nil, fmt.Errorf("reminders already due of meeting %s: %w", m.ID, err)
	}
	planned := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		planned[j.ID] = true
	}
	kept := false
	for _, j := range stored {
		// Not in the plan means due before now; its stored Due may be
		// later (a retry's backoff), and is kept as it is.
		if j.Kind == JobRemind && j.DoneAt.IsZero() && j.Occurrence.Equal(occ.Start) &&
			!planned[j.ID] && slices.Contains(p.reminders, j.Lead) {
			jobs = append(jobs, j)
			kept = true
		}
	}
	if kept {
		slices.SortFunc(jobs, func(a, b DueJob) int { return a.Due.Compare(b.Due) })
	}
	return jobs, nil
}

// jobsWith is jobsFor with what it reads from the store passed in: the
// workspace's timing and whether a removed person's participant still
// waits to be revoked. It does no I/O, so a store may run it inside the
// transaction that creates the meeting (CreatePlannedMeeting).
func jobsWith(m *Meeting, p policy, now time.Time, revoke bool) []DueJob {
	if m.State == StateCancelled || m.State == StateFailed || m.State == StateEnded || m.Abandoned {
		if m.RoomStatus == RoomActive && m.RoomID != "" {
			// Should not happen (cancel and close set it inactive), but a
			// missed upstream call leaves it open: close it now.
			return []DueJob{{ID: JobID(m.Workspace, m.ID, m.Start, JobClose, 0), Due: now, Workspace: m.Workspace, Meeting: m.ID, Occurrence: m.Start, Kind: JobClose}}
		}
		return nil
	}
	occ := m.CurrentOccurrence(now, p.early, p.grace)
	w := WindowOf(occ, p.early, p.grace)
	job := func(kind JobKind, due time.Time, lead time.Duration) DueJob {
		return DueJob{
			ID:         JobID(m.Workspace, m.ID, occ.Start, kind, lead),
			Due:        due,
			Workspace:  m.Workspace,
			Meeting:    m.ID,
			Occurrence: occ.Start,
			Kind:       kind,
			Lead:       lead,
		}
	}
	var jobs []DueJob
	if m.State == StatePending {
		// The room is made in the background, due at once: the video
		// service has the longest time to come back before anyone needs
		// it, and the API budget, not the schedule, paces a burst. Due is
		// the creation time, a fixed instant, so re-planning an unchanged
		// meeting writes nothing; a re-plan of a job waiting out a backoff
		// brings it forward, one extra attempt per change to the meeting.
		jobs = append(jobs, roomJob(m))
	}
	if w.PhaseAt(now) == PhaseAfter {
		if m.RoomStatus == RoomActive {
			jobs = append(jobs, job(JobClose, w.Closes, 0))
		}
		return jobs
	}
	if m.RoomStatus == RoomActive && w.PhaseAt(now) == PhaseBefore {
		// The room is open between occurrences (a close that failed, or a
		// skip or move whose upstream call did): close it now, not at the
		// next occurrence's end.
		// One fixed id, so re-planning during an outage keeps one job (with
		// its growing backoff) instead of adding one per attempt.
		jobs = append(jobs, DueJob{ID: JobID(m.Workspace, m.ID, time.Unix(0, 0), JobClose, 0), Due: now, Workspace: m.Workspace, Meeting: m.ID, Occurrence: time.Unix(0, 0), Kind: JobClose})
	}
	for _, lead := range p.reminders {
		// A reminder whose time has already passed when the meeting is
		// planned would only repeat the confirmation just posted.
		if due := occ.Start.Add(-lead); due.After(now) {
			jobs = append(jobs, job(JobRemind, due, lead))
		}
	}
	if revoke {
		jobs = append(jobs, DueJob{ID: JobID(m.Workspace, m.ID, time.Unix(0, 0), JobRevoke, 0), Due: now, Workspace: m.Workspace, Meeting: m.ID, Occurrence: time.Unix(0, 0), Kind: JobRevoke})
	}
	prov := job(JobProvision, maxTime(p.provisionAt(occ), now), 0)
	if !p.provisionAt(occ).After(now) {
		// The lead time has begun, so this occurrence's provisioning may
		// have run already (a done job is never run again). One job per
		// set of people: someone who says yes or is invited now gets a job
		// due at once, and a re-plan with the same people changes nothing.
		prov.ID += "/" + peopleDigest(personalRecipients(m))
	}
	jobs = append(jobs,
		prov,
		job(JobOpen, maxTime(w.Opens, now), 0),
		job(JobClose, w.Closes, 0),
	)
	slices.SortFunc(jobs, func(a, b DueJob) int { return a.Due.Compare(b.Due) })
	return jobs
}

// roomJob is the job that makes pending m's room: due at the meeting's
// creation, a fixed instant (see jobsWith).
func roomJob(m *Meeting) DueJob {
	return DueJob{ID: roomJobID(m), Due: maxTime(m.CreatedAt, time.Unix(0, 0)), Workspace: m.Workspace, Meeting: m.ID, Occurrence: time.Unix(0, 0), Kind: JobRoom}
}

// planFirst writes the rest of a new meeting's plan (reminders,
// provisioning, opening, closing) when its room job first runs:
// "/meet schedule" stores only the meeting and that job, in one small
// commit, so the command answers after the least it can write. The plan is
// made as of the meeting's creation, so a reminder that fell due before
// any scheduler ran the job (a leader change) is sent late instead of
// dropped. It needs no upstream call, so it happens even while the video
// service is down. A meeting that has any other job already (a change
// re-planned it, or an earlier run did this) is left alone.
func (s *planner) planFirst(ctx context.Context, m *Meeting) error {
	if m.State != StatePending && m.State != StateScheduled || m.Abandoned {
		return nil
	}
	jobs, err := s.store.FindJobs(ctx, m.Workspace, m.ID)
	if err != nil {
		return fmt.Errorf("jobs of a new meeting: %w", err)
	}
	for _, j := range jobs {
		if j.Kind != JobRoom {
			return nil
		}
	}
	at := m.CreatedAt
	if at.IsZero() {
		at = s.clock.Now()
	}
	if err := s.store.PlanJobs(ctx, m.Workspace, m.ID, jobsWith(m, s.workspaces.policy(ctx, m.Workspace), at, false)); err != nil {
		return fmt.Errorf("plan jobs of new meeting %s: %w", m.ID, err)
	}
	s.woken()
	return nil
}

// provisionAt is when the provisioning of occ starts: at the earliest
// reminder, or at the window's opening if that comes first.
func (p policy) provisionAt(occ Occurrence) time.Time {
	lead := p.early
	for _, l := range p.reminders {
		lead = max(lead, l)
	}
	return occ.Start.Add(-lead)
}

// peopleDigest is a short stable name for a sorted set of user ids.
func peopleDigest(users []string) string {
	h := sha256.New()
	for _, u := range users {
		h.Write([]byte(u))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// planIfProvisioning re-plans m when its current occurrence's provisioning
// time has passed and its window has not closed, so a person who just
// became one to provision (a yes, an invite) is set up at once rather than
// on their first join. Before that time the pending provisioning job reads
// the people when it runs, and nothing needs to change.
func (s *planner) planIfProvisioning(ctx context.Context, m *Meeting) {
	if m.State != StateScheduled && m.State != StatePending {
		return
	}
	now := s.clock.Now()
	p := s.workspaces.policy(ctx, m.Workspace)
	occ := m.CurrentOccurrence(now, p.early, p.grace)
	if p.provisionAt(occ).After(now) || WindowOf(occ, p.early, p.grace).PhaseAt(now) == PhaseAfter {
		return
	}
	s.planLogged(ctx, m)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Plan writes m's due jobs (an upsert: same meeting, same jobs) and wakes
// the scheduler. Every change to a meeting's time or state calls it.
func (s *planner) Plan(ctx context.Context, m *Meeting) error {
	jobs, err := s.jobsFor(ctx, m, s.clock.Now())
	if err != nil {
		return fmt.Errorf("plan jobs of meeting %s: %w", m.ID, err)
	}
	if err := s.store.PlanJobs(ctx, m.Workspace, m.ID, jobs); err != nil {
		return fmt.Errorf("plan jobs of meeting %s: %w", m.ID, err)
	}
	s.woken()
	return nil
}

// woken wakes the scheduler after jobs were written (by Plan, or with a
// new meeting by CreatePlannedMeeting).
func (s *planner) woken() {
	if s.wake != nil {
		s.wake()
	}
}

// planLogged plans m and logs a failure instead of failing the user's
// command: the change itself is stored, and the next re-plan (or a restart
// running Recover) puts the jobs right.
func (s *planner) planLogged(ctx context.Context, m *Meeting) {
	if err := s.Plan(context.WithoutCancel(ctx), m); err != nil {
		s.log.Error().Err(err).Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Msg("could not plan jobs")
	}
}

// pendingRevocations reports whether a removed user still has a
// participant (its upstream deletion failed and must be retried).
func (s *planner) pendingRevocations(ctx context.Context, m *Meeting) bool {
	if len(m.Removed) == 0 {
		return false
	}
	for _, u := range m.Removed {
		if _, err := s.store.FindParticipant(ctx, m.Workspace, m.ID, u); err == nil {
			return true
		}
	}
	return false
}

// maxReplan bounds how many meetings one settings change re-plans, so a
// single command's work is bounded whatever the workspace holds.
const maxReplan = 2000

// replanWorkspace re-plans the due jobs of ws's scheduled meetings, and of
// those waiting for their room (they are listed and keep their jobs), after
// a timing setting changed. The work is bounded by maxReplan; failures are
// logged, and a meeting left out keeps its old jobs until its next change
// or occurrence re-plans it.
func (s *planner) replanWorkspace(ctx context.Context, ws WorkspaceKey) {
	ctx = context.WithoutCancel(ctx)
	ms, err := s.store.FindMeetings(ctx, MeetingFilter{Workspace: ws, States: []MeetingState{StateScheduled, StatePending}, Limit: maxReplan + 1})
	if err != nil {
		s.log.Error().Err(err).Str("workspace", ws.String()).Msg("could not list meetings to re-plan after a settings change")
		return
	}
	if len(ms) > maxReplan {
		s.log.Warn().Str("workspace", ws.String()).Int("limit", maxReplan).Msg("too many meetings to re-plan at once; the rest keep their jobs until their next change")
		ms = ms[:maxReplan]
	}
	// Several plans in flight let the store fold their writes into shared
	// commits (bbolt's Batch), instead of one commit and fsync per meeting
	// while the admin waits for the reply.
	sem := make(chan struct{}, replanWorkers)
	var wg sync.WaitGroup
	for _, m := range ms {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s.planLogged(ctx, m)
		})
	}
	wg.Wait()
}

// replanWorkers bounds the meetings re-planned at once after a settings
// change.
const replanWorkers = 16
