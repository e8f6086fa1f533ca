package core

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// Bounds on what one occurrence's attendance record holds, so a hostile or
// broken event source cannot grow a record without limit.
const (
	// MaxAttendance is how many occurrences of a meeting keep their
	// attendance: a series remembers its last 20, older ones are dropped.
	MaxAttendance = 20
	// MaxPeers caps the device connections recorded for one occurrence;
	// RealtimeKit rooms hold far fewer people than this.
	MaxPeers = 2000
	// MaxSessions caps the room sessions recorded for one occurrence (the
	// room empties and fills again within one window).
	MaxSessions = 50
	// MaxRecordings caps the recordings remembered for one occurrence.
	MaxRecordings = 20
)

// Attendance is what happened in the room during one occurrence of a
// meeting: its sessions and every device connection (peer) in them. It
// holds raw facts only (who joined and left when, as RealtimeKit reported
// them); counts and durations are derived by Summarize, so events applied
// in any order and any number of times give the same record and the same
// numbers.
type Attendance struct {
	Workspace WorkspaceKey
	Meeting   string
	// Occurrence is the occurrence's Original start (the rule's start), so
	// a moved occurrence keeps its record.
	Occurrence time.Time
	Sessions   []RoomSession
	Peers      []Presence
	// Recordings are the ids of recordings uploaded for this occurrence,
	// in the order they arrived.
	Recordings []string
	UpdatedAt  time.Time
}

// RoomSession is one stretch of the room being live (a RealtimeKit
// session). Zero times are not known yet.
type RoomSession struct {
	ID        string
	StartedAt time.Time
	EndedAt   time.Time
	// Reason is why it ended (HOST_ENDED_MEETING, ALL_PARTICIPANTS_LEFT,
	// or empty).
	Reason string
}

// Presence is one device connection of one person: a peer joins once and
// leaves once. A person on two devices has two presences with the same
// CustomID and is counted once.
type Presence struct {
	PeerID    string
	SessionID string
	// CustomID is the custom_participant_id meetbot sent: the one stable
	// identity of a person in the room. UserID is the chat user it maps
	// to, empty for a participant meetbot did not make.
	CustomID string
	UserID   string
	// Name is the display name the room showed.
	Name     string
	JoinedAt time.Time
	LeftAt   time.Time
}

// AttendanceStore keeps attendance per occurrence and the map from a
// RealtimeKit room to its meeting, which is how a room event finds the
// meeting it belongs to.
type AttendanceStore interface {
	// FindMeetingByRoom returns the meeting whose RoomID is roomID, in any
	// workspace; ENOTFOUND when no meeting has it (another app's room).
	// Backends keep an index, updated with the meeting.
	FindMeetingByRoom(ctx context.Context, roomID string) (*Meeting, error)
	// UpdateAttendance reads the record of (ws, meetingID, occurrence) (a
	// record holding only its key when none is stored), applies fn and
	// stores the result atomically, and returns what it stored. fn may run
	// more than once and must only change the record it is given; when it
	// returns ErrUnchanged nothing is written and the record as read is
	// returned, any other error is returned and nothing is stored. Only
	// the newest MaxAttendance occurrences of a meeting are kept: storing
	// a newer one drops the oldest. ENOTFOUND when the meeting does not
	// exist.
	UpdateAttendance(ctx context.Context, ws WorkspaceKey, meetingID string, occurrence time.Time, fn func(*Attendance) error) (*Attendance, error)
	// ListAttendance returns the meeting's records, newest occurrence
	// first (at most MaxAttendance).
	ListAttendance(ctx context.Context, ws WorkspaceKey, meetingID string) ([]*Attendance, error)
}

// Clone returns a deep copy.
func (a *Attendance) Clone() *Attendance {
	c := *a
	c.Sessions = slices.Clone(a.Sessions)
	c.Peers = slices.Clone(a.Peers)
	c.Recordings = slices.Clone(a.Recordings)
	return &c
}

// HasSession reports whether the record holds session id.
func (a *Attendance) HasSession(id string) bool {
	return id != "" && slices.ContainsFunc(a.Sessions, func(s RoomSession) bool { return s.ID == id })
}

