package core

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// lateThreshold is how late a reminder must be before it says so ("started
// 3 min ago" rather than "starting now").
const lateThreshold = time.Minute

// RunJob does one due job and returns a reference to what it posted (for a
// reminder). It is what the scheduler calls; a returned error makes the
// scheduler retry with backoff. A job whose meeting is gone, cancelled, or
// whose occurrence no longer exists (skipped, moved) is a no-op, since
// re-planning has already written the jobs that matter.
func (s *Service) RunJob(ctx context.Context, job DueJob) (string, error) {
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
	now := s.clock.Now()
	p := s.policy(ctx, m.Workspace)
	occ, ok := s.occurrenceOf(m, job.Occurrence)
	switch job.Kind {
	case JobClose:
		// Always run: a room open when the process died closes on time.
		// A room the video service no longer knows is closed already
		// (syncRoomTo takes the 404 as done); the next occurrence's jobs
		// or joins replace it when it is needed again.
		synced, err := s.SyncRoom(ctx, m)
		if err != nil && ErrorCode(err) != ENOTFOUND {
			// Plan the next occurrence anyway, so an outage at closing time
			// does not stop a series; the plan holds a close job for the
			// room still open, retried (never given up) until it closes.
			s.planLogged(ctx, m)
			return "", RetryBefore(err, s.nextOpening(m, now, p))
		}
		m = synced
		next := m.CurrentOccurrence(now, p.early, p.grace)
		if m.State == StateScheduled && WindowOf(next, p.early, p.grace).PhaseAt(now) == PhaseAfter {
			// No occurrence left: mark it ended so listings skip it.
			if m, err = s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
				if x.State == StateScheduled {
					x.State, x.UpdatedAt = StateEnded, now
				}
				return nil
			}); err != nil {
				return "", err
			}
		}
		s.planLogged(ctx, m) // the next occurrence of a series
		s.refreshCard(ctx, m, CardEnded)
		return "", nil
	case JobOpen:
		if m.State != StateScheduled && m.State != StatePending || !ok {
			return "", nil
		}
		if m.State == StatePending {
			if m, err = s.ensureRoom(ctx, m); err != nil {
				return "", err
			}
		}
		synced, err := s.onRoom(ctx, m, func(m *Meeting) (*Meeting, error) { return s.SyncRoom(ctx, m) })
		if err != nil {
			return "", RetryBefore(err, WindowOf(occ, p.early, p.grace).Closes)
		}
		s.refreshCard(ctx, synced, CardStarted)
		return "", nil
	case JobProvision:
		if m.State != StateScheduled && m.State != StatePending || !ok {
			return "", nil
		}
		if err := s.provision(ctx, m); err != nil {
			return "", RetryBefore(err, WindowOf(occ, p.early, p.grace).Opens)
		}
		return "", nil
	case JobRevoke:
		for _, u := range m.Removed {
			if err := s.revoke(ctx, m, u); err != nil {
				return "", fmt.Errorf("revoke participant of a removed user: %w", err)
			}
		}
		return "", nil
	case JobRemind:
		if m.State != StateScheduled && m.State != StatePending || !ok {
			return "", nil
		}
		if !now.Before(occ.End) {
			log.Info().Time("occurrence", occ.Start).Msg("reminder dropped: the occurrence is already over")
			return "", nil
		}
		if s.notify == nil {
			return "", nil
		}
		// After downtime several reminders of one occurrence can be due at
		// once; send only the latest, so people get one "started 3 min ago"
		// and not a burst.
		for _, lead := range p.reminders {
			if lead < job.Lead && !occ.Start.Add(-lead).After(now) {
				log.Info().Dur("lead", job.Lead).Msg("late reminder superseded by a later one")
				return "", nil
			}
		}
		r := Reminder{Meeting: m, Occurrence: occ, Window: WindowOf(occ, p.early, p.grace), Lead: job.Lead}
		// Lateness from the planned time, not job.Due: a retry moves Due.
		if late := now.Sub(occ.Start.Add(-job.Lead)); late >= lateThreshold {
			r.Late = late
		}
		// A private meeting has no channel reminder (its title stays out
		// of the channel), so its people are reminded in person always.
		if p.dms || m.Private {
			r.DMs = s.personalRecipients(m)
		}
		return s.notify.Remind(ctx, r)
	}
	return "", fmt.Errorf("unknown job kind %q", job.Kind)
}

// nextOpening is when the join window after now opens (the zero time when
// m has no further occurrence): a failed close must be retried before it,
// or it would run into the next window it does not serve.
func (s *Service) nextOpening(m *Meeting, now time.Time, p policy) time.Time {
	for _, o := range m.NextOccurrences(now, 2) {
		if w := WindowOf(o, p.early, p.grace); w.Opens.After(now) {
			return w.Opens
		}
	}
	return time.Time{}
}

// occurrenceOf finds m's occurrence starting at start, if it still exists.
func (s *Service) occurrenceOf(m *Meeting, start time.Time) (Occurrence, bool) {
	for _, o := range m.OccurrencesBetween(start, start.Add(time.Second), 2) {
		if o.Start.Equal(start) {
			return o, true
		}
	}
	return Occurrence{}, false
}

// personalRecipients are the people reminded by DM: invitees and everyone
// who said yes (and, for a private meeting, its hosts), minus removed users
// and those who said no.
func (s *Service) personalRecipients(m *Meeting) []string {
	var out []string
	add := func(u string) {
		if u != "" && !slices.Contains(out, u) && !m.IsRemoved(u) && m.RSVPs[u] != RSVPNo {
			out = append(out, u)
		}
	}
	if m.Private {
		// Nobody learns of a private meeting from the channel, its hosts
		// included.
		add(m.Organizer)
		for _, u := range m.CoHosts {
			add(u)
		}
	}
	for _, u := range m.Invitees {
		add(u)
	}
	for u, r := range m.RSVPs {
		if r == RSVPYes {
			add(u)
		}
	}
	slices.Sort(out)
	return out
}

// provisionWorkers bounds concurrent participant creation for one meeting;
// the RealtimeKit budget (background share) bounds the rate overall.
const provisionWorkers = 4

// provision creates participants ahead of the start for invitees and "yes"
// RSVPs, so a large meeting's start needs no upstream calls for them. It
// runs at background priority: joins always go first within the budget.
func (s *Service) provision(ctx context.Context, m *Meeting) error {
	if m.State == StatePending {
		var err error
		if m, err = s.ensureRoom(ctx, m); err != nil {
			return err
		}
	}
	if len(s.personalRecipients(m)) == 0 {
		return nil
	}
	_, err := s.onRoom(ctx, m, func(m *Meeting) (*Meeting, error) { return m, s.provisionPeople(ctx, m) })
	return err
}

// provisionPeople creates the missing participants of m's invitees and
// "yes" RSVPs, a few at a time.
func (s *Service) provisionPeople(ctx context.Context, m *Meeting) error {
	users := s.personalRecipients(m)
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
				_, err := s.ensureParticipant(ctx, m, UserKey{Workspace: m.Workspace, UserID: u}, "")
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
