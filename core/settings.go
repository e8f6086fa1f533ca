package core

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// SettingName names one workspace setting that "/meet settings" (or an
// adapter's own form) can change. It is a closed set so a renderer can
// switch on it.
type SettingName string

// The workspace settings.
const (
	// SettingZone is the time zone of people who set none and whose
	// platform reports none.
	SettingZone SettingName = "zone"
	// SettingReminders are the lead times of channel reminders.
	SettingReminders SettingName = "reminders"
	// SettingEarly is how long before the start joining opens.
	SettingEarly SettingName = "early"
	// SettingGrace is how long after the end a meeting stays joinable.
	SettingGrace SettingName = "grace"
	// SettingDM turns personal reminders to invitees and "yes" RSVPs on
	// or off.
	SettingDM SettingName = "dm"
	// SettingSchedulers says who may schedule: everyone or admins only.
	SettingSchedulers SettingName = "schedulers"
	// SettingAdmins adds or removes meetbot admins.
	SettingAdmins SettingName = "admins"
	// SettingRecordings turns recording links on or off.
	SettingRecordings SettingName = "recordings"
	// SettingSummaries turns posting AI summaries on or off.
	SettingSummaries SettingName = "summaries"
	// SettingVideo, SettingFrameRate and SettingScreenshareFrameRate are
	// the camera and screen-share quality of meeting pages (media.go).
	SettingVideo                SettingName = "video"
	SettingFrameRate            SettingName = "frame_rate"
	SettingScreenshareFrameRate SettingName = "screenshare_frame_rate"
)

// Limits on settings. They keep a workspace from planning thousands of
// reminders per meeting or holding rooms open for days, and they bound what
// one settings command can write.
const (
	// MaxReminders is how many reminder lead times a workspace may set.
	MaxReminders = 10
	// MaxReminderLead is the longest reminder lead time.
	MaxReminderLead = 7 * 24 * time.Hour
	// MaxJoinMargin caps early joining and the grace after the end.
	MaxJoinMargin = 2 * time.Hour
	// MaxAdmins caps the meetbot admins a workspace lists.
	MaxAdmins = 100
)

// SettingChange is one change to a workspace's settings. Name says which
// setting, and so which other fields are read; the rest are ignored.
type SettingChange struct {
	Name SettingName
	// Default puts zone, reminders, early or grace back to the operator's
	// configured value (and keeps following it if the operator changes it).
	Default bool
	// TimeZone is the IANA zone for SettingZone.
	TimeZone string
	// Reminders are the lead times for SettingReminders; empty means no
	// reminders at all.
	Reminders []time.Duration
	// Duration is the margin for SettingEarly and SettingGrace; 0 means
	// none (joining opens exactly at the start, or closes at the end).
	Duration time.Duration
	// DMReminders is the new value for SettingDM.
	DMReminders bool
	// AdminsOnly is the new value for SettingSchedulers.
	AdminsOnly bool
	// On is the new value for SettingRecordings and SettingSummaries.
	On bool
	// AddAdmins and RemoveAdmins are user ids for SettingAdmins; exactly
	// one of them is set.
	AddAdmins    []string
	RemoveAdmins []string
	// Media carries the new value of SettingVideo (Video) or a frame rate
	// setting (FrameRate, ScreenshareFrameRate).
	Media MediaSettings
}

// WorkspaceSettings is a workspace's settings as they are in force, for
// showing: every field of Workspace holds a value (defaults filled in), and
// Inherited says which of them follow the operator's config because the
// workspace never set them.
type WorkspaceSettings struct {
	// Workspace holds the values in force. DefaultTimeZone, EarlyJoin,
	// Grace and Reminders are never empty or nil.
	Workspace Workspace
	// Inherited lists the settings (zone, reminders, early, grace) that
	// come from the operator's config.
	Inherited []SettingName
	// CanChange reports whether the actor may change the settings.
	CanChange bool
}

// IsInherited reports whether setting n comes from the operator's config.
func (v *WorkspaceSettings) IsInherited(n SettingName) bool { return slices.Contains(v.Inherited, n) }

// settings shows and changes a workspace's settings for its people
// ("/meet settings", an adapter's form). A change to the timing settings
// re-plans the workspace's meetings, so it holds the planner.
type settings struct {
	store      WorkspaceStore
	workspaces *workspaces
	planner    *planner
	cfg        Config // the defaults a workspace inherits until it sets its own
	clock      Clock
	log        zerolog.Logger
}

