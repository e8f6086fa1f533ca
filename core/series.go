package core

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core/recur"
)

// Skip cancels one occurrence of a series: the one starting on date's local
// day in the meeting's zone, or the next one when date is zero. Its jobs are
// re-planned at once and the channel is told. Hosts and admins only.
func (s *meetings) Skip(ctx context.Context, a Actor, id string, date time.Time) (*Meeting, Occurrence, error) {
	m, err := s.access.manageable(ctx, a, id, "skip an occurrence of")
	if err != nil {
		return nil, Occurrence{}, err
	}
	if !m.IsRecurring() {
		return nil, Occurrence{}, Errorf(EINVALID, "Meeting %s happens only once; cancel it instead with \"/meet cancel %s\".", m.ID, m.ID)
	}
	occ, err := s.pickOccurrence(ctx, m, date)
	if err != nil {
		return nil, Occurrence{}, err
	}
	m, err = s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
		x.Exceptions = setException(x.Exceptions, Exception{Original: occ.Original, Skipped: true})
		x.UpdatedAt = s.clock.Now()
		return nil
	})
	if err != nil {
		return nil, Occurrence{}, err
	}
	s.rescheduled(ctx, m, "skip", Announcement{Kind: "skipped", Meeting: m, Occurrence: occ, By: a.User.UserID}, CardSkipped)
	return m, occ, nil
}

// Move reschedules a meeting. For a one-off meeting, or with all set, the
// whole meeting (series) moves: its first start becomes newStart, keeping
// the rule. Otherwise only the next occurrence moves. Every job is
// re-planned, links issued for the old time stop working (they name the
// old occurrence), and the channel and "yes" RSVPs are told.
func (s *meetings) Move(ctx context.Context, a Actor, id string, newStart time.Time, all bool) (*Meeting, Occurrence, error) {
	m, err := s.access.manageable(ctx, a, id, "move")
	if err != nil {
		return nil, Occurrence{}, err
	}
	now := s.clock.Now()
	if newStart.Before(now.Add(-time.Minute)) {
		return nil, Occurrence{}, Errorf(EINVALID, "That time has already passed. Pick a time in the future, for example \"/meet move %s to tomorrow 4pm\".", m.ID)
	}
	if newStart.After(now.AddDate(2, 0, 1)) {
		return nil, Occurrence{}, Errorf(EINVALID, "That is more than two years ahead. Pick a nearer date.")
	}
	old, err := s.pickOccurrence(ctx, m, time.Time{})
	if err != nil {
		return nil, Occurrence{}, err
	}
	whole := all || !m.IsRecurring()
	rule := m.Recurrence
	var carried []Exception
	if whole && m.IsRecurring() {
		if rule, err = s.ruleForNewStart(m, newStart); err != nil {
			return nil, Occurrence{}, err
		}
		carried = carrySkips(m, old.Original, rule, newStart)
	}
	m, err = s.store.UpdateMeeting(ctx, m.Workspace, m.ID, func(x *Meeting) error {
		if whole {
			x.Start = newStart
			x.Recurrence = rule
			x.Exceptions = carried
		} else {
			x.Exceptions = setException(x.Exceptions, Exception{Original: old.Original, Start: newStart})
		}
		x.UpdatedAt = now
		return nil
	})
	if err != nil {
		return nil, Occurrence{}, err
	}
	s.rescheduled(ctx, m, "move", Announcement{Kind: "moved", Meeting: m, Occurrence: old, NewStart: newStart, By: a.User.UserID, DMs: yesRSVPs(m)}, CardMoved)
	return m, old, nil
}

// rescheduled follows a change to m's times (what names it in the log): the
// room opens or closes as the new times say, the jobs are re-planned, and
// the people are told with ann and a redrawn card. A room that does not
// sync now is left to its planned close job, which retries.
func (s *meetings) rescheduled(ctx context.Context, m *Meeting, what string, ann Announcement, ev CardEvent) {
	if _, err := s.rooms.SyncRoom(ctx, m); err != nil {
		s.log.Warn().Err(err).Str("meeting", m.ID).Msg("room not synced after " + what + "; its planned close job will retry")
	}
	s.planner.planLogged(ctx, m)
	s.notices.announce(ctx, ann)
	s.notices.refreshCard(ctx, m, ev)
}

