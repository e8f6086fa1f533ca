package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// RoomNotice tells a chat adapter what happened in a meeting's room. The
// card itself is redrawn through CardKeeper (coalesced); a notice carries
// what is posted besides: a recording's personal links, a summary, and,
// for adapters that print every event (the console), joins and leaves.
type RoomNotice struct {
	Kind       RoomEventKind
	Meeting    *Meeting
	Occurrence Occurrence
	// State is the room as it is after the event.
	State RoomState
	// Person is who joined or left, for participant events.
	Person *Attendee
	// Links are personal links to the recording page, by user id, for
	// RecordingReady: each goes to that user only (a DM).
	Links map[string]string
	// ChannelNote asks for a note in the meeting's channel (a recording of
	// a meeting that is not private); it carries no link.
	ChannelNote bool
	// Summary is the AI summary text, for SummaryReady. To, when set, are
	// the only people it may go to (a private meeting's organizer), by
	// DM; otherwise it goes in the card's thread (Slack) or as a reply to
	// the card (Discord).
	Summary string
	To      []string
}

// RoomNotifier is implemented by notifiers that tell people about room
// events (see RoomNotice). A notifier without it gets only card redraws.
type RoomNotifier interface {
	RoomNotice(ctx context.Context, n RoomNotice) error
}

// liveRooms applies room events (webhooks, the poller) to attendance and
// tells the chat about them. It is the Service's RoomEventHandler.
type liveRooms struct {
	store      Store
	workspaces *workspaces
	notices    *notices
	insight    RoomInsight // nil: no recording links, no summaries on demand
	recLinks   *recordingSigner
	publicURL  string
	clock      Clock
	log        zerolog.Logger
	cards      *coalescer

	// sessions remembers which occurrence a session was attributed to, so
	// most events skip reading the meeting's records; bounded.
	mu       sync.Mutex
	sessions map[string]time.Time
	// users remembers custom_participant_id → chat user per meeting, so
	// a big meeting's joins do not each list its participants; bounded.
	users map[string]string
}

// maxSessionMemo bounds liveRooms.sessions and liveRooms.users; when one
// is full it starts over.
const maxSessionMemo = 10_000

// Compile-time check: the Service takes room events in.
var _ RoomEventHandler = (*Service)(nil)

// SetRoomInsight sets where recordings and summaries are fetched. It
// exists for tests and for wiring that builds the insight after the
// Service; NewService takes it from Deps.Insight or the Conference.
func (s *liveRooms) SetRoomInsight(ri RoomInsight) { s.insight = ri }

// HandleRoomEvent applies one room event. Deliveries are at least once and
// in any order: the event is merged into the occurrence's attendance record
// (see Attendance.Apply), so a duplicate changes nothing and order does
// not matter. An event for a room no meeting has (another app's) is
// ignored. It returns an error only when the store failed, so the caller
// may deliver the event again later.
func (s *liveRooms) HandleRoomEvent(ctx context.Context, ev RoomEvent) error {
	switch ev.Kind {
	case RoomStarted, ParticipantJoined, ParticipantLeft, RoomEnded, RecordingReady, SummaryReady:
	default:
		return nil
	}
	if ev.RoomID == "" {
		return nil
	}
	if ev.At.IsZero() {
		// A source without a time: now is close, and Apply keeps the
		// earliest report, so a later replay changes nothing.
		ev.At = s.clock.Now()
	}
	log := s.log.With().Str("room_event", string(ev.Kind)).Str("session", ev.SessionID).Logger()
	m, err := s.store.FindMeetingByRoom(ctx, ev.RoomID)
	if ErrorCode(err) == ENOTFOUND {
		log.Debug().Msg("room event for a room no meeting has; ignored")
		return nil
	}
	if err != nil {
		return fmt.Errorf("find the meeting of a room: %w", err)
	}
	log = log.With().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Logger()
	original, err := s.attribute(ctx, m, ev)
	if err != nil {
		return err
	}
	user := ""
	if ev.CustomParticipantID != "" {
		user = s.userOf(ctx, m, ev.CustomParticipantID)
	}
	changed := false
	rec, err := s.store.UpdateAttendance(ctx, m.Workspace, m.ID, original, func(a *Attendance) error {
		if !a.Apply(ev, user) {
			return ErrUnchanged
		}
		changed = true
		a.UpdatedAt = s.clock.Now()
		return nil
	})
	if ErrorCode(err) == ENOTFOUND {
		return nil // the meeting was deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("store attendance: %w", err)
	}
	s.remember(m, ev.SessionID, original)
	switch ev.Kind {
	case RecordingReady:
		if changed {
			s.recordingReady(ctx, m, rec, ev, log)
		}
		return nil
	case SummaryReady:
		return s.summaryReady(ctx, m, rec, ev, log)
	}
	if !changed {
		return nil // a duplicate: the card already shows it
	}
	s.cards.poke(meetingRef{ws: m.Workspace, id: m.ID})
	if _, ok := s.notices.notify.(RoomNotifier); !ok {
		return nil // nobody prints joins and leaves: the card is all
	}
	n := s.notice(ctx, m, rec, ev.Kind)
	if ev.Kind == ParticipantJoined || ev.Kind == ParticipantLeft {
		for _, p := range n.State.People {
			if p.CustomID == ev.CustomParticipantID {
				n.Person = &p
				break
			}
		}
	}
	s.tell(ctx, n, log)
	return nil
}

