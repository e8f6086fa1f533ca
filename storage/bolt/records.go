package bolt

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/meetbot/meetbot/core"
)

// The record structs are the on-disk shape. They are private so core types
// stay free of storage tags, and so a renamed core field cannot silently
// change the file format. Times are stored in UTC (the zone a meeting was
// written in travels as its TimeZone name); durations as int64 nanoseconds.

type meetingRecord struct {
	Platform      string    `json:"platform"`
	Workspace     string    `json:"workspace"`
	ID            string    `json:"id"`
	Channel       string    `json:"channel,omitempty"`
	Title         string    `json:"title,omitempty"`
	Organizer     string    `json:"organizer,omitempty"`
	OrganizerName string    `json:"organizer_name,omitempty"`
	CoHosts       []string  `json:"co_hosts,omitempty"`
	Start         time.Time `json:"start"`
	TimeZone      string    `json:"time_zone,omitempty"`
	DurationNS    int64     `json:"duration_ns"`
	Recurrence    string    `json:"recurrence,omitempty"`
	Private       bool      `json:"private,omitempty"`
	Invitees      []string  `json:"invitees,omitempty"`
	Removed       []string  `json:"removed,omitempty"`
	State         string    `json:"state"`
	CancelledBy   string    `json:"cancelled_by,omitempty"`
	CancelledAt   time.Time `json:"cancelled_at,omitzero"`
	RoomID        string    `json:"room_id,omitempty"`
	RoomTag       string    `json:"room_tag,omitempty"`
	RoomStatus    string    `json:"room_status,omitempty"`
	Abandoned     bool      `json:"abandoned,omitempty"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
	Version       int64     `json:"version"`
}

type participantRecord struct {
	Platform  string    `json:"platform"`
	Workspace string    `json:"workspace"`
	Meeting   string    `json:"meeting"`
	User      string    `json:"user"`
	RemoteID  string    `json:"remote_id,omitempty"`
	CustomID  string    `json:"custom_id,omitempty"`
	Preset    string    `json:"preset,omitempty"`
	Name      string    `json:"name,omitempty"`
	Token     string    `json:"token,omitempty"`
	IssuedAt  time.Time `json:"issued_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

type userRecord struct {
	Platform    string    `json:"platform"`
	Workspace   string    `json:"workspace"`
	User        string    `json:"user"`
	DisplayName string    `json:"display_name,omitempty"`
	TimeZone    string    `json:"time_zone,omitempty"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

type workspaceRecord struct {
	Platform        string    `json:"platform"`
	Workspace       string    `json:"workspace"`
	DefaultTimeZone string    `json:"default_time_zone,omitempty"`
	EarlyJoinNS     *int64    `json:"early_join_ns,omitempty"`
	GraceNS         *int64    `json:"grace_ns,omitempty"`
	Admins          []string  `json:"admins,omitempty"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"`
}

type secretRecord struct {
	Value     []byte    `json:"value"`
	CreatedAt time.Time `json:"created_at"`
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func durPtr(d *time.Duration) *int64 {
	if d == nil {
		return nil
	}
	n := int64(*d)
	return &n
}

func nsPtr(n *int64) *time.Duration {
	if n == nil {
		return nil
	}
	d := time.Duration(*n)
	return &d
}

func encodeMeeting(m *core.Meeting) ([]byte, error) {
	r := meetingRecord{
		Platform: string(m.Workspace.Platform), Workspace: m.Workspace.ID, ID: m.ID,
		Channel: m.Channel, Title: m.Title, Organizer: m.Organizer, OrganizerName: m.OrganizerName,
		CoHosts: m.CoHosts, Start: utc(m.Start), TimeZone: m.TimeZone, DurationNS: int64(m.Duration),
		Recurrence: m.Recurrence, Private: m.Private, Invitees: m.Invitees, Removed: m.Removed,
		State: string(m.State), CancelledBy: m.CancelledBy, CancelledAt: utc(m.CancelledAt),
		RoomID: m.RoomID, RoomTag: m.RoomTag, RoomStatus: string(m.RoomStatus),
		Abandoned: m.Abandoned, CreatedAt: utc(m.CreatedAt), UpdatedAt: utc(m.UpdatedAt), Version: m.Version,
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("bolt: encode meeting %q: %w", m.ID, err)
	}
	return b, nil
}

// decodeMeeting parses v, which bbolt owns; json.Unmarshal copies every
// string and slice, so the result is safe to use after the transaction. The
// identity check catches a record written under the wrong key (or garbage
// that happens to be valid JSON).
func decodeMeeting(ws core.WorkspaceKey, id string, v []byte) (*core.Meeting, error) {
	var r meetingRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("bolt: decode meeting %q of %s: %w", id, ws, err)
	}
	if r.ID != id || r.Platform != string(ws.Platform) || r.Workspace != ws.ID {
		return nil, fmt.Errorf("bolt: meeting record under %s/%q says it is %s:%s/%q",
			ws, id, r.Platform, r.Workspace, r.ID)
	}
	return &core.Meeting{
		Workspace: ws, ID: r.ID, Channel: r.Channel, Title: r.Title,
		Organizer: r.Organizer, OrganizerName: r.OrganizerName, CoHosts: r.CoHosts,
		Start: r.Start, TimeZone: r.TimeZone, Duration: time.Duration(r.DurationNS),
		Recurrence: r.Recurrence, Private: r.Private, Invitees: r.Invitees, Removed: r.Removed,
		State: core.MeetingState(r.State), CancelledBy: r.CancelledBy, CancelledAt: r.CancelledAt,
		RoomID: r.RoomID, RoomTag: r.RoomTag, RoomStatus: core.RoomStatus(r.RoomStatus),
		Abandoned: r.Abandoned, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version,
	}, nil
}

func encodeParticipant(p *core.Participant) ([]byte, error) {
	r := participantRecord{
		Platform: string(p.User.Workspace.Platform), Workspace: p.User.Workspace.ID,
		Meeting: p.Meeting, User: p.User.UserID, RemoteID: p.RemoteID, CustomID: p.CustomID,
		Preset: p.Preset, Name: p.Name, Token: p.Token, IssuedAt: utc(p.IssuedAt), UpdatedAt: utc(p.UpdatedAt),
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("bolt: encode participant %q of meeting %q: %w", p.User.UserID, p.Meeting, err)
	}
	return b, nil
}

func decodeParticipant(ws core.WorkspaceKey, meetingID string, v []byte) (*core.Participant, error) {
	var r participantRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("bolt: decode participant of meeting %q in %s: %w", meetingID, ws, err)
	}
	if r.Meeting != meetingID || r.User == "" {
		return nil, fmt.Errorf("bolt: participant record of meeting %q in %s says meeting %q, user %q",
			meetingID, ws, r.Meeting, r.User)
	}
	return &core.Participant{
		Meeting: r.Meeting, User: core.UserKey{Workspace: ws, UserID: r.User},
		RemoteID: r.RemoteID, CustomID: r.CustomID, Preset: r.Preset, Name: r.Name, Token: r.Token,
		IssuedAt: r.IssuedAt, UpdatedAt: r.UpdatedAt,
	}, nil
}

