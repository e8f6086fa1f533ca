// Package record is the stored shape of meetbot's data, shared by every
// storage driver. The structs here are the on-disk (and on-etcd) format:
// they are separate from the core types so core stays free of storage tags,
// and so a renamed core field cannot silently change the format. Both
// drivers encode through this package, which is what lets a bbolt store be
// copied into etcd byte for byte.
//
// Times are stored in UTC (the zone a meeting was written in travels as its
// TimeZone name); durations as int64 nanoseconds. Decoders check that a
// record is the one its key names, which catches a record written under the
// wrong key or garbage that happens to be valid JSON.
package record

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Meeting is a core.Meeting as stored.
type Meeting struct {
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
	// Exceptions and RSVPs arrived with series support (schema 2). Older
	// records simply lack them, which decodes as "none".
	Exceptions []Exception       `json:"exceptions,omitempty"`
	RSVPs      map[string]string `json:"rsvps,omitempty"`
	// The card reference arrived with the chat adapters (schema 3).
	CardChannel string    `json:"card_channel,omitempty"`
	CardID      string    `json:"card_id,omitempty"`
	MirrorScope string    `json:"mirror_scope,omitempty"`
	MirrorID    string    `json:"mirror_id,omitempty"`
	State       string    `json:"state"`
	CancelledBy string    `json:"cancelled_by,omitempty"`
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	RoomID      string    `json:"room_id,omitempty"`
	RoomTag     string    `json:"room_tag,omitempty"`
	RoomStatus  string    `json:"room_status,omitempty"`
	Abandoned   bool      `json:"abandoned,omitempty"`
	// RoomAttempts arrived with background room creation (issue 15).
	RoomAttempts  int       `json:"room_attempts,omitempty"`
	RoomAttemptAt time.Time `json:"room_attempt_at,omitzero"`
	CreatedAt     time.Time `json:"created_at,omitzero"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
	Version       int64     `json:"version"`
}

// Exception is one changed or skipped occurrence of a series as stored.
type Exception struct {
	Original time.Time `json:"original"`
	Skipped  bool      `json:"skipped,omitempty"`
	Start    time.Time `json:"start,omitzero"`
}

// Participant is a core.Participant as stored. The workspace is repeated
// in the record so a record can be checked against its key.
type Participant struct {
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

// UTC returns t in UTC, keeping the zero time zero so that omitzero fields
// stay absent.
func UTC(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func encodeExceptions(es []core.Exception) []Exception {
	if len(es) == 0 {
		return nil
	}
	out := make([]Exception, len(es))
	for i, e := range es {
		out[i] = Exception{Original: UTC(e.Original), Skipped: e.Skipped, Start: UTC(e.Start)}
	}
	return out
}

func decodeExceptions(rs []Exception) []core.Exception {
	if len(rs) == 0 {
		return nil
	}
	out := make([]core.Exception, len(rs))
	for i, r := range rs {
		out[i] = core.Exception{Original: r.Original, Skipped: r.Skipped, Start: r.Start}
	}
	return out
}

func encodeRSVPs(m map[string]core.RSVP) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func decodeRSVPs(m map[string]string) map[string]core.RSVP {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]core.RSVP, len(m))
	for k, v := range m {
		out[k] = core.RSVP(v)
	}
	return out
}

// EncodeMeeting returns the stored bytes of m.
func EncodeMeeting(m *core.Meeting) ([]byte, error) {
	r := Meeting{
		Platform: string(m.Workspace.Platform), Workspace: m.Workspace.ID, ID: m.ID,
		Channel: m.Channel, Title: m.Title, Organizer: m.Organizer, OrganizerName: m.OrganizerName,
		CoHosts: m.CoHosts, Start: UTC(m.Start), TimeZone: m.TimeZone, DurationNS: int64(m.Duration),
		Recurrence: m.Recurrence, Private: m.Private, Invitees: m.Invitees, Removed: m.Removed,
		Exceptions: encodeExceptions(m.Exceptions), RSVPs: encodeRSVPs(m.RSVPs),
		CardChannel: m.Card.Channel, CardID: m.Card.ID, MirrorScope: m.Mirror.Channel, MirrorID: m.Mirror.ID,
		State: string(m.State), CancelledBy: m.CancelledBy, CancelledAt: UTC(m.CancelledAt),
		RoomID: m.RoomID, RoomTag: m.RoomTag, RoomStatus: string(m.RoomStatus),
		Abandoned: m.Abandoned, RoomAttempts: m.RoomAttempts, RoomAttemptAt: UTC(m.RoomAttemptAt), CreatedAt: UTC(m.CreatedAt), UpdatedAt: UTC(m.UpdatedAt), Version: m.Version,
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("encode meeting %q: %w", m.ID, err)
	}
	return b, nil
}

// DecodeMeeting parses the record stored for meeting id of ws. The result
// shares nothing with v (json.Unmarshal copies every string and slice), so
// v may belong to a transaction that ends right after.
func DecodeMeeting(ws core.WorkspaceKey, id string, v []byte) (*core.Meeting, error) {
	var r Meeting
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode meeting %q of %s: %w", id, ws, err)
	}
	if r.ID != id || r.Platform != string(ws.Platform) || r.Workspace != ws.ID {
		return nil, fmt.Errorf("meeting record under %s/%q says it is %s:%s/%q",
			ws, id, r.Platform, r.Workspace, r.ID)
	}
	return &core.Meeting{
		Workspace: ws, ID: r.ID, Channel: r.Channel, Title: r.Title,
		Organizer: r.Organizer, OrganizerName: r.OrganizerName, CoHosts: r.CoHosts,
		Start: r.Start, TimeZone: r.TimeZone, Duration: time.Duration(r.DurationNS),
		Recurrence: r.Recurrence, Private: r.Private, Invitees: r.Invitees, Removed: r.Removed,
		Exceptions: decodeExceptions(r.Exceptions), RSVPs: decodeRSVPs(r.RSVPs),
		Card:   core.MessageRef{Channel: r.CardChannel, ID: r.CardID},
		Mirror: core.MessageRef{Channel: r.MirrorScope, ID: r.MirrorID},
		State:  core.MeetingState(r.State), CancelledBy: r.CancelledBy, CancelledAt: r.CancelledAt,
		RoomID: r.RoomID, RoomTag: r.RoomTag, RoomStatus: core.RoomStatus(r.RoomStatus),
		Abandoned: r.Abandoned, RoomAttempts: r.RoomAttempts, RoomAttemptAt: r.RoomAttemptAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version,
	}, nil
}

// EncodeParticipant returns the stored bytes of p.
func EncodeParticipant(p *core.Participant) ([]byte, error) {
	r := Participant{
		Platform: string(p.User.Workspace.Platform), Workspace: p.User.Workspace.ID,
		Meeting: p.Meeting, User: p.User.UserID, RemoteID: p.RemoteID, CustomID: p.CustomID,
		Preset: p.Preset, Name: p.Name, Token: p.Token, IssuedAt: UTC(p.IssuedAt), UpdatedAt: UTC(p.UpdatedAt),
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("encode participant %q of meeting %q: %w", p.User.UserID, p.Meeting, err)
	}
	return b, nil
}

// DecodeParticipant parses a participant record stored under meetingID of
// ws.
func DecodeParticipant(ws core.WorkspaceKey, meetingID string, v []byte) (*core.Participant, error) {
	var r Participant
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode participant of meeting %q in %s: %w", meetingID, ws, err)
	}
	if r.Meeting != meetingID || r.User == "" {
		return nil, fmt.Errorf("participant record of meeting %q in %s says meeting %q, user %q",
			meetingID, ws, r.Meeting, r.User)
	}
	return &core.Participant{
		Meeting: r.Meeting, User: core.UserKey{Workspace: ws, UserID: r.User},
		RemoteID: r.RemoteID, CustomID: r.CustomID, Preset: r.Preset, Name: r.Name, Token: r.Token,
		IssuedAt: r.IssuedAt, UpdatedAt: r.UpdatedAt,
	}, nil
}