// attribute picks the occurrence an event belongs to: the one its session
// was already attributed to, else the occurrence whose window holds the
// session's start (or the event's time).
func (s *liveRooms) attribute(ctx context.Context, m *Meeting, ev RoomEvent) (time.Time, error) {
	if ev.SessionID != "" {
		s.mu.Lock()
		t, ok := s.sessions[sessionKey(m, ev.SessionID)]
		s.mu.Unlock()
		if ok {
			return t, nil
		}
		recs, err := s.store.ListAttendance(ctx, m.Workspace, m.ID)
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return time.Time{}, fmt.Errorf("list attendance: %w", err)
		}
		for _, r := range recs {
			if r.HasSession(ev.SessionID) {
				return r.Occurrence, nil
			}
		}
	}
	at := cmp.Or(ev.SessionStarted, ev.At, s.clock.Now())
	p := s.workspaces.policy(ctx, m.Workspace)
	return m.CurrentOccurrence(at, p.early, p.grace).Original, nil
}

// sessionKey names session id of m in liveRooms.sessions.
func sessionKey(m *Meeting, id string) string {
	return m.Workspace.String() + "\x00" + m.ID + "\x00" + id
}

// remember notes the occurrence of m's session id.
func (s *liveRooms) remember(m *Meeting, id string, original time.Time) {
	if id == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil || len(s.sessions) >= maxSessionMemo {
		s.sessions = map[string]time.Time{}
	}
	s.sessions[sessionKey(m, id)] = original
}

// userOf maps a custom_participant_id to the chat user meetbot made it for,
// or "" for a participant meetbot did not make. A miss lists the meeting's
// participants once and remembers them all.
func (s *liveRooms) userOf(ctx context.Context, m *Meeting, customID string) string {
	prefix := m.Workspace.String() + "\x00" + m.ID + "\x00"
	s.mu.Lock()
	u, ok := s.users[prefix+customID]
	s.mu.Unlock()
	if ok {
		return u
	}
	ps, err := s.store.ListParticipants(ctx, m.Workspace, m.ID)
	if err != nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == nil || len(s.users)+len(ps) > maxSessionMemo {
		s.users = map[string]string{}
	}
	for _, p := range ps {
		s.users[prefix+p.CustomID] = p.User.UserID
		if p.CustomID == customID {
			u = p.User.UserID
		}
	}
	return u
}

// notice builds the notice of kind for m from its record.
func (s *liveRooms) notice(ctx context.Context, m *Meeting, rec *Attendance, kind RoomEventKind) RoomNotice {
	st := s.stateOf(ctx, m, rec)
	return RoomNotice{Kind: kind, Meeting: m, Occurrence: st.Occurrence, State: st}
}

// tell hands n to the notifier when it takes room notices.
func (s *liveRooms) tell(ctx context.Context, n RoomNotice, log zerolog.Logger) {
	rn, ok := s.notices.notify.(RoomNotifier)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cardTimeout)
	defer cancel()
	if err := rn.RoomNotice(ctx, n); err != nil {
		log.Warn().Err(err).Msg("could not tell the chat about a room event")
	}
}

// FlushCards redraws now every card whose redraw the coalescer is still
// holding back (paced to one per CardEvery), and waits for redraws in
// progress, so a shutdown does not lose the last state of a live
// meeting's card. Call it once, when no more room events will come (after
// the HTTP server and the webhook loop have stopped) and before the chat
// adapters close; later room events no longer redraw cards. It returns
// how many cards were still pending when ctx ended (0: all landed).
func (s *liveRooms) FlushCards(ctx context.Context) int { return s.cards.drain(ctx) }

// flushCard redraws one meeting's card as it is now (the coalescer's
// flush). It reads the meeting afresh, so the last state always lands.
func (s *liveRooms) flushCard(key meetingRef) {
	ctx, cancel := context.WithTimeout(context.Background(), cardTimeout)
	defer cancel()
	m, err := s.store.FindMeetingByID(ctx, key.ws, key.id)
	if err != nil {
		if !errors.Is(err, context.Canceled) && ErrorCode(err) != ENOTFOUND {
			s.log.Warn().Err(err).Str("meeting", key.id).Msg("could not load a meeting to redraw its card")
		}
		return
	}
	s.notices.refreshCard(ctx, m, CardLive)
}

// RoomIdentity returns what a room simulator (local mode's sandbox) needs
// to let a enter meeting id's room as RealtimeKit would: the room and a's
// custom_participant_id. It goes through Join, so the same rules hold
// (who may join, the window) and a has a participant in the room.
func (s *Service) RoomIdentity(ctx context.Context, a Actor, id string) (roomID, customID string, err error) {
	link, err := s.Join(ctx, a, id)
	if err != nil {
		return "", "", err
	}
	return link.Meeting.RoomID, s.participants.customParticipantID(a.User), nil
}