// carrySkips keeps a series' coming skips when the whole series moves: the
// k-th meeting from the current one on was skipped, so the k-th meeting of
// the moved series is skipped too ("skip the 3rd" still means the 3rd).
// Single moved occurrences are not carried: their explicit times were
// chosen against the old schedule, and the moved series' own times apply.
func carrySkips(m *Meeting, from time.Time, newRule string, newStart time.Time) []Exception {
	var last time.Time
	skipped := map[int64]bool{}
	for _, e := range m.Exceptions {
		if e.Skipped && !e.Original.Before(from) {
			skipped[e.Original.UnixNano()] = true
			if e.Original.After(last) {
				last = e.Original
			}
		}
	}
	if len(skipped) == 0 {
		return nil
	}
	loc := m.zone()
	olds, err := recur.Between(m.Recurrence, m.Start, loc, from, last.Add(time.Nanosecond), recur.MaxCount)
	if err != nil || len(olds) == 0 {
		return nil
	}
	news, err := recur.After(newRule, newStart, loc, newStart.Add(-time.Nanosecond), len(olds))
	if err != nil {
		return nil
	}
	var out []Exception
	for k, o := range olds {
		if skipped[o.UnixNano()] && k < len(news) {
			out = append(out, Exception{Original: news[k], Skipped: true})
		}
	}
	return out
}

// pickOccurrence finds the occurrence a person means: the one on date's
// local day, or (date zero) the current or next one.
func (s *meetings) pickOccurrence(ctx context.Context, m *Meeting, date time.Time) (Occurrence, error) {
	now := s.clock.Now()
	p := s.workspaces.policy(ctx, m.Workspace)
	if date.IsZero() {
		occ := m.CurrentOccurrence(now, p.early, p.grace)
		if WindowOf(occ, p.early, p.grace).PhaseAt(now) == PhaseAfter {
			return Occurrence{}, Errorf(EENDED, "Meeting %s has no occurrences left.", m.ID)
		}
		return occ, nil
	}
	// The day as the person wrote it (in their zone), taken as that day in
	// the meeting's zone: "skip 12 dec 3" means the Dec 3 occurrence even
	// when the organizer is in another zone.
	loc := m.zone()
	from := time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, loc)
	to := from.AddDate(0, 0, 1)
	occs := m.OccurrencesBetween(from, to, 1)
	if len(occs) == 0 {
		return Occurrence{}, Errorf(EINVALID, "Meeting %s has no occurrence on %s. \"/meet info %s\" lists the next ones.", m.ID, from.Format("Mon Jan 2"), m.ID)
	}
	if !occs[0].End.After(now) {
		return Occurrence{}, Errorf(EENDED, "The occurrence on %s is already over.", from.Format("Mon Jan 2"))
	}
	return occs[0], nil
}

// setException adds e, replacing an exception for the same occurrence.
func setException(list []Exception, e Exception) []Exception {
	for i := range list {
		if list[i].Original.Equal(e.Original) {
			list[i] = e
			return list
		}
	}
	return append(list, e)
}

// ruleForNewStart adapts a series' rule to a new first start. A weekly rule
// on one weekday follows the start to its new weekday ("every Monday" moved
// to a Tuesday becomes "every Tuesday"); any other rule must already
// include the new start, or the move is refused with a way out, because a
// first start the rule does not produce would silently not happen.
func (s *meetings) ruleForNewStart(m *Meeting, newStart time.Time) (string, error) {
	loc := m.zone()
	rule := m.Recurrence
	parts := strings.Split(rule, ";")
	weekly, byday := false, -1
	for i, p := range parts {
		switch {
		case p == "FREQ=WEEKLY":
			weekly = true
		case strings.HasPrefix(p, "BYDAY="):
			if !strings.Contains(p, ",") {
				byday = i
			}
		}
	}
	if weekly && byday >= 0 {
		parts[byday] = "BYDAY=" + strings.ToUpper(newStart.In(loc).Weekday().String()[:2])
	}
	// COUNT counts from the first start; occurrences already held count
	// against it, so the moved series has only what was left.
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimPrefix(p, "COUNT="))
		if !strings.HasPrefix(p, "COUNT=") || err != nil {
			continue
		}
		held, _ := recur.Between(m.Recurrence, m.Start, loc, m.Start.Add(-time.Second), s.clock.Now(), n)
		if n-len(held) <= 0 {
			return "", Errorf(EINVALID, "Meeting %s has no occurrences left to move.", m.ID)
		}
		parts[i] = "COUNT=" + strconv.Itoa(n-len(held))
	}
	rule = strings.Join(parts, ";")
	got, err := recur.Between(rule, newStart, loc, newStart, newStart.Add(time.Second), 1)
	if err != nil || len(got) == 0 || !got[0].Equal(newStart) {
		return "", Errorf(EINVALID, "Meeting %s repeats %s, and %s is not one of its days. Move just the next occurrence with \"/meet move %s to …\", or schedule a new series.",
			m.ID, recur.Describe(m.Recurrence, loc), newStart.In(loc).Format("Monday Jan 2"), m.ID)
	}
	return rule, nil
}