func encodeUser(u *core.User) ([]byte, error) {
	r := userRecord{
		Platform: string(u.Key.Workspace.Platform), Workspace: u.Key.Workspace.ID, User: u.Key.UserID,
		DisplayName: u.DisplayName, TimeZone: u.TimeZone, UpdatedAt: utc(u.UpdatedAt),
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("bolt: encode user %s: %w", u.Key, err)
	}
	return b, nil
}

func decodeUser(key core.UserKey, v []byte) (*core.User, error) {
	var r userRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("bolt: decode user %s: %w", key, err)
	}
	if r.User != key.UserID {
		return nil, fmt.Errorf("bolt: user record under %s says user %q", key, r.User)
	}
	return &core.User{Key: key, DisplayName: r.DisplayName, TimeZone: r.TimeZone, UpdatedAt: r.UpdatedAt}, nil
}

func encodeWorkspace(w *core.Workspace) ([]byte, error) {
	r := workspaceRecord{
		Platform: string(w.Key.Platform), Workspace: w.Key.ID, DefaultTimeZone: w.DefaultTimeZone,
		EarlyJoinNS: durPtr(w.EarlyJoin), GraceNS: durPtr(w.Grace), Admins: w.Admins,
		UpdatedAt: utc(w.UpdatedAt),
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("bolt: encode workspace %s: %w", w.Key, err)
	}
	return b, nil
}

func decodeWorkspace(key core.WorkspaceKey, v []byte) (*core.Workspace, error) {
	var r workspaceRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("bolt: decode workspace %s: %w", key, err)
	}
	if r.Platform != string(key.Platform) || r.Workspace != key.ID {
		return nil, fmt.Errorf("bolt: workspace record under %s says %s:%s", key, r.Platform, r.Workspace)
	}
	return &core.Workspace{
		Key: key, DefaultTimeZone: r.DefaultTimeZone, EarlyJoin: nsPtr(r.EarlyJoinNS),
		Grace: nsPtr(r.GraceNS), Admins: r.Admins, UpdatedAt: r.UpdatedAt,
	}, nil
}

func decodeSecret(name string, v []byte) ([]byte, error) {
	var r secretRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("bolt: decode secret %q: %w", name, err)
	}
	if len(r.Value) == 0 {
		return nil, fmt.Errorf("bolt: secret %q is stored empty", name)
	}
	return r.Value, nil
}
