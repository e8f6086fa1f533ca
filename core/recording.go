package core

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// RecordingLinkTTL is how long a personal recording link works. It is far
// longer than a join link's because opening it costs nothing secret: the
// page checks the person again and asks RealtimeKit for a fresh download
// URL each time, so the expiring upstream URL never sits in a chat.
const RecordingLinkTTL = 7 * 24 * time.Hour

// secretRecordingLink names the key recording links are signed with. It is
// not the join-link key, so neither kind of code passes for the other.
const secretRecordingLink = "recording-link-key"

// RecordingClaims is what a personal recording link names: whose it is,
// which recording of which meeting, until when.
type RecordingClaims struct {
	Platform  Platform `json:"p"`
	Workspace string   `json:"w"`
	Meeting   string   `json:"m"`
	Recording string   `json:"r"`
	User      string   `json:"u"`
	Expires   int64    `json:"e"` // unix seconds
}

// recordingSigner signs and verifies recording-link codes (HMAC-SHA256).
type recordingSigner struct{ key []byte }

func (s *recordingSigner) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("meetbot-recording-v1\x00"))
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// sign returns an opaque URL-safe code for c.
func (s *recordingSigner) sign(c RecordingClaims) string {
	body, _ := json.Marshal(c) // strings and an int: cannot fail
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

// verify checks the code's signature and expiry at now.
func (s *recordingSigner) verify(code string, now time.Time) (RecordingClaims, error) {
	bad := Errorf(EFORBIDDEN, "This recording link is not valid. Ask the meeting's organizer for the recording.")
	if len(code) == 0 || len(code) > maxCodeLen {
		return RecordingClaims{}, bad
	}
	payload, sig, ok := strings.Cut(code, ".")
	if !ok {
		return RecordingClaims{}, bad
	}
	got, err := decodeCode(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return RecordingClaims{}, bad
	}
	body, err := decodeCode(payload)
	if err != nil {
		return RecordingClaims{}, bad
	}
	var c RecordingClaims
	if err := json.Unmarshal(body, &c); err != nil || c.Meeting == "" || c.User == "" || c.Recording == "" {
		return RecordingClaims{}, bad
	}
	if now.Unix() >= c.Expires {
		return c, Errorf(EINVALID, "This recording link has expired (they last %s). Ask the meeting's organizer for the recording.", HumanDuration(RecordingLinkTTL))
	}
	return c, nil
}

// recordingLink returns user's personal link to recording id of m.
func (s *liveRooms) recordingLink(m *Meeting, id, user string) string {
	code := s.recLinks.sign(RecordingClaims{
		Platform: m.Workspace.Platform, Workspace: m.Workspace.ID, Meeting: m.ID, Recording: id, User: user,
		Expires: s.clock.Now().Add(RecordingLinkTTL).Unix(),
	})
	return strings.TrimRight(s.publicURL, "/") + "/r/" + url.PathEscape(code)
}

// recordingReady tells the organizer (a personal link, by DM) and, for a
// meeting that is not private, the channel (a note without a link) that a
// recording is ready, when the workspace turned recordings on.
func (s *liveRooms) recordingReady(ctx context.Context, m *Meeting, rec *Attendance, ev RoomEvent, log zerolog.Logger) {
	w, err := s.workspaces.storedWorkspace(ctx, m.Workspace)
	if err != nil || !w.Recordings {
		log.Info().Msg("recording uploaded; recordings are off in this workspace, so nobody is told")
		return
	}
	n := s.notice(ctx, m, rec, RecordingReady)
	n.Links = map[string]string{m.Organizer: s.recordingLink(m, ev.RecordingID, m.Organizer)}
	n.ChannelNote = !m.Private
	s.tell(ctx, n, log)
}

// OpenRecording checks a recording link at this moment (signature, expiry,
// the person's standing in the meeting, the workspace setting) and returns
// a fresh download URL for the page to redirect to. The URL is a secret:
// the caller redirects to it and never shows or logs it.
func (s *liveRooms) OpenRecording(ctx context.Context, code string) (string, error) {
	c, err := s.recLinks.verify(code, s.clock.Now())
	if err != nil {
		return "", err
	}
	ws := WorkspaceKey{Platform: c.Platform, ID: c.Workspace}
	m, err := findMeeting(ctx, s.store, ws, c.Meeting)
	if err != nil {
		return "", err
	}
	if m.IsRemoved(c.User) || !mayUseLink(m, c.User) {
		return "", Errorf(EFORBIDDEN, "This recording is for the meeting's invitees only, and this link is not yours to use.")
	}
	w, err := s.workspaces.storedWorkspace(ctx, ws)
	if err != nil {
		return "", err
	}
	if !w.Recordings {
		return "", Errorf(EFORBIDDEN, "Recordings are turned off in this workspace, so this link no longer works.")
	}
	if s.insight == nil {
		return "", Errorf(EUNAVAILABLE, "The video service cannot hand out recordings right now. Try again later.")
	}
	u, _, err := s.insight.RecordingURL(ctx, c.Recording)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return "", Errorf(ENOTFOUND, "This recording is no longer available.")
		}
		return "", err
	}
	if u == "" {
		return "", Errorf(EUNAVAILABLE, "The video service has no download for this recording yet. Try again in a minute.")
	}
	return u, nil
}

