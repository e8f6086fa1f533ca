package core

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
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
	// AddAdmins and RemoveAdmins are user ids for SettingAdmins; exactly
	// one of them is set.
	AddAdmins    []string
	RemoveAdmins []string
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

// maxReplan bounds how many meetings one settings change re-plans, so a
// single command's work is bounded whatever the workspace holds.
const maxReplan = 2000

// errNotAdmin is the refusal for a settings change by a non-admin.
func errNotAdmin() error {
	return Errorf(EFORBIDDEN, "Only workspace admins can change meetbot's settings. \"/meet settings\" shows them and who the admins are.")
}

// storedWorkspace returns the workspace's stored settings, or an empty
// record with Key set when it never stored any.
func (s *Service) storedWorkspace(ctx context.Context, ws WorkspaceKey) (*Workspace, error) {
	w, err := s.findWorkspace(ctx, ws)
	if err != nil {
		if ErrorCode(err) != ENOTFOUND {
			return nil, fmt.Errorf("find workspace settings: %w", err)
		}
		return &Workspace{Key: ws}, nil
	}
	return w, nil
}

// isAdmin is the one rule for meetbot admin rights: the platform says so,
// or the workspace lists the person.
func isAdmin(w *Workspace, a Actor) bool {
	return a.IsAdmin || (w != nil && slices.Contains(w.Admins, a.User.UserID))
}

// IsAdmin reports whether a has admin rights in meetbot: a platform admin,
// or a person the workspace listed with "/meet settings admins add". When
// the settings cannot be read it falls back to what the platform says, so
// a store failure never grants rights.
func (s *Service) IsAdmin(ctx context.Context, a Actor) bool {
	if a.IsAdmin {
		return true
	}
	w, err := s.storedWorkspace(ctx, a.User.Workspace)
	if err != nil {
		s.log.Warn().Err(err).Str("workspace", a.User.Workspace.String()).Msg("could not read workspace admins")
		return false
	}
	return isAdmin(w, a)
}

// permits reports whether check allows a. When it does not, and a is not
// yet known to be an admin, the workspace's list of meetbot admins is read
// (once per actor) and, if it names a, a.IsAdmin is set and check asked
// again. So listed admins have admin rights in every use case, whichever
// adapter called, while the usual allowed request never reads the store.
func (s *Service) permits(ctx context.Context, a *Actor, check func(Actor) bool) bool {
	if check(*a) {
		return true
	}
	if a.IsAdmin || a.adminLooked {
		return false
	}
	a.adminLooked = true
	if !s.IsAdmin(ctx, *a) {
		return false
	}
	a.IsAdmin = true
	return check(*a)
}

// mayCreate refuses a new meeting when the workspace lets only admins
// schedule and a is not one. A settings read failure refuses too, since
// the rule cannot be checked.
func (s *Service) mayCreate(ctx context.Context, a Actor) error {
	if a.IsAdmin {
		return nil
	}
	w, err := s.storedWorkspace(ctx, a.User.Workspace)
	if err != nil {
		return err
	}
	if w.AdminsOnly && !isAdmin(w, a) {
		return Errorf(EFORBIDDEN, "Only workspace admins can schedule meetings here. Ask an admin, or an admin can allow everyone with \"/meet settings schedulers everyone\".")
	}
	return nil
}

// Settings returns the settings in force in a's workspace. Anyone in the
// workspace may read them, so people can see why reminders come when they
// do and whom to ask for a change.
func (s *Service) Settings(ctx context.Context, a Actor) (*WorkspaceSettings, error) {
	w, err := s.storedWorkspace(ctx, a.User.Workspace)
	if err != nil {
		return nil, err
	}
	return s.effective(w, a), nil
}

// effective fills in the operator's defaults over stored settings w.
func (s *Service) effective(w *Workspace, a Actor) *WorkspaceSettings {
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
	return v
}

// UpdateSettings applies one change to a's workspace and returns the
// settings now in force. Only admins (see IsAdmin) may change settings;
// anyone else gets EFORBIDDEN and nothing is stored. A change to reminders,
// early joining or grace re-plans the due jobs of the workspace's scheduled
// meetings, so reminders and room opening follow the new values at once.
func (s *Service) UpdateSettings(ctx context.Context, a Actor, c SettingChange) (*WorkspaceSettings, error) {
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
		s.replanWorkspace(ctx, next.Key)
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
	case SettingAdmins:
		return applyAdmins(w, c)
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

// replanWorkspace re-plans the due jobs of ws's scheduled meetings, and of
// those waiting for their room (they are listed and keep their jobs), after
// a timing setting changed. The work is bounded by maxReplan; failures are
// logged, and a meeting left out keeps its old jobs until its next change
// or occurrence re-plans it.
func (s *Service) replanWorkspace(ctx context.Context, ws WorkspaceKey) {
	ctx = context.WithoutCancel(ctx)
	ms, err := s.store.FindMeetings(ctx, MeetingFilter{Workspace: ws, States: []MeetingState{StateScheduled, StatePending}, Limit: maxReplan + 1})
	if err != nil {
		s.log.Error().Err(err).Str("workspace", ws.String()).Msg("could not list meetings to re-plan after a settings change")
		return
	}
	if len(ms) > maxReplan {
		s.log.Warn().Str("workspace", ws.String()).Int("limit", maxReplan).Msg("too many meetings to re-plan at once; the rest keep their jobs until their next change")
		ms = ms[:maxReplan]
	}
	// Several plans in flight let the store fold their writes into shared
	// commits (bbolt's Batch), instead of one commit and fsync per meeting
	// while the admin waits for the reply.
	sem := make(chan struct{}, replanWorkers)
	var wg sync.WaitGroup
	for _, m := range ms {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			s.planLogged(ctx, m)
		})
	}
	wg.Wait()
}

// replanWorkers bounds the meetings re-planned at once after a settings
// change.
const replanWorkers = 16

// TakeZoneHint reports, once per person, that a's times were read in a zone
// they did not choose: the workspace's default or the operator's (the
// platform reports none for them and they never ran "/meet tz"). When ok,
// it returns that zone and where it came from, and records on the user that
// they were told, so the next call returns false. Adapters show the hint
// with the reply to the command that read a time.
func (s *Service) TakeZoneHint(ctx context.Context, a Actor) (loc *time.Location, src ZoneSource, ok bool) {
	loc, src = s.LocationSource(ctx, a)
	// A zone the platform has but could not give now is unknown, not
	// absent: telling them once here would use up the hint for nothing.
	if src != ZoneFromWorkspace && src != ZoneFromConfig || a.ZoneUnread != "" {
		return loc, src, false
	}
	told := false
	_, err := s.store.UpdateUser(context.WithoutCancel(ctx), a.User, func(u *User) error {
		told = false // fn may run again
		if u.ZoneHinted {
			return ErrUnchanged
		}
		if u.DisplayName == "" {
			u.DisplayName = a.Name
		}
		u.ZoneHinted, u.UpdatedAt, told = true, s.clock.Now(), true
		return nil
	})
	if err != nil {
		s.log.Warn().Err(err).Str("user", a.User.String()).Msg("could not record the zone hint")
		return loc, src, false
	}
	if !told {
		return loc, src, false
	}
	return loc, src, true
}
