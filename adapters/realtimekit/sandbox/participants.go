package sandbox

import (
	"net/http"
	"slices"
	"time"
)

type participant struct {
	ID         string
	MeetingID  string
	CustomID   string
	PresetName string
	Name       string
	Picture    string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	tokens     int
}

// participantJSON is a participant as RealtimeKit renders it. Token is set
// only by the calls that issue one (add and edit); list and get never
// carry a token.
type participantJSON struct {
	ID                  string  `json:"id"`
	Token               string  `json:"token,omitempty"`
	CustomParticipantID string  `json:"custom_participant_id"`
	PresetName          string  `json:"preset_name"`
	Name                *string `json:"name"`
	Picture             *string `json:"picture"`
	CreatedAt           string  `json:"created_at"`
	UpdatedAt           string  `json:"updated_at"`
}

func (p *participant) json(token string) participantJSON {
	return participantJSON{
		ID: p.ID, Token: token, CustomParticipantID: p.CustomID, PresetName: p.PresetName,
		Name: nullable(p.Name), Picture: nullable(p.Picture),
		CreatedAt: isoTime(p.CreatedAt), UpdatedAt: isoTime(p.UpdatedAt),
	}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// findParticipant returns the meeting and participant named by the path, or
// answers 404. Callers hold s.mu.
func (s *Server) findParticipant(w http.ResponseWriter, r *http.Request) (*meeting, *participant, bool) {
	m, ok := s.findMeeting(w, r)
	if !ok {
		return nil, nil, false
	}
	p, ok := m.participants[r.PathValue("participant")]
	if !ok {
		writeError(w, http.StatusNotFound, "participant not found")
		return nil, nil, false
	}
	return m, p, true
}

type participantBody struct {
	CustomParticipantID *string `json:"custom_participant_id"`
	PresetName          *string `json:"preset_name"`
	Name                *string `json:"name"`
	Picture             *string `json:"picture"`
}

// addParticipant handles POST /meetings/{id}/participants. Participants may
// be added to INACTIVE meetings (that is how a bot provisions ahead of the
// window); they just cannot join until the meeting is ACTIVE.
func (s *Server) addParticipant(w http.ResponseWriter, r *http.Request) {
	var body participantBody
	if !decodeBody(w, r, &body) {
		return
	}
	if body.CustomParticipantID == nil || *body.CustomParticipantID == "" {
		writeError(w, http.StatusBadRequest, "custom_participant_id is required")
		return
	}
	if body.PresetName == nil || *body.PresetName == "" {
		writeError(w, http.StatusBadRequest, "preset_name is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.findMeeting(w, r)
	if !ok {
		return
	}
	if _, ok := s.presetByName(*body.PresetName); !ok {
		writeError(w, http.StatusBadRequest, "preset not found: "+*body.PresetName)
		return
	}
	for _, p := range m.participants {
		if p.CustomID == *body.CustomParticipantID {
			writeError(w, http.StatusConflict, "a participant with this custom_participant_id already exists in the meeting")
			return
		}
	}
	now := s.now().UTC()
	p := &participant{
		ID: newUUID(), MeetingID: m.ID, CustomID: *body.CustomParticipantID,
		PresetName: *body.PresetName, CreatedAt: now, UpdatedAt: now,
	}
	if body.Name != nil {
		p.Name = *body.Name
	}
	if body.Picture != nil {
		p.Picture = *body.Picture
	}
	m.participants[p.ID] = p
	m.order = append(m.order, p.ID)
	writeData(w, http.StatusCreated, p.json(s.issueToken(p)))
}

func (s *Server) listParticipants(w http.ResponseWriter, r *http.Request) {
	page, perPage, ok := pageQuery(w, r.URL.Query())
	if !ok {
		return
	}
	s.mu.Lock()
	m, ok := s.findMeeting(w, r)
	if !ok {
		s.mu.Unlock()
		return
	}
	all := make([]participantJSON, 0, len(m.order))
	for _, id := range m.order {
		all = append(all, m.participants[id].json(""))
	}
	s.mu.Unlock()
	items, p := pageOf(all, page, perPage)
	writeList(w, nonNil(items), p)
}

func (s *Server) getParticipant(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, p, ok := s.findParticipant(w, r); ok {
		writeData(w, http.StatusOK, p.json(""))
	}
}

// editParticipant handles PATCH …/participants/{pid}: name, picture,
// preset_name. Like RealtimeKit it answers with a token, a new one here.
func (s *Server) editParticipant(w http.ResponseWriter, r *http.Request) {
	var body participantBody
	if !decodeBody(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, p, ok := s.findParticipant(w, r)
	if !ok {
		return
	}
	if body.PresetName != nil {
		if _, ok := s.presetByName(*body.PresetName); !ok {
			writeError(w, http.StatusBadRequest, "preset not found: "+*body.PresetName)
			return
		}
		p.PresetName = *body.PresetName
	}
	if body.Name != nil {
		p.Name = *body.Name
	}
	if body.Picture != nil {
		p.Picture = *body.Picture
	}
	p.UpdatedAt = s.now().UTC()
	writeData(w, http.StatusOK, p.json(s.issueToken(p)))
}

// deleteParticipant handles DELETE …/participants/{pid}. It revokes every
// token of the participant (they no longer join) but, like RealtimeKit's
// documented behaviour, does not kick it from a live session.
func (s *Server) deleteParticipant(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, p, ok := s.findParticipant(w, r)
	if !ok {
		return
	}
	delete(m.participants, p.ID)
	m.order = slices.DeleteFunc(m.order, func(id string) bool { return id == p.ID })
	pr, _ := s.presetByName(p.PresetName)
	writeData(w, http.StatusOK, map[string]any{
		"custom_participant_id": p.CustomID,
		"preset_id":             pr.ID,
		"created_at":            isoTime(p.CreatedAt),
		"updated_at":            isoTime(p.UpdatedAt),
	})
}

// refreshToken handles POST …/participants/{pid}/token. Earlier tokens stay
// valid, as RealtimeKit documents.
func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, p, ok := s.findParticipant(w, r); ok {
		writeData(w, http.StatusOK, map[string]string{"token": s.issueToken(p)})
	}
}

// getActiveSession answers 404 when no session is live: RealtimeKit leaves
// that case undocumented, and 404 is the stricter reading.
func (s *Server) getActiveSession(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.findMeeting(w, r)
	if !ok {
		return
	}
	ss := m.session
	if ss == nil {
		writeError(w, http.StatusNotFound, "no active session for this meeting")
		return
	}
	now := s.now().UTC()
	writeData(w, http.StatusOK, map[string]any{
		"id":                          ss.ID,
		"associated_id":               m.ID,
		"status":                      "LIVE",
		"type":                        "meeting",
		"live_participants":           len(ss.live),
		"max_concurrent_participants": ss.maxLive,
		"minutes_consumed":            now.Sub(ss.StartedAt).Minutes() * float64(len(ss.live)),
		"started_at":                  isoTime(ss.StartedAt),
		"created_at":                  isoTime(ss.StartedAt),
		"updated_at":                  isoTime(now),
		"meeting_display_name":        m.Title,
		"organization_id":             "sandbox",
		"breakout_rooms":              []any{},
	})
}

// kickAll ends the live session. With none live it answers 404.
func (s *Server) kickAll(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.findMeeting(w, r)
	if !ok {
		return
	}
	if m.session == nil {
		writeError(w, http.StatusNotFound, "no active session for this meeting")
		return
	}
	n := len(m.session.live)
	s.endSessionLocked(m, ReasonHostEnded)
	m.kickAlls++
	writeData(w, http.StatusOK, map[string]any{"action": "kick_all", "kicked_participants_count": n})
}

type kickBody struct {
	ParticipantIDs       []string `json:"participant_ids"`
	CustomParticipantIDs []string `json:"custom_participant_ids"`
}

// kick removes the named participants (by id or custom id) from the live
// session. No live session, or none of them in it, answers 404.
func (s *Server) kick(w http.ResponseWriter, r *http.Request) {
	var body kickBody
	if !decodeBody(w, r, &body) {
		return
	}
	if len(body.ParticipantIDs) == 0 && len(body.CustomParticipantIDs) == 0 {
		writeError(w, http.StatusBadRequest, "participant_ids or custom_participant_ids is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.findMeeting(w, r)
	if !ok {
		return
	}
	if m.session == nil {
		writeError(w, http.StatusNotFound, "no active session for this meeting")
		return
	}
	var kicked []map[string]any
	m.session.live = slices.DeleteFunc(m.session.live, func(id string) bool {
		p := m.participants[id]
		hit := slices.Contains(body.ParticipantIDs, id) ||
			(p != nil && slices.Contains(body.CustomParticipantIDs, p.CustomID))
		if hit {
			s.kickParticipantLocked(m, id)
			k := map[string]any{"id": id, "created_at": isoTime(s.now()), "updated_at": isoTime(s.now())}
			if p != nil {
				k["name"] = p.Name
			}
			kicked = append(kicked, k)
		}
		return hit
	})
	if len(kicked) == 0 {
		writeError(w, http.StatusNotFound, "none of the given participants is in the active session")
		return
	}
	if len(m.session.live) == 0 {
		s.endSessionLocked(m, ReasonAllLeft)
	}
	writeData(w, http.StatusOK, map[string]any{"action": "kick", "participants": kicked})
}
