package sandbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// downloadLifetime is how long a download URL the sandbox hands out works.
const downloadLifetime = time.Hour

type recording struct {
	ID        string
	MeetingID string
	SessionID string
	Started   time.Time
	Stopped   time.Time
}

type download struct {
	body    string
	ctype   string
	expires time.Time
}

// SetAfterEnd turns on what follows a session's end: record makes each
// ended session an UPLOADED recording (recording.statusUpdate), summarize
// an AI summary (meeting.summary), as a meeting with record_on_start and
// summarize_on_end would.
func (s *Server) SetAfterEnd(record, summarize bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.record, s.summarize = record, summarize
}

// SetBaseURL sets the URL the sandbox is reached at, for the download URLs
// it hands out (recordings, summaries). Default: SandboxBaseURL.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseURL = strings.TrimSuffix(u, "/")
}

// SandboxBaseURL is the default base of download URLs.
const SandboxBaseURL = "http://sandbox.invalid"

// Summary returns the summary text of a session, for tests.
func (s *Server) Summary(sessionID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.summaries[sessionID]
	return t, ok
}

// afterEndLocked makes the recording and the summary of an ended session
// when turned on, and emits their webhooks. Callers hold s.mu.
func (s *Server) afterEndLocked(m *meeting, ss *session) {
	if s.record {
		rec := &recording{ID: newUUID(), MeetingID: m.ID, SessionID: ss.ID, Started: ss.StartedAt, Stopped: ss.EndedAt}
		s.recordings[rec.ID] = rec
		url, exp := s.newDownloadLocked("sandbox recording "+rec.ID+"\n", "video/mp4")
		s.emitLocked(EventRecordingStatus, m, ss, nil, map[string]any{"recording": map[string]any{
			"id": rec.ID, "recordingId": rec.ID, "status": "UPLOADED", "downloadUrl": url, "audioDownloadUrl": nil,
			"downloadUrlExpiry": isoTime(exp), "startedTime": isoTime(rec.Started), "stoppedTime": isoTime(rec.Stopped),
			"fileSize": "32", "outputFileName": rec.ID + ".mp4", "meetingId": m.ID,
			"recordingDuration": int(rec.Stopped.Sub(rec.Started).Seconds()), "organizationId": "sandbox", "roomUUID": m.ID,
		}})
	}
	if s.summarize {
		var names []string
		for _, p := range ss.peers {
			if !containsString(names, p.Name) {
				names = append(names, p.Name)
			}
		}
		text := fmt.Sprintf("Summary of %q (sandbox): %d attended (%s). Nothing was said: this is the sandbox.",
			m.Title, len(names), strings.Join(names, ", "))
		s.summaries[ss.ID] = text
		url, exp := s.newDownloadLocked(text, "text/plain; charset=utf-8")
		s.emitLocked(EventSummary, m, ss, nil, map[string]any{"summaryDownloadUrl": url, "summaryDownloadUrlExpiry": isoTime(exp)})
	}
}

func containsString(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// newDownloadLocked makes a fresh expiring URL for body. Callers hold s.mu.
func (s *Server) newDownloadLocked(body, ctype string) (string, time.Time) {
	tok := newUUID()
	exp := s.now().UTC().Add(downloadLifetime)
	s.downloads[tok] = download{body: body, ctype: ctype, expires: exp}
	base := s.baseURL
	if base == "" {
		base = SandboxBaseURL
	}
	return base + "/sandbox/downloads/" + tok, exp
}

// serveDownload answers a download URL: the content until it expires, then
// 403 as an expired presigned URL does.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	d, ok := s.downloads[r.PathValue("token")]
	now := s.now()
	s.mu.Unlock()
	switch {
	case !ok:
		http.Error(w, "no such download", http.StatusNotFound)
	case !now.Before(d.expires):
		http.Error(w, "download URL expired", http.StatusForbidden)
	default:
		w.Header().Set("Content-Type", d.ctype)
		_, _ = w.Write([]byte(d.body))
	}
}

// getRecording handles GET /recordings/{id} with a fresh download URL each
// time, as RealtimeKit's presigned URLs are.
func (s *Server) getRecording(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.recordings[r.PathValue("recording")]
	if !ok {
		writeError(w, http.StatusNotFound, "recording not found")
		return
	}
	url, exp := s.newDownloadLocked("sandbox recording "+rec.ID+"\n", "video/mp4")
	writeData(w, http.StatusOK, map[string]any{
		"id": rec.ID, "audio_download_url": nil, "download_url": url, "download_url_expiry": isoTime(exp),
		"file_size": 32, "invoked_time": isoTime(rec.Started), "output_file_name": rec.ID + ".mp4",
		"session_id": rec.SessionID, "started_time": isoTime(rec.Started), "status": "UPLOADED",
		"stopped_time": isoTime(rec.Stopped), "recording_duration": int(rec.Stopped.Sub(rec.Started).Seconds()),
	})
}

// findSession returns the session named by the path, live or ended, or
// answers 404. Callers hold s.mu.
func (s *Server) findSession(w http.ResponseWriter, r *http.Request) (*session, bool) {
	ref, ok := s.sessions[r.PathValue("session")]
	if !ok {
		writeError(w, http.StatusNotFound, "session not found")
	}
	return ref.session, ok
}

// getSessionParticipants handles GET /sessions/{id}/participants: one row
// per peer (the SDK: "Participant ID. This maps to the corresponding
// peerId"), with left_at null while in the room.
func (s *Server) getSessionParticipants(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.findSession(w, r)
	if !ok {
		return
	}
	now := s.now().UTC()
	rows := make([]map[string]any, 0, len(ss.peers))
	for _, p := range ss.peers {
		end, left := p.LeftAt, any(nil)
		if end.IsZero() {
			end = now
		} else {
			left = isoTime(p.LeftAt)
		}
		rows = append(rows, map[string]any{
			"id": p.ID, "custom_participant_id": p.CustomID, "display_name": p.Name, "preset_name": p.Preset,
			"joined_at": isoTime(p.JoinedAt), "left_at": left, "duration": end.Sub(p.JoinedAt).Minutes(),
			"created_at": isoTime(p.JoinedAt), "updated_at": isoTime(end), "user_id": p.ParticipantID,
		})
	}
	writeData(w, http.StatusOK, map[string]any{"participants": rows})
}

// getSessionSummary handles GET /sessions/{id}/summary: where to download
// the summary (camelCase keys, as the SDK's type has them), 404 when the
// session has none (summaries off, or still live).
func (s *Server) getSessionSummary(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.findSession(w, r)
	if !ok {
		return
	}
	text, ok := s.summaries[ss.ID]
	if !ok {
		writeError(w, http.StatusNotFound, "no summary for this session; is transcription enabled in the preset?")
		return
	}
	url, exp := s.newDownloadLocked(text, "text/plain; charset=utf-8")
	writeData(w, http.StatusOK, map[string]any{"sessionId": ss.ID, "summaryDownloadUrl": url, "summaryDownloadUrlExpiry": isoTime(exp)})
}

// Recordings returns the ids of roomID's recordings, oldest first.
func (s *Server) Recordings(roomID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var recs []*recording
	for _, r := range s.recordings {
		if r.MeetingID == roomID {
			recs = append(recs, r)
		}
	}
	slices.SortFunc(recs, func(a, b *recording) int { return a.Stopped.Compare(b.Stopped) })
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}