// errNoSummaryWhy is the reason given when RealtimeKit has no summary.
const errNoSummaryWhy = "RealtimeKit makes one only when transcription and summaries are enabled in the meeting's preset, and only after the meeting ends"

// Summary returns the AI summary of meeting id's last session, for
// "/meet summary". A private meeting's summary is for its invitees and
// hosts only. When there is none it says why.
func (s *liveRooms) Summary(ctx context.Context, a Actor, m *Meeting) (string, error) {
	if m.Private && !m.IsInvited(a.User.UserID) {
		return "", Errorf(EFORBIDDEN, "Meeting %s is private: its summary is for its invitees and hosts only.", m.ID)
	}
	w, err := s.workspaces.storedWorkspace(ctx, m.Workspace)
	if err != nil {
		return "", err
	}
	if !w.Summaries {
		return "", Errorf(EFORBIDDEN, "Summaries are off in this workspace; an admin can turn them on with \"/meet settings summaries on\".")
	}
	recs, err := s.store.ListAttendance(ctx, m.Workspace, m.ID)
	if err != nil && ErrorCode(err) != ENOTFOUND {
		return "", err
	}
	var sessions []string
	for _, r := range recs {
		for i := len(r.Sessions) - 1; i >= 0; i-- {
			if id := r.Sessions[i].ID; id != "~" {
				sessions = append(sessions, id)
			}
		}
	}
	if len(sessions) == 0 {
		return "", Errorf(ENOTFOUND, "Meeting %s has had no session yet, so there is no summary. %s.", m.ID, errNoSummaryWhy)
	}
	if s.insight == nil {
		return "", Errorf(EUNAVAILABLE, "The video service cannot hand out summaries right now. Try again later.")
	}
	for i, id := range sessions {
		if i == 3 {
			break // the last few sessions: an older summary is not what was asked for
		}
		text, err := s.insight.Summary(ctx, id)
		if err == nil && strings.TrimSpace(text) != "" {
			return text, nil
		}
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return "", err
		}
	}
	return "", Errorf(ENOTFOUND, "There is no summary of meeting %s. %s.", m.ID, errNoSummaryWhy)
}

// summaryTTL is how long a posted summary is remembered, so a replayed
// summary event is not posted twice.
const summaryTTL = 30 * 24 * time.Hour

// summaryReady posts a session's summary when the workspace turned
// summaries on: in the card's thread, or to the organizer alone for a
// private meeting. A failed download returns an error, so the event is
// delivered again; a summary is posted once.
func (s *liveRooms) summaryReady(ctx context.Context, m *Meeting, rec *Attendance, ev RoomEvent, log zerolog.Logger) error {
	w, err := s.workspaces.storedWorkspace(ctx, m.Workspace)
	if err != nil || !w.Summaries {
		log.Info().Msg("summary ready; summaries are off in this workspace, so it is not posted")
		return nil
	}
	if s.insight == nil || ev.DownloadURL == "" {
		log.Warn().Msg("summary ready but it cannot be downloaded (no video service insight, or no URL)")
		return nil
	}
	key := "room-summary\x00" + m.Workspace.String() + "\x00" + m.ID + "\x00" + cmp.Or(ev.SessionID, ev.DeliveryID)
	text, err := s.insight.FetchSummary(ctx, ev.DownloadURL)
	if err != nil {
		return fmt.Errorf("download the summary: %w", err) // never the URL itself
	}
	if strings.TrimSpace(text) == "" {
		return nil
	}
	fresh, err := s.store.Once(ctx, key, s.clock.Now(), summaryTTL)
	if err != nil {
		return fmt.Errorf("remember the summary: %w", err)
	}
	if !fresh {
		return nil
	}
	n := s.notice(ctx, m, rec, SummaryReady)
	n.Summary = text
	if m.Private {
		n.To = []string{m.Organizer}
	}
	s.tell(ctx, n, log)
	return nil
}