// session returns the session id, adding it when new; nil when the record
// is full.
func (a *Attendance) session(id string) *RoomSession {
	for i := range a.Sessions {
		if a.Sessions[i].ID == id {
			return &a.Sessions[i]
		}
	}
	if len(a.Sessions) >= MaxSessions {
		return nil
	}
	a.Sessions = append(a.Sessions, RoomSession{ID: id})
	return &a.Sessions[len(a.Sessions)-1]
}

// earlier sets *t to at when at is known and earlier (or *t unknown) and
// reports whether *t changed. It is idempotent and order-free, which is
// what makes Apply so: a peer joins once and leaves once, a session ends
// once, so the earliest report of each is the one true time, and a replay
// stamped later (a source that had no time and used its clock) changes
// nothing.
func earlier(t *time.Time, at time.Time) bool {
	if at.IsZero() || (!t.IsZero() && !at.Before(*t)) {
		return false
	}
	*t = at
	return true
}

// peerKey is the presence key of a participant event: its peer id, or,
// when the source gave none, the person's id (then one person's stints in
// a session merge into one, which keeps counts right and only blurs time).
func peerKey(ev RoomEvent) string {
	if ev.PeerID != "" {
		return ev.PeerID
	}
	return "~" + ev.CustomParticipantID
}

// Apply merges ev into the record and reports whether anything changed. It
// is idempotent (a duplicate changes nothing) and commutative (any order of
// the same events gives the same record): every field only ever moves to
// the earliest time reported for it. userID is the chat user ev's
// participant maps to, or empty.
func (a *Attendance) Apply(ev RoomEvent, userID string) bool {
	switch ev.Kind {
	case SummaryReady:
		return false // nothing of it is kept; see summaryReady
	case RecordingReady:
		// Only the id: a recording says nothing about who is in the room,
		// and must not open a session of its own (which would read as live).
		if ev.RecordingID == "" || slices.Contains(a.Recordings, ev.RecordingID) || len(a.Recordings) >= MaxRecordings {
			return false
		}
		a.Recordings = append(a.Recordings, ev.RecordingID)
		return true
	}
	// An event without a session (a source that does not know it) goes to
	// one unnamed session, so it still counts.
	sid := cmp.Or(ev.SessionID, "~")
	n := len(a.Sessions)
	s := a.session(sid)
	if s == nil {
		return false // full: a broken source, nothing more is recorded
	}
	changed := len(a.Sessions) != n
	changed = earlier(&s.StartedAt, ev.SessionStarted) || changed
	switch ev.Kind {
	case RoomStarted:
		changed = earlier(&s.StartedAt, ev.At) || changed
	case RoomEnded:
		changed = earlier(&s.EndedAt, ev.At) || changed
		if ev.Reason != "" && s.Reason == "" {
			// The first reason stays: replays must not flip it back and forth.
			s.Reason, changed = ev.Reason, true
		}
	case ParticipantJoined, ParticipantLeft:
		if ev.CustomParticipantID == "" {
			return changed
		}
		key := peerKey(ev)
		i := slices.IndexFunc(a.Peers, func(p Presence) bool { return p.PeerID == key })
		if i < 0 {
			if len(a.Peers) >= MaxPeers {
				return changed
			}
			a.Peers = append(a.Peers, Presence{PeerID: key, SessionID: sid, CustomID: ev.CustomParticipantID})
			i, changed = len(a.Peers)-1, true
		}
		p := &a.Peers[i]
		if p.UserID == "" && userID != "" {
			p.UserID, changed = userID, true
		}
		if p.Name == "" && ev.DisplayName != "" {
			p.Name, changed = ev.DisplayName, true
		}
		if ev.Kind == ParticipantJoined {
			changed = earlier(&p.JoinedAt, ev.At) || changed
		} else {
			changed = earlier(&p.LeftAt, ev.At) || changed
		}
	}
	return changed
}

// Attendee is one person's time in the room during an occurrence.
type Attendee struct {
	CustomID string
	UserID   string
	Name     string
	// FirstJoin is when they first came in; Total is how long they were
	// in, counting overlapping devices once.
	FirstJoin time.Time
	Total     time.Duration
	// InRoom reports whether they are in the room now.
	InRoom bool
}

