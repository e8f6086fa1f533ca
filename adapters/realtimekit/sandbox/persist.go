package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// stateVersion is the layout of a state file; a file of another version is
// refused rather than half read.
const stateVersion = 1

// state is what a persistent Server keeps on disk: its meetings with their
// participants, its presets, and its token key (so tokens issued before a
// restart still verify). Live sessions are not kept: a restart ends them,
// as a RealtimeKit outage would.
type state struct {
	Version  int             `json:"version"`
	Key      []byte          `json:"key"`
	Presets  []preset        `json:"presets"`
	Meetings []meetingRecord `json:"meetings"`
}

type meetingRecord struct {
	ID           string              `json:"id"`
	Title        string              `json:"title"`
	Status       string              `json:"status"`
	CreatedAt    time.Time           `json:"created_at"`
	UpdatedAt    time.Time           `json:"updated_at"`
	KickAlls     int                 `json:"kick_alls,omitempty"`
	Participants []participantRecord `json:"participants"`
}

// participantRecord is a participant with its token count, which the
// participant keeps unexported.
type participantRecord struct {
	participant
	Tokens int `json:"tokens"`
}

// Open returns a Server that keeps its meetings and participants in the
// file at path: it loads what the file holds (none if it does not exist
// yet) and rewrites the file after every request that changes something.
// Local mode uses it so that a restart of meetbot finds the rooms it
// recorded in its own store, instead of 404s for all of them.
func Open(path string, opts Options) (*Server, error) {
	s := New(opts)
	s.statePath = path
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, s.save()
	case err != nil:
		return nil, fmt.Errorf("sandbox: read state: %w", err)
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("sandbox: state file %s is not valid JSON: %w", path, err)
	}
	if st.Version != stateVersion || len(st.Key) != 32 {
		return nil, fmt.Errorf("sandbox: state file %s has version %d (want %d) or no key; move it away to start empty", path, st.Version, stateVersion)
	}
	s.key = st.Key
	if len(st.Presets) > 0 {
		s.presets = st.Presets
	}
	for _, r := range st.Meetings {
		m := &meeting{ID: r.ID, Title: r.Title, Status: r.Status, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
			kickAlls: r.KickAlls, participants: map[string]*participant{}}
		for _, pr := range r.Participants {
			p := pr.participant
			p.tokens = pr.Tokens
			m.participants[p.ID] = &p
			m.order = append(m.order, p.ID)
		}
		s.meetings[m.ID] = m
	}
	return s, nil
}

// snapshot copies the state out. Callers hold s.mu.
func (s *Server) snapshot() state {
	st := state{Version: stateVersion, Key: s.key, Presets: s.presets}
	for _, m := range s.sortedMeetings() {
		r := meetingRecord{ID: m.ID, Title: m.Title, Status: m.Status, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, KickAlls: m.kickAlls}
		for _, id := range m.order {
			if p, ok := m.participants[id]; ok {
				r.Participants = append(r.Participants, participantRecord{participant: *p, Tokens: p.tokens})
			}
		}
		st.Meetings = append(st.Meetings, r)
	}
	return st
}

// save writes the state file, when there is one, through a temporary file
// and a rename, so a crash mid-write leaves the previous state whole.
// saveMu orders saves: a later save always writes a newer snapshot.
func (s *Server) save() error {
	if s.statePath == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	b, err := json.Marshal(s.snapshot())
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sandbox: encode state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.statePath), ".sandbox-*.tmp")
	if err != nil {
		return fmt.Errorf("sandbox: write state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("sandbox: write state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sandbox: write state: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.statePath); err != nil {
		return fmt.Errorf("sandbox: write state: %w", err)
	}
	return nil
}

// saveAfter saves the state after a request that may have changed it
// (anything but a GET), logging a failure: the answer already went out.
func (s *Server) saveAfter(r *http.Request) {
	if s.statePath == "" || r.Method == http.MethodGet {
		return
	}
	if err := s.save(); err != nil {
		s.log.Error().Err(err).Msg("sandbox state not saved; a restart may lose rooms")
	}
}
