package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RoomState is what a card or "/meet info" shows about one occurrence's
// room: live with who is in it, or ended with who came, and how that
// compares with the RSVPs.
type RoomState struct {
	Occurrence Occurrence
	AttendanceSummary
	// Past is set when the occurrence is not the meeting's current one
	// any more (a series moved on to its next occurrence): "last time".
	Past bool
	RSVP RSVPTally
	// Recordings counts the recordings uploaded for the occurrence.
	Recordings int
}

// RSVPTally compares who came with who answered. Yes counts the people
// who said yes, YesCame those of them who came, and Unanswered those who
// came without answering at all (the organizer, who schedules rather than
// answers, is not counted).
type RSVPTally struct {
	Yes, YesCame, Unanswered int
}

// Known reports whether there is anything to show: the room is live or was.
func (r RoomState) Known() bool { return r.Live || r.Ended }

// MaxNames is how many names a card lists before it says "+N".
const MaxNames = 10

// Names returns the display names of the people in the room now, in order
// of arrival, at most max (0: MaxNames), and how many more there are. A
// person without a name shows as "someone"; adapters escape the names.
func (r RoomState) Names(max int) (names []string, more int) {
	if max <= 0 {
		max = MaxNames
	}
	for _, p := range r.People {
		if !p.InRoom {
			continue
		}
		if len(names) == max {
			more++
			continue
		}
		name := p.Name
		if name == "" {
			name = "someone"
		}
		names = append(names, name)
	}
	return names, more
}

// stateOf derives the RoomState of record rec of m at this moment.
func (s *liveRooms) stateOf(ctx context.Context, m *Meeting, rec *Attendance) RoomState {
	now := s.clock.Now()
	p := s.workspaces.policy(ctx, m.Workspace)
	occ, ok := m.occurrence(rec.Occurrence)
	if !ok {
		occ = Occurrence{Start: rec.Occurrence, End: rec.Occurrence.Add(m.Duration), Original: rec.Occurrence}
	}
	w := WindowOf(occ, p.early, p.grace)
	st := RoomState{Occurrence: occ, AttendanceSummary: rec.Summarize(now, w.Closes), Recordings: len(rec.Recordings)}
	st.Past = m.CurrentOccurrence(now, p.early, p.grace).Original.After(rec.Occurrence)
	st.RSVP = tally(m, st.People)
	return st
}

// tally compares the people who came with m's RSVPs.
func tally(m *Meeting, people []Attendee) RSVPTally {
	var t RSVPTally
	came := map[string]bool{}
	for _, p := range people {
		if p.UserID != "" {
			came[p.UserID] = true
		}
	}
	for _, u := range yesRSVPs(m) {
		t.Yes++
		if came[u] {
			t.YesCame++
		}
	}
	for u := range came {
		if _, answered := m.RSVPs[u]; !answered && u != m.Organizer {
			t.Unanswered++
		}
	}
	return t
}

// RoomState returns what m's card shows about its room: the newest
// occurrence that had a live room, unless a later occurrence's window is
// open now (that card is about the new one). ok is false when there is
// nothing to show. A private meeting's attendance is never on a card: it
// is for its invitees and hosts only ("/meet info").
func (s *liveRooms) RoomState(ctx context.Context, m *Meeting) (RoomState, bool) {
	if m.Private {
		return RoomState{}, false
	}
	recs, err := s.store.ListAttendance(ctx, m.Workspace, m.ID)
	if err != nil || len(recs) == 0 {
		return RoomState{}, false
	}
	st := s.stateOf(ctx, m, recs[0])
	if !st.Known() {
		return RoomState{}, false
	}
	if st.Past {
		p := s.workspaces.policy(ctx, m.Workspace)
		cur := m.CurrentOccurrence(s.clock.Now(), p.early, p.grace)
		if WindowOf(cur, p.early, p.grace).PhaseAt(s.clock.Now()) == PhaseOpen {
			return RoomState{}, false
		}
	}
	return st, true
}

// RoomHistory returns the room states of m's last occurrences (newest
// first, at most MaxAttendance) for "/meet info". A private meeting's
// attendance is shown to its invitees and hosts only: anyone else gets
// none (and no error, since they may still see the meeting itself).
func (s *liveRooms) RoomHistory(ctx context.Context, a Actor, m *Meeting) ([]RoomState, error) {
	if m.Workspace != a.User.Workspace || (m.Private && !m.IsInvited(a.User.UserID)) {
		return nil, nil
	}
	recs, err := s.store.ListAttendance(ctx, m.Workspace, m.ID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, nil
		}
		return nil, err
	}
	out := make([]RoomState, 0, len(recs))
	for _, r := range recs {
		if st := s.stateOf(ctx, m, r); st.Known() {
			out = append(out, st)
		}
	}
	slices.SortFunc(out, func(x, y RoomState) int { return y.Occurrence.Original.Compare(x.Occurrence.Original) })
	return out, nil
}

// CardLines words the room state for a card, the same on every platform:
//
//	Live · 4 in the room · since 15:02
//	Ana, Bo, Cy, Di
//
// or, after the end (with RSVPs, a third line):
//
//	Ended · 34 min · 7 attended
//	5 of 6 "yes" came, 2 came without answering
//
// esc makes a display name inert in the platform's markup (names are user
// text, escaped like titles, so a name cannot mention anyone), and at
// renders an instant the platform's way. hasRSVPs says whether the meeting
// has any answers (the comparison is only shown then).
func (r RoomState) CardLines(esc func(string) string, at func(time.Time) string, hasRSVPs bool) []string {
	switch {
	case r.Live:
		head := fmt.Sprintf("Live · %d in the room", r.InRoom)
		if !r.Since.IsZero() {
			head += " · since " + at(r.Since)
		}
		lines := []string{head}
		names, more := r.Names(MaxNames)
		if len(names) > 0 {
			parts := make([]string, len(names))
			for i, n := range names {
				parts[i] = esc(n)
			}
			l := strings.Join(parts, ", ")
			if more > 0 {
				l += fmt.Sprintf(" +%d", more)
			}
			lines = append(lines, l)
		}
		return lines
	case r.Ended:
		word := "Ended"
		if r.Past {
			word = "Last time"
		}
		lines := []string{fmt.Sprintf("%s · %s · %d attended", word, HumanDuration(r.Length), len(r.People))}
		if hasRSVPs {
			lines = append(lines, r.RSVP.Line())
		}
		return lines
	}
	return nil
}

// Line words the comparison: `5 of 6 "yes" came, 2 came without answering`.
func (t RSVPTally) Line() string {
	s := fmt.Sprintf("%d of %d \"yes\" came", t.YesCame, t.Yes)
	if t.Unanswered > 0 {
		s += fmt.Sprintf(", %d came without answering", t.Unanswered)
	}
	return s
}