// AttendanceSummary is what an Attendance record says at a given moment.
type AttendanceSummary struct {
	// Live reports whether a session is live; Since is when the room first
	// went live in this occurrence.
	Live  bool
	Since time.Time
	// Ended reports that the room was live and no session is live any more.
	Ended bool
	// Length is the time the room was live, summed over its sessions.
	Length time.Duration
	// People are everyone who came, in order of first join.
	People []Attendee
	// InRoom counts the people in the room now (each person once).
	InRoom int
}

// Summarize derives counts and times from the record at now. closes is the
// end of the occurrence's join window: a session still open after it is
// taken as ended there (meetbot closes the room then), so a lost "ended"
// event cannot leave a card live forever. A zero closes means no bound.
func (a *Attendance) Summarize(now, closes time.Time) AttendanceSummary {
	var sum AttendanceSummary
	ends := make(map[string]time.Time, len(a.Sessions))
	starts := make(map[string]time.Time, len(a.Sessions))
	cut := now
	if !closes.IsZero() && closes.Before(now) {
		cut = closes
	}
	for _, s := range a.Sessions {
		start, end := s.StartedAt, s.EndedAt
		if start.IsZero() {
			start = a.firstJoinIn(s.ID)
		}
		starts[s.ID] = start
		if end.IsZero() && !closes.IsZero() && !now.Before(closes) {
			end = closes
		}
		ends[s.ID] = end
		if end.IsZero() {
			sum.Live = true
		}
		if !start.IsZero() {
			if sum.Since.IsZero() || start.Before(sum.Since) {
				sum.Since = start
			}
			stop := end
			if stop.IsZero() {
				stop = cut
			}
			if stop.After(start) {
				sum.Length += stop.Sub(start)
			}
		}
	}
	sum.Ended = len(a.Sessions) > 0 && !sum.Live

	type span struct{ from, to time.Time }
	byPerson := map[string][]span{}
	people := map[string]*Attendee{}
	for _, p := range a.Peers {
		from, to := p.JoinedAt, p.LeftAt
		sessEnd := ends[p.SessionID]
		if from.IsZero() {
			// A leave whose join never came: they were there from the
			// session's start, as far as anyone knows.
			from = cmp.Or(starts[p.SessionID], to)
		}
		in := false
		if to.IsZero() {
			switch {
			case !sessEnd.IsZero():
				to = sessEnd
			case !p.JoinedAt.IsZero():
				to, in = cut, true
			}
		}
		if !sessEnd.IsZero() && to.After(sessEnd) {
			to = sessEnd
		}
		if from.IsZero() {
			continue
		}
		at := people[p.CustomID]
		if at == nil {
			at = &Attendee{CustomID: p.CustomID, FirstJoin: from}
			people[p.CustomID] = at
		}
		if at.UserID == "" {
			at.UserID = p.UserID
		}
		if at.Name == "" {
			at.Name = p.Name
		}
		if from.Before(at.FirstJoin) {
			at.FirstJoin = from
		}
		at.InRoom = at.InRoom || in
		if to.After(from) {
			byPerson[p.CustomID] = append(byPerson[p.CustomID], span{from, to})
		}
	}
	for id, at := range people {
		spans := byPerson[id]
		slices.SortFunc(spans, func(x, y span) int { return x.from.Compare(y.from) })
		var cur span
		for i, s := range spans {
			switch {
			case i == 0:
				cur = s
			case !s.from.After(cur.to):
				if s.to.After(cur.to) {
					cur.to = s.to
				}
			default:
				at.Total += cur.to.Sub(cur.from)
				cur = s
			}
		}
		if len(spans) > 0 {
			at.Total += cur.to.Sub(cur.from)
		}
		sum.People = append(sum.People, *at)
		if at.InRoom {
			sum.InRoom++
		}
	}
	slices.SortFunc(sum.People, func(x, y Attendee) int {
		return cmp.Or(x.FirstJoin.Compare(y.FirstJoin), cmp.Compare(x.CustomID, y.CustomID))
	})
	return sum
}

// firstJoinIn is the earliest join time recorded in session id.
func (a *Attendance) firstJoinIn(id string) time.Time {
	var t time.Time
	for _, p := range a.Peers {
		if p.SessionID == id {
			earlier(&t, p.JoinedAt)
		}
	}
	return t
}
