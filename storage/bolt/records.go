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
	// Exceptions and RSVPs arrived with series support (schema 2). Older
	// records simply lack them, which decodes as "none".
	Exceptions []exceptionRecord `json:"exceptions,omitempty"`
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
	CreatedAt   time.Time `json:"created_at,omitzero"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
	Version     int64     `json:"version"`
}

type exceptionRecord struct {
	Original time.Time `json:"original"`
	Skipped  bool      `json:"skipped,omitempty"`
	Start    time.Time `json:"start,omitzero"`
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
	ZoneHinted  bool      `json:"zone_hinted,omitempty"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

type workspaceRecord struct {
	Platform        string `json:"platform"`
	Workspace       string `json:"workspace"`
	DefaultTimeZone string `json:"default_time_zone,omitempty"`
	EarlyJoinNS     *int64 `json:"early_join_ns,omitempty"`
	GraceNS         *int64 `json:"grace_ns,omitempty"`
	// RemindersNS is a pointer so that nil ("use the configured default")
	// and empty ("no reminders") stay different on disk.
	RemindersNS *[]int64  `json:"reminders_ns,omitempty"`
	DMReminders bool      `json:"dm_reminders,omitempty"`
	AdminsOnly  bool      `json:"admins_only,omitempty"`
	Admins      []string  `json:"admins,omitempty"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
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

func encodeExceptions(es []core.Exception) []exceptionRecord {
	if len(es) == 0 {
		return nil
	}
	out := make([]exceptionRecord, len(es))
	for i, e := range es {
		out[i] = exceptionRecord{Original: utc(e.Original), Skipped: e.Skipped, Start: utc(e.Start)}
	}
	return out
}

func decodeExceptions(rs []exceptionRecord) []core.Exception {
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

// durSlicePtr keeps nil apart from empty: see workspaceRecord.RemindersNS.
func durSlicePtr(ds []time.Duration) *[]int64 {
	if ds == nil {
		return nil
	}
	ns := make([]int64, len(ds))
	for i, d := range ds {
		ns[i] = int64(d)
	}
	return &ns
}

func nsSlice(ns *[]int64) []time.Duration {
	if ns == nil {
		return nil
	}
	ds := make([]time.Duration, len(*ns))
	for i, n := range *ns {
		ds[i] = time.Duration(n)
	}
	return ds
}

func encodeMeeting(m *core.Meeting) ([]byte, error) {
	r := meetingRecord{
		Platform: string(m.Workspace.Platform), Workspace: m.Workspace.ID, ID: m.ID,
		Channel: m.Channel, Title: m.Title, Organizer: m.Organizer, OrganizerName: m.OrganizerName,
		CoHosts: m.CoHosts, Start: utc(m.Start), TimeZone: m.TimeZone, DurationNS: int64(m.Duration),
		Recurrence: m.Recurrence, Private: m.Private, Invitees: m.Invitees, Removed: m.Removed,
		Exceptions: encodeExceptions(m.Exceptions), RSVPs: encodeRSVPs(m.RSVPs),
		CardChannel: m.Card.Channel, CardID: m.Card.ID, MirrorScope: m.Mirror.Channel, MirrorID: m.Mirror.ID,
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
		Exceptions: decodeExceptions(r.Exceptions), RSVPs: decodeRSVPs(r.RSVPs),
		Card:   core.MessageRef{Channel: r.CardChannel, ID: r.CardID},
		Mirror: core.MessageRef{Channel: r.MirrorScope, ID: r.MirrorID},
		State:  core.MeetingState(r.State), CancelledBy: r.CancelledBy, CancelledAt: r.CancelledAt,
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
		DisplayName: u.DisplayName, TimeZone: u.TimeZone, ZoneHinted: u.ZoneHinted, UpdatedAt: utc(u.UpdatedAt),
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
	return &core.User{Key: key, DisplayName: r.DisplayName, TimeZone: r.TimeZone, ZoneHinted: r.ZoneHinted, UpdatedAt: r.UpdatedAt}, nil
}

func encodeWorkspace(w *core.Workspace) ([]byte, error) {
	r := workspaceRecord{
		Platform: string(w.Key.Platform), Workspace: w.Key.ID, DefaultTimeZone: w.DefaultTimeZone,
		EarlyJoinNS: durPtr(w.EarlyJoin), GraceNS: durPtr(w.Grace), RemindersNS: durSlicePtr(w.Reminders),
		DMReminders: w.DMReminders, AdminsOnly: w.AdminsOnly, Admins: w.Admins, UpdatedAt: utc(w.UpdatedAt),
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
		Grace: nsPtr(r.GraceNS), Reminders: nsSlice(r.RemindersNS), DMReminders: r.DMReminders,
		AdminsOnly: r.AdminsOnly, Admins: r.Admins, UpdatedAt: r.UpdatedAt,
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

// jobRecord is a due job on disk. Its state is implied by its times: done
// when DoneAt is set, else claimed when ClaimedAt is set, else pending; the
// job sits in exactly the index of that state (see jobs.go).
type jobRecord struct {
	ID         string    `json:"id"`
	Platform   string    `json:"platform"`
	Workspace  string    `json:"workspace"`
	Meeting    string    `json:"meeting"`
	Due        time.Time `json:"due"`
	Occurrence time.Time `json:"occurrence"`
	Kind       string    `json:"kind"`
	LeadNS     int64     `json:"lead_ns,omitempty"`
	Attempts   int       `json:"attempts,omitempty"`
	LastError  string    `json:"last_error,omitempty"`
	ClaimedBy  string    `json:"claimed_by,omitempty"`
	ClaimedAt  time.Time `json:"claimed_at,omitzero"`
	DoneAt     time.Time `json:"done_at,omitzero"`
	Failed     bool      `json:"failed,omitempty"`
	PostRef    string    `json:"post_ref,omitempty"`
}

func encodeJob(j *core.DueJob) ([]byte, error) {
	r := jobRecord{
		ID: j.ID, Platform: string(j.Workspace.Platform), Workspace: j.Workspace.ID, Meeting: j.Meeting,
		Due: utc(j.Due), Occurrence: utc(j.Occurrence), Kind: string(j.Kind), LeadNS: int64(j.Lead),
		Attempts: j.Attempts, LastError: j.LastError, ClaimedBy: j.ClaimedBy, ClaimedAt: utc(j.ClaimedAt),
		DoneAt: utc(j.DoneAt), Failed: j.Failed, PostRef: j.PostRef,
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("bolt: encode job %q: %w", j.ID, err)
	}
	return b, nil
}

// decodeJob parses the record stored under id; like decodeMeeting it checks
// that the record is the one its key names.
func decodeJob(id string, v []byte) (*core.DueJob, error) {
	var r jobRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("bolt: decode job %q: %w", id, err)
	}
	if r.ID != id || r.Platform == "" || r.Workspace == "" || r.Meeting == "" {
		return nil, fmt.Errorf("bolt: job record under %q says it is %q of %s:%s/%q",
			id, r.ID, r.Platform, r.Workspace, r.Meeting)
	}
	return &core.DueJob{
		ID: r.ID, Due: r.Due, Workspace: core.WorkspaceKey{Platform: core.Platform(r.Platform), ID: r.Workspace},
		Meeting: r.Meeting, Occurrence: r.Occurrence, Kind: core.JobKind(r.Kind), Lead: time.Duration(r.LeadNS),
		Attempts: r.Attempts, LastError: r.LastError, ClaimedBy: r.ClaimedBy, ClaimedAt: r.ClaimedAt,
		DoneAt: r.DoneAt, Failed: r.Failed, PostRef: r.PostRef,
	}, nil
}
