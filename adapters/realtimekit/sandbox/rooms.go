package sandbox

import (
	"errors"
	"slices"
	"time"
)

// Reasons meeting.ended carries, as RealtimeKit spells them.
const (
	ReasonAllLeft   = "ALL_PARTICIPANTS_LEFT"
	ReasonHostEnded = "HOST_ENDED_MEETING"
)

// ErrNoSuchPeer is returned by LeaveRoom for a peer that is not in the
// room's live session.
var ErrNoSuchPeer = errors.New("sandbox: no such peer in the live session")

// peer is one device's presence in a session: one participant on two
// devices is two peers.
type peer struct {
	ID            string
	ParticipantID string
	CustomID      string
	Name          string
	Preset        string
	JoinedAt      time.Time
	LeftAt        time.Time // zero while in the room
}

// endSessionLocked ends m's live session for reason: every peer still in
// it leaves (participantLeft each), then meeting.ended, then, when turned
// on, the recording and the summary. Callers hold s.mu.
func (s *Server) endSessionLocked(m *meeting, reason string) {
	ss := m.session
	if ss == nil {
		return
	}
	now := s.now().UTC()
	for _, p := range ss.peers {
		if p.LeftAt.IsZero() {
			p.LeftAt = now
			s.emitLocked(EventParticipantLeft, m, ss, p, nil)
		}
	}
	ss.live = nil
	ss.EndedAt = now
	m.session = nil
	s.emitLocked(EventMeetingEnded, m, ss, nil, map[string]any{"reason": reason})
	s.afterEndLocked(m, ss)
}

// enterLocked adds a peer for participant p to m's live session, starting
// one (meeting.started) if none is live, and emits participantJoined.
// Callers hold s.mu and have checked that p may join.
func (s *Server) enterLocked(m *meeting, p *participant) *peer {
	now := s.now().UTC()
	if m.session == nil {
		ss := &session{ID: newUUID(), StartedAt: now}
		m.session = ss
		s.sessions[ss.ID] = sessionRef{meeting: m.ID, session: ss}
		s.emitLocked(EventMeetingStarted, m, ss, nil, nil)
	}
	ss := m.session
	pr := &peer{ID: newUUID(), ParticipantID: p.ID, CustomID: p.CustomID, Name: p.Name, Preset: p.PresetName, JoinedAt: now}
	ss.peers = append(ss.peers, pr)
	if !slices.Contains(ss.live, p.ID) {
		ss.live = append(ss.live, p.ID)
		ss.maxLive = max(ss.maxLive, len(ss.live))
	}
	s.emitLocked(EventParticipantJoined, m, ss, pr, nil)
	return pr
}

// leaveLocked takes peer pr out of m's live session (participantLeft);
// the participant stays live while another of its peers is, and the
// session ends when nobody is left. Callers hold s.mu.
func (s *Server) leaveLocked(m *meeting, pr *peer) {
	ss := m.session
	pr.LeftAt = s.now().UTC()
	s.emitLocked(EventParticipantLeft, m, ss, pr, nil)
	if !slices.ContainsFunc(ss.peers, func(o *peer) bool { return o.ParticipantID == pr.ParticipantID && o.LeftAt.IsZero() }) {
		ss.live = slices.DeleteFunc(ss.live, func(id string) bool { return id == pr.ParticipantID })
	}
	if len(ss.live) == 0 {
		s.endSessionLocked(m, ReasonAllLeft)
	}
}

// kickParticipantLocked takes every live peer of participant id out of the
// session (participantLeft each) without ending it. Callers hold s.mu.
func (s *Server) kickParticipantLocked(m *meeting, id string) {
	ss := m.session
	now := s.now().UTC()
	for _, p := range ss.peers {
		if p.ParticipantID == id && p.LeftAt.IsZero() {
			p.LeftAt = now
			s.emitLocked(EventParticipantLeft, m, ss, p, nil)
		}
	}
}

// EnterRoom makes participant participantID of meeting roomID join from a
// new device, as a RealtimeKit client would: the first peer starts the
// session (meeting.started), and each emits meeting.participantJoined to
// the registered webhooks. Joining again is another peer (a second
// device). It refuses what Join refuses. The peer id it returns leaves
// with LeaveRoom.
func (s *Server) EnterRoom(roomID, participantID string) (peerID string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetings[roomID]
	if !ok {
		return "", ErrMeetingNotFound
	}
	p, ok := m.participants[participantID]
	switch {
	case !ok:
		return "", ErrParticipantGone
	case p.Name == "":
		return "", ErrNoName
	case m.Status != StatusActive:
		return "", ErrMeetingInactive
	}
	return s.enterLocked(m, p).ID, nil
}

// EnterRoomAs is EnterRoom for the participant whose custom_participant_id
// is customID (the console's ":join" knows users, not participant ids).
func (s *Server) EnterRoomAs(roomID, customID string) (peerID string, err error) {
	s.mu.Lock()
	m, ok := s.meetings[roomID]
	var pid string
	if ok {
		for _, p := range m.participants {
			if p.CustomID == customID {
				pid = p.ID
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		return "", ErrMeetingNotFound
	}
	if pid == "" {
		return "", ErrParticipantGone
	}
	return s.EnterRoom(roomID, pid)
}

// LeaveRoom makes peer peerID leave meeting roomID's live session
// (meeting.participantLeft); the last one out ends the session
// (meeting.ended, reason ALL_PARTICIPANTS_LEFT), after which the recording
// and summary follow when turned on (SetAfterEnd).
func (s *Server) LeaveRoom(roomID, peerID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetings[roomID]
	if !ok {
		return ErrMeetingNotFound
	}
	if m.session == nil {
		return ErrNoSuchPeer
	}
	for _, p := range m.session.peers {
		if p.ID == peerID && p.LeftAt.IsZero() {
			s.leaveLocked(m, p)
			return nil
		}
	}
	return ErrNoSuchPeer
}

// LivePeers returns the peer ids in roomID's live session, in joining order.
func (s *Server) LivePeers(roomID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetings[roomID]
	if !ok || m.session == nil {
		return nil
	}
	var out []string
	for _, p := range m.session.peers {
		if p.LeftAt.IsZero() {
			out = append(out, p.ID)
		}
	}
	return out
}
