package record

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Attendance is a core.Attendance as stored: one occurrence's sessions and
// peers. Both drivers store it through these functions, so a record moves
// between them unchanged.
type Attendance struct {
	Platform   string        `json:"platform"`
	Workspace  string        `json:"workspace"`
	Meeting    string        `json:"meeting"`
	Occurrence time.Time     `json:"occurrence"`
	Sessions   []RoomSession `json:"sessions,omitempty"`
	Peers      []Presence    `json:"peers,omitempty"`
	Recordings []string      `json:"recordings,omitempty"`
	UpdatedAt  time.Time     `json:"updated_at,omitzero"`
}

// RoomSession is a core.RoomSession as stored.
type RoomSession struct {
	ID        string    `json:"id"`
	StartedAt time.Time `json:"started_at,omitzero"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	Reason    string    `json:"reason,omitempty"`
}

// Presence is a core.Presence as stored.
type Presence struct {
	PeerID    string    `json:"peer"`
	SessionID string    `json:"session,omitempty"`
	CustomID  string    `json:"custom_id"`
	UserID    string    `json:"user,omitempty"`
	Name      string    `json:"name,omitempty"`
	JoinedAt  time.Time `json:"joined_at,omitzero"`
	LeftAt    time.Time `json:"left_at,omitzero"`
}

// EncodeAttendance returns the stored bytes of a.
func EncodeAttendance(a *core.Attendance) ([]byte, error) {
	r := Attendance{
		Platform: string(a.Workspace.Platform), Workspace: a.Workspace.ID, Meeting: a.Meeting,
		Occurrence: UTC(a.Occurrence), Recordings: a.Recordings, UpdatedAt: UTC(a.UpdatedAt),
	}
	for _, s := range a.Sessions {
		r.Sessions = append(r.Sessions, RoomSession{ID: s.ID, StartedAt: UTC(s.StartedAt), EndedAt: UTC(s.EndedAt), Reason: s.Reason})
	}
	for _, p := range a.Peers {
		r.Peers = append(r.Peers, Presence{PeerID: p.PeerID, SessionID: p.SessionID, CustomID: p.CustomID, UserID: p.UserID,
			Name: p.Name, JoinedAt: UTC(p.JoinedAt), LeftAt: UTC(p.LeftAt)})
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("encode attendance of meeting %q: %w", a.Meeting, err)
	}
	return b, nil
}

// DecodeAttendance parses the record stored for meeting of ws; like
// DecodeMeeting it checks that the record is the one its key names.
func DecodeAttendance(ws core.WorkspaceKey, meeting string, v []byte) (*core.Attendance, error) {
	var r Attendance
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode attendance of meeting %q: %w", meeting, err)
	}
	if r.Platform != string(ws.Platform) || r.Workspace != ws.ID || r.Meeting != meeting {
		return nil, fmt.Errorf("attendance record of %s/%q says it is of %s:%s/%q", ws, meeting, r.Platform, r.Workspace, r.Meeting)
	}
	a := &core.Attendance{Workspace: ws, Meeting: meeting, Occurrence: r.Occurrence, Recordings: r.Recordings, UpdatedAt: r.UpdatedAt}
	for _, s := range r.Sessions {
		a.Sessions = append(a.Sessions, core.RoomSession{ID: s.ID, StartedAt: s.StartedAt, EndedAt: s.EndedAt, Reason: s.Reason})
	}
	for _, p := range r.Peers {
		a.Peers = append(a.Peers, core.Presence{PeerID: p.PeerID, SessionID: p.SessionID, CustomID: p.CustomID, UserID: p.UserID,
			Name: p.Name, JoinedAt: p.JoinedAt, LeftAt: p.LeftAt})
	}
	return a, nil
}

// RoomRef is the value of the room index: the meeting a RealtimeKit room
// belongs to.
type RoomRef struct {
	Platform  string `json:"platform"`
	Workspace string `json:"workspace"`
	Meeting   string `json:"meeting"`
}

// EncodeRoomRef returns the stored bytes of the room index entry of m.
func EncodeRoomRef(m *core.Meeting) []byte {
	b, _ := json.Marshal(RoomRef{Platform: string(m.Workspace.Platform), Workspace: m.Workspace.ID, Meeting: m.ID}) // strings only
	return b
}

// DecodeRoomRef parses a room index entry.
func DecodeRoomRef(v []byte) (core.WorkspaceKey, string, error) {
	var r RoomRef
	if err := json.Unmarshal(v, &r); err != nil || r.Platform == "" || r.Workspace == "" || r.Meeting == "" {
		return core.WorkspaceKey{}, "", fmt.Errorf("room index entry %q is malformed", v)
	}
	return core.WorkspaceKey{Platform: core.Platform(r.Platform), ID: r.Workspace}, r.Meeting, nil
}

// DecodeAttendanceRecord parses a record by what it says it is, for a
// copy of the whole store (bot migrate), where the key is not at hand.
func DecodeAttendanceRecord(v []byte) (*core.Attendance, error) {
	var r Attendance
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode attendance: %w", err)
	}
	if r.Platform == "" || r.Workspace == "" || r.Meeting == "" {
		return nil, fmt.Errorf("attendance record names no meeting")
	}
	return DecodeAttendance(core.WorkspaceKey{Platform: core.Platform(r.Platform), ID: r.Workspace}, r.Meeting, v)
}
