package record

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/meetbot/meetbot/core"
)

// User is a core.User as stored.
type User struct {
	Platform    string    `json:"platform"`
	Workspace   string    `json:"workspace"`
	User        string    `json:"user"`
	DisplayName string    `json:"display_name,omitempty"`
	TimeZone    string    `json:"time_zone,omitempty"`
	ZoneHinted  bool      `json:"zone_hinted,omitempty"`
	UpdatedAt   time.Time `json:"updated_at,omitzero"`
}

// Workspace is a core.Workspace's settings as stored.
type Workspace struct {
	Platform        string `json:"platform"`
	Workspace       string `json:"workspace"`
	DefaultTimeZone string `json:"default_time_zone,omitempty"`
	EarlyJoinNS     *int64 `json:"early_join_ns,omitempty"`
	GraceNS         *int64 `json:"grace_ns,omitempty"`
	// RemindersNS is a pointer so that nil ("use the configured default")
	// and empty ("no reminders") stay different when stored.
	RemindersNS *[]int64 `json:"reminders_ns,omitempty"`
	DMReminders bool     `json:"dm_reminders,omitempty"`
	AdminsOnly  bool     `json:"admins_only,omitempty"`
	Admins      []string `json:"admins,omitempty"`
	Recordings  bool     `json:"recordings,omitempty"`
	Summaries   bool     `json:"summaries,omitempty"`
	// Video, FrameRate and ScreenshareFrameRate are the workspace's media
	// overrides (core.MediaSettings); absent means the operator's value.
	Video                string    `json:"video,omitempty"`
	FrameRate            int       `json:"frame_rate,omitempty"`
	ScreenshareFrameRate int       `json:"screenshare_frame_rate,omitempty"`
	UpdatedAt            time.Time `json:"updated_at,omitzero"`
}

// Secret is a named random key (join-link HMAC key and the like) as stored.
type Secret struct {
	Value     []byte    `json:"value"`
	CreatedAt time.Time `json:"created_at"`
}

// Installation is a core.Installation as stored. The token arrives sealed;
// the store never sees it in the clear.
type Installation struct {
	Platform    string    `json:"platform"`
	Workspace   string    `json:"workspace"`
	SealedToken []byte    `json:"sealed_token"`
	BotUserID   string    `json:"bot_user_id,omitempty"`
	Scopes      string    `json:"scopes,omitempty"`
	InstalledBy string    `json:"installed_by,omitempty"`
	InstalledAt time.Time `json:"installed_at,omitzero"`
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

// durSlicePtr keeps nil apart from empty: see Workspace.RemindersNS.
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

// EncodeUser returns the stored bytes of u.
func EncodeUser(u *core.User) ([]byte, error) {
	r := User{
		Platform: string(u.Key.Workspace.Platform), Workspace: u.Key.Workspace.ID, User: u.Key.UserID,
		DisplayName: u.DisplayName, TimeZone: u.TimeZone, ZoneHinted: u.ZoneHinted, UpdatedAt: UTC(u.UpdatedAt),
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("encode user %s: %w", u.Key, err)
	}
	return b, nil
}

// DecodeUser parses the user record stored under key.
func DecodeUser(key core.UserKey, v []byte) (*core.User, error) {
	var r User
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode user %s: %w", key, err)
	}
	if r.User != key.UserID {
		return nil, fmt.Errorf("user record under %s says user %q", key, r.User)
	}
	return &core.User{Key: key, DisplayName: r.DisplayName, TimeZone: r.TimeZone, ZoneHinted: r.ZoneHinted, UpdatedAt: r.UpdatedAt}, nil
}

// EncodeWorkspace returns the stored bytes of w's settings.
func EncodeWorkspace(w *core.Workspace) ([]byte, error) {
	r := Workspace{
		Platform: string(w.Key.Platform), Workspace: w.Key.ID, DefaultTimeZone: w.DefaultTimeZone,
		EarlyJoinNS: durPtr(w.EarlyJoin), GraceNS: durPtr(w.Grace), RemindersNS: durSlicePtr(w.Reminders),
		DMReminders: w.DMReminders, AdminsOnly: w.AdminsOnly, Admins: w.Admins, UpdatedAt: UTC(w.UpdatedAt),
		Recordings: w.Recordings, Summaries: w.Summaries,
		Video: w.Media.Video, FrameRate: w.Media.FrameRate, ScreenshareFrameRate: w.Media.ScreenshareFrameRate,
	}
	b, err := json.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("encode workspace %s: %w", w.Key, err)
	}
	return b, nil
}

// DecodeWorkspace parses the workspace record stored under key.
func DecodeWorkspace(key core.WorkspaceKey, v []byte) (*core.Workspace, error) {
	var r Workspace
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode workspace %s: %w", key, err)
	}
	if r.Platform != string(key.Platform) || r.Workspace != key.ID {
		return nil, fmt.Errorf("workspace record under %s says %s:%s", key, r.Platform, r.Workspace)
	}
	return &core.Workspace{
		Key: key, DefaultTimeZone: r.DefaultTimeZone, EarlyJoin: nsPtr(r.EarlyJoinNS),
		Grace: nsPtr(r.GraceNS), Reminders: nsSlice(r.RemindersNS), DMReminders: r.DMReminders,
		AdminsOnly: r.AdminsOnly, Admins: r.Admins, UpdatedAt: r.UpdatedAt,
		Recordings: r.Recordings, Summaries: r.Summaries,
		Media: core.MediaSettings{Video: r.Video, FrameRate: r.FrameRate, ScreenshareFrameRate: r.ScreenshareFrameRate},
	}, nil
}

// EncodeSecret returns the stored bytes of a secret made at createdAt.
func EncodeSecret(name string, value []byte, createdAt time.Time) ([]byte, error) {
	b, err := json.Marshal(&Secret{Value: value, CreatedAt: createdAt.UTC()})
	if err != nil {
		return nil, fmt.Errorf("encode secret %q: %w", name, err)
	}
	return b, nil
}

// DecodeSecret parses the secret stored under name. An empty value is an
// error: a zero-length key would sign nothing.
func DecodeSecret(name string, v []byte) ([]byte, error) {
	var r Secret
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode secret %q: %w", name, err)
	}
	if len(r.Value) == 0 {
		return nil, fmt.Errorf("secret %q is stored empty", name)
	}
	return r.Value, nil
}

// EncodeInstallation returns the stored bytes of in.
func EncodeInstallation(in *core.Installation) ([]byte, error) {
	b, err := json.Marshal(&Installation{
		Platform: string(in.Workspace.Platform), Workspace: in.Workspace.ID, SealedToken: in.SealedToken,
		BotUserID: in.BotUserID, Scopes: in.Scopes, InstalledBy: in.InstalledBy, InstalledAt: UTC(in.InstalledAt),
	})
	if err != nil {
		return nil, fmt.Errorf("encode installation %s: %w", in.Workspace, err)
	}
	return b, nil
}

// DecodeInstallation parses the installation record stored for ws.
func DecodeInstallation(ws core.WorkspaceKey, v []byte) (*core.Installation, error) {
	var r Installation
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode installation %s: %w", ws, err)
	}
	if r.Platform != string(ws.Platform) || r.Workspace != ws.ID {
		return nil, fmt.Errorf("installation record under %s says %s:%s", ws, r.Platform, r.Workspace)
	}
	return &core.Installation{
		Workspace: ws, SealedToken: r.SealedToken, BotUserID: r.BotUserID, Scopes: r.Scopes,
		InstalledBy: r.InstalledBy, InstalledAt: r.InstalledAt,
	}, nil
}