// errNotAdmin is the refusal for a settings change by a non-admin.
func errNotAdmin() error {
	return Errorf(EFORBIDDEN, "Only workspace admins can change meetbot's settings. \"/meet settings\" shows them and who the admins are.")
}

// Settings returns the settings in force in a's workspace. Anyone in the
// workspace may read them, so people can see why reminders come when they
// do and whom to ask for a change.
func (s *settings) Settings(ctx context.Context, a Actor) (*WorkspaceSettings, error) {
	w, err := s.workspaces.storedWorkspace(ctx, a.User.Workspace)
	if err != nil {
		return nil, err
	}
	return s.effective(w, a), nil
}

// effective fills in the operator's defaults over stored settings w.
func (s *settings) effective(w *Workspace, a Actor) *WorkspaceSettings {
	v := &WorkspaceSettings{Workspace: *w, CanChange: isAdmin(w, a)}
	e := &v.Workspace
	e.Admins = slices.Clone(w.Admins)
	if e.DefaultTimeZone == "" {
		e.DefaultTimeZone = s.cfg.DefaultTimeZone
		v.Inherited = append(v.Inherited, SettingZone)
	}
	if w.Reminders == nil {
		e.Reminders = slices.Clone(s.cfg.Reminders)
		v.Inherited = append(v.Inherited, SettingReminders)
	} else {
		e.Reminders = slices.Clone(w.Reminders)
	}
	if w.EarlyJoin == nil {
		d := s.cfg.EarlyJoin
		e.EarlyJoin = &d
		v.Inherited = append(v.Inherited, SettingEarly)
	} else {
		d := *w.EarlyJoin
		e.EarlyJoin = &d
	}
	if w.Grace == nil {
		d := s.cfg.Grace
		e.Grace = &d
		v.Inherited = append(v.Inherited, SettingGrace)
	} else {
		d := *w.Grace
		e.Grace = &d
	}
	v.Inherited = append(v.Inherited, inheritedMedia(w.Media)...)
	e.Media = withMediaDefaults(w.Media, s.cfg.Media)
	return v
}

// UpdateSettings applies one change to a's workspace and returns the
// settings now in force. Only admins (see IsAdmin) may change settings;
// anyone else gets EFORBIDDEN and nothing is stored. A change to reminders,
// early joining or grace re-plans the due jobs of the workspace's scheduled
// meetings, so reminders and room opening follow the new values at once.
func (s *settings) UpdateSettings(ctx context.Context, a Actor, c SettingChange) (*WorkspaceSettings, error) {
	// Checked and applied inside one store update, so a change made by
	// another admin meanwhile (or this actor's removal as an admin) is
	// seen, never overwritten.
	forgetWorkspace(ctx, a.User.Workspace)
	defer forgetWorkspace(ctx, a.User.Workspace)
	next, err := s.store.UpdateWorkspace(ctx, a.User.Workspace, func(w *Workspace) error {
		if !isAdmin(w, a) {
			return errNotAdmin()
		}
		if err := applySetting(w, c); err != nil {
			return err
		}
		w.UpdatedAt = s.clock.Now()
		return nil
	})
	if err != nil {
		if ErrorCode(err) != EINTERNAL {
			return nil, err // the refusal or the invalid value, as it is
		}
		return nil, fmt.Errorf("store workspace settings: %w", err)
	}
	s.log.Info().Str("workspace", next.Key.String()).Str("user", a.User.String()).Str("setting", string(c.Name)).Msg("settings changed")
	switch c.Name {
	case SettingReminders, SettingEarly, SettingGrace:
		s.planner.replanWorkspace(ctx, next.Key)
	}
	return s.effective(next, a), nil
}

