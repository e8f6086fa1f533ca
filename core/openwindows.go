package core

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// OpenWindows returns the ids of ws's meetings whose join window is open
// now (by number), and when the last of those windows closes; none open
// gives no ids and a zero time. Local mode uses it to keep serving join
// links after its input ends for as long as a link it printed can work.
func (s *Service) OpenWindows(ctx context.Context, ws WorkspaceKey) (ids []string, closes time.Time, err error) {
	now := s.clock.Now()
	ms, err := s.store.FindMeetings(ctx, MeetingFilter{
		Workspace: ws,
		States:    []MeetingState{StateScheduled, StatePending},
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("find open meetings: %w", err)
	}
	p := s.policy(ctx, ws)
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
