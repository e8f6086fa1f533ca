package sandbox

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Meeting statuses, as RealtimeKit spells them.
const (
	StatusActive   = "ACTIVE"
	StatusInactive = "INACTIVE"
)

type meeting struct {
	ID        string
	Title     string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
	// participants by id, and their ids in creation order for stable lists.
	participants map[string]*participant
	order        []string
	session      *session
	kickAlls     int
}

type preset struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

type session struct {
	ID        string
	StartedAt time.Time
	EndedAt   time.Time // zero while live
	live      []string  // participant ids, in joining order
	maxLive   int
	peers     []*peer // every peer that joined, in joining order
}

// sessionRef finds a session (live or ended) by id for the sessions API.
type sessionRef struct {
	meeting string
	session *session
}

// meetingJSON is a meeting as RealtimeKit renders it.
type meetingJSON struct {
	ID                         string  `json:"id"`
	Title                      string  `json:"title"`
	Status                     string  `json:"status"`
	CreatedAt                  string  `json:"created_at"`
	UpdatedAt                  string  `json:"updated_at"`
	RecordOnStart              bool    `json:"record_on_start"`
	LiveStreamOnStart          bool    `json:"live_stream_on_start"`
	PersistChat                bool    `json:"persist_chat"`
	SummarizeOnEnd             bool    `json:"summarize_on_end"`
	SessionKeepAliveTimeInSecs float64 `json:"session_keep_alive_time_in_secs"`
}

func (m *meeting) json() meetingJSON {
	return meetingJSON{
		ID: m.ID, Title: m.Title, Status: m.Status,
		CreatedAt: isoTime(m.CreatedAt), UpdatedAt: isoTime(m.UpdatedAt),
		SessionKeepAliveTimeInSecs: 60,
	}
}

// MeetingInfo is what tests can see of a meeting without an API call.
type MeetingInfo struct {
	ID     string
	Title  string
	Status string // StatusActive or StatusInactive
	// Participants counts the meeting's (not deleted) participants.
	Participants int
	// Roster lists them in creation order.
	Roster []ParticipantInfo
	// Live holds the participant ids in the live session, nil when no
	// session is live.
	Live []string
	// KickAlls counts successful kick-all requests.
	KickAlls  int
	CreatedAt time.Time
}

// ParticipantInfo is what tests can see of a participant.
type ParticipantInfo struct {
	ID         string
	CustomID   string
	Name       string
	PresetName string
	// Tokens counts the tokens issued to the participant (add, edit and
	// refresh each issue one).
	Tokens int
}

func (m *meeting) info() MeetingInfo {
	mi := MeetingInfo{
		ID: m.ID, Title: m.Title, Status: m.Status,
		Participants: len(m.participants), KickAlls: m.kickAlls, CreatedAt: m.CreatedAt,
	}
	for _, id := range m.order {
		p := m.participants[id]
		mi.Roster = append(mi.Roster, ParticipantInfo{
			ID: p.ID, CustomID: p.CustomID, Name: p.Name, PresetName: p.PresetName, Tokens: p.tokens,
		})
	}
	if m.session != nil {
		mi.Live = slices.Clone(m.session.live)
	}
	return mi
}

// Meeting returns a snapshot of meeting id.
func (s *Server) Meeting(id string) (MeetingInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetings[id]
	if !ok {
		return MeetingInfo{}, false
	}
	return m.info(), true
}

// Meetings returns a snapshot of every meeting, oldest first.
func (s *Server) Meetings() []MeetingInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]MeetingInfo, 0, len(s.meetings))
	for _, m := range s.sortedMeetings() {
		out = append(out, m.info())
	}
	return out
}

// sortedMeetings returns the meetings oldest first (ties broken by id, so
// paging is stable). Callers hold s.mu.
func (s *Server) sortedMeetings() []*meeting {
	ms := make([]*meeting, 0, len(s.meetings))
	for _, m := range s.meetings {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *meeting) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ms
}

// findMeeting returns the meeting named by the path, or answers 404. Callers
// hold s.mu.
func (s *Server) findMeeting(w http.ResponseWriter, r *http.Request) (*meeting, bool) {
	m, ok := s.meetings[r.PathValue("meeting")]
	if !ok {
		writeError(w, http.StatusNotFound, "meeting not found")
	}
	return m, ok
}

type meetingBody struct {
	Title *string `json:"title"`
	// Status is read by PATCH only; RealtimeKit's create body has none.
	Status *string `json:"status"`
}

// createMeeting handles POST /meetings. New meetings are ACTIVE, as
// RealtimeKit's presumably are; the create body carries no status.
func (s *Server) createMeeting(w http.ResponseWriter, r *http.Request) {
	var body meetingBody
	if !decodeBody(w, r, &body) {
		return
	}
	now := s.now().UTC()
	m := &meeting{
		ID: newUUID(), Status: StatusActive, CreatedAt: now, UpdatedAt: now,
		participants: map[string]*participant{},
	}
	if body.Title != nil {
		m.Title = *body.Title
	}
	s.mu.Lock()
	s.meetings[m.ID] = m
	out := m.json()
	s.mu.Unlock()
	writeData(w, http.StatusCreated, out)
}

// listMeetings handles GET /meetings with search (a case-insensitive
// substring of the title or the id), page_no and per_page.
func (s *Server) listMeetings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, perPage, ok := pageQuery(w, q)
	if !ok {
		return
	}
	search := strings.ToLower(q.Get("search"))
	s.mu.Lock()
	var all []meetingJSON
	for _, m := range s.sortedMeetings() {
		if search == "" || strings.Contains(strings.ToLower(m.Title), search) || strings.Contains(m.ID, search) {
			all = append(all, m.json())
		}
	}
	s.mu.Unlock()
	items, p := pageOf(all, page, perPage)
	writeList(w, nonNil(items), p)
}

func (s *Server) getMeeting(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.findMeeting(w, r)
	if !ok {
		return
	}
	writeData(w, http.StatusOK, m.json())
}

// updateMeeting handles PATCH /meetings/{id}: title and status. Changing
// the status does not touch a live session; RealtimeKit needs kick-all for
// that.
func (s *Server) updateMeeting(w http.ResponseWriter, r *http.Request) {
	var body meetingBody
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Status != nil && *body.Status != StatusActive && *body.Status != StatusInactive {
		writeError(w, http.StatusBadRequest, `status must be "ACTIVE" or "INACTIVE"`)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.findMeeting(w, r)
	if !ok {
		return
	}
	if body.Title != nil {
		m.Title = *body.Title
	}
	if body.Status != nil {
		m.Status = *body.Status
	}
	m.UpdatedAt = s.now().UTC()
	writeData(w, http.StatusOK, m.json())
}

type presetJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

func (s *Server) listPresets(w http.ResponseWriter, r *http.Request) {
	page, perPage, ok := pageQuery(w, r.URL.Query())
	if !ok {
		return
	}
	s.mu.Lock()
	all := make([]presetJSON, 0, len(s.presets))
	for _, p := range s.presets {
		all = append(all, presetJSON{ID: p.ID, Name: p.Name, CreatedAt: isoTime(p.CreatedAt), UpdatedAt: isoTime(p.UpdatedAt)})
	}
	s.mu.Unlock()
	items, p := pageOf(all, page, perPage)
	writeList(w, nonNil(items), p)
}

// presetByName returns the preset called name. Callers hold s.mu.
func (s *Server) presetByName(name string) (preset, bool) {
	for _, p := range s.presets {
		if p.Name == name {
			return p, true
		}
	}
	return preset{}, false
}

// nonNil makes an empty list render as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