// applySetting validates c and writes it into w. It is the last line of
// defence for callers other than the /meet grammar (a Slack form).
func applySetting(w *Workspace, c SettingChange) error {
	margin := func(what string) (*time.Duration, error) {
		if c.Default {
			return nil, nil
		}
		d := c.Duration
		if d < 0 || d > MaxJoinMargin || d%time.Minute != 0 {
			return nil, Errorf(EINVALID, "The %s must be whole minutes from 0 to %s, for example \"/meet settings %s 5m\".", what, HumanDuration(MaxJoinMargin), c.Name)
		}
		return &d, nil
	}
	switch c.Name {
	case SettingZone:
		if c.Default {
			w.DefaultTimeZone = ""
			return nil
		}
		loc, err := LoadZone(strings.TrimSpace(c.TimeZone))
		if err != nil || strings.TrimSpace(c.TimeZone) == "" {
			return Errorf(EINVALID, "%q is not a time zone I know. Use an IANA name such as \"Europe/Berlin\": \"/meet settings zone Europe/Berlin\".", c.TimeZone)
		}
		w.DefaultTimeZone = loc.String()
	case SettingReminders:
		if c.Default {
			w.Reminders = nil
			return nil
		}
		leads, err := checkLeads(c.Reminders)
		if err != nil {
			return err
		}
		w.Reminders = leads
	case SettingEarly:
		d, err := margin("early join")
		if err != nil {
			return err
		}
		w.EarlyJoin = d
	case SettingGrace:
		d, err := margin("grace after the end")
		if err != nil {
			return err
		}
		w.Grace = d
	case SettingDM:
		w.DMReminders = c.DMReminders
	case SettingSchedulers:
		w.AdminsOnly = c.AdminsOnly
	case SettingRecordings:
		w.Recordings = c.On
	case SettingSummaries:
		w.Summaries = c.On
	case SettingAdmins:
		return applyAdmins(w, c)
	case SettingVideo, SettingFrameRate, SettingScreenshareFrameRate:
		return applyMedia(w, c)
	default:
		return Errorf(EINVALID, "There is no setting %q. Try \"/meet help settings\".", c.Name)
	}
	return nil
}

// checkLeads validates reminder lead times and returns them de-duplicated,
// longest first, and non-nil (an empty list means no reminders).
func checkLeads(in []time.Duration) ([]time.Duration, error) {
	out := make([]time.Duration, 0, len(in))
	for _, d := range in {
		if d < 0 || d > MaxReminderLead || d%time.Minute != 0 {
			return nil, Errorf(EINVALID, "Reminder times must be whole minutes from 0 to %s before the start, for example \"/meet settings reminders 10m, 0\".", HumanDuration(MaxReminderLead))
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
			if len(out) > MaxReminders {
				break // too many already; the work stays bounded whatever the input
			}
		}
	}
	if len(out) > MaxReminders {
		return nil, Errorf(EINVALID, "That is more than %d reminders, the limit; for example \"/meet settings reminders 1d, 10m, 0\".", MaxReminders)
	}
	slices.SortFunc(out, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return out, nil
}

// applyAdmins adds or removes meetbot admins.
func applyAdmins(w *Workspace, c SettingChange) error {
	users, remove := c.AddAdmins, false
	if len(c.RemoveAdmins) > 0 {
		users, remove = c.RemoveAdmins, true
	}
	if len(users) == 0 || (len(c.AddAdmins) > 0 && len(c.RemoveAdmins) > 0) {
		return Errorf(EINVALID, "Whom should I add or remove? Mention them, for example \"/meet settings admins add @ana\".")
	}
	for _, u := range users {
		if err := checkText("user", u, 64); err != nil || strings.TrimSpace(u) == "" || strings.ContainsAny(u, " @<>|") {
			return Errorf(EINVALID, "%q is not a user. Mention people, for example \"/meet settings admins add @ana\".", u)
		}
	}
	if remove {
		n := len(w.Admins)
		w.Admins = slices.DeleteFunc(w.Admins, func(x string) bool { return slices.Contains(users, x) })
		if len(w.Admins) == n {
			return Errorf(EINVALID, "None of them is a meetbot admin; \"/meet settings\" lists the admins, for example \"/meet settings admins remove @ana\".")
		}
		if len(w.Admins) == 0 {
			w.Admins = nil
		}
		return nil
	}
	for _, u := range users {
		if !slices.Contains(w.Admins, u) {
			w.Admins = append(w.Admins, u)
		}
	}
	if len(w.Admins) > MaxAdmins {
		return Errorf(EINVALID, "A workspace can list at most %d meetbot admins; remove some first, for example \"/meet settings admins remove @ana\".", MaxAdmins)
	}
	return nil
}
