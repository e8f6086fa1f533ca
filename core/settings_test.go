package core_test

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

func adminActor(user string) core.Actor {
	a := actor(user)
	a.IsAdmin = true
	return a
}

// storedWorkspace returns the stored settings, or nil when there are none.
func storedWorkspace(t *testing.T, b *testenv.Env) *core.Workspace {
	t.Helper()
	w, err := b.Store.FindWorkspace(context.Background(), ws)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func update(t *testing.T, b *testenv.Env, a core.Actor, c core.SettingChange) *core.WorkspaceSettings {
	t.Helper()
	v, err := b.Service.UpdateSettings(context.Background(), a, c)
	if err != nil {
		t.Fatalf("UpdateSettings(%+v): %v", c, err)
	}
	return v
}

// TestSettingsDefaults checks that a workspace that never changed anything
// shows the operator's values, all marked as inherited, to anyone.
func TestSettingsDefaults(t *testing.T) {
	t.Parallel()
	b := setup(t)
	v, err := b.Service.Settings(context.Background(), actor("ana"))
	if err != nil {
		t.Fatal(err)
	}
	w := v.Workspace
	if w.DefaultTimeZone != "America/New_York" || *w.EarlyJoin != 5*time.Minute || *w.Grace != 5*time.Minute ||
		!slices.Equal(w.Reminders, []time.Duration{10 * time.Minute, 0}) || w.AdminsOnly || w.DMReminders || len(w.Admins) != 0 {
		t.Fatalf("defaults = %+v", w)
	}
	for _, n := range []core.SettingName{core.SettingZone, core.SettingReminders, core.SettingEarly, core.SettingGrace} {
		if !v.IsInherited(n) {
			t.Errorf("%s not marked inherited", n)
		}
	}
	if v.CanChange {
		t.Error("a non-admin is told they can change settings")
	}
	if v, _ := b.Service.Settings(context.Background(), adminActor("ad")); !v.CanChange {
		t.Error("a platform admin is told they cannot change settings")
	}
	if storedWorkspace(t, b) != nil {
		t.Error("reading settings stored a workspace")
	}
}

// TestUpdateSettingsAdminsOnly checks that only platform admins and listed
// meetbot admins change settings, and that a refusal stores nothing.
func TestUpdateSettingsAdminsOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	_, err := b.Service.UpdateSettings(ctx, actor("ana"), core.SettingChange{Name: core.SettingDM, DMReminders: true})
	if e := wantCode(t, err, core.EFORBIDDEN); !strings.Contains(e.Message, "Only workspace admins can change meetbot's settings.") {
		t.Fatalf("message = %q", e.Message)
	}
	if storedWorkspace(t, b) != nil {
		t.Fatal("a refused change stored a workspace")
	}

	b.Clock.Advance(time.Minute)
	v := update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingAdmins, AddAdmins: []string{"bo", "cy"}})
	if !slices.Equal(v.Workspace.Admins, []string{"bo", "cy"}) || !v.CanChange {
		t.Fatalf("after add: %+v", v)
	}
	if got := storedWorkspace(t, b); got == nil || !got.UpdatedAt.Equal(b.Clock.Now()) || got.Key != ws {
		t.Fatalf("stored = %+v", got)
	}
	// A listed admin may change settings, including the admin list.
	update(t, b, actor("bo"), core.SettingChange{Name: core.SettingEarly, Duration: 10 * time.Minute})
	update(t, b, actor("bo"), core.SettingChange{Name: core.SettingAdmins, RemoveAdmins: []string{"cy"}})
	before := storedWorkspace(t, b)
	for _, c := range []core.SettingChange{
		{Name: core.SettingSchedulers, AdminsOnly: true},
		{Name: core.SettingAdmins, AddAdmins: []string{"cy"}},
		{Name: core.SettingReminders, Default: true},
	} {
		_, err := b.Service.UpdateSettings(ctx, actor("cy"), c)
		wantCode(t, err, core.EFORBIDDEN)
	}
	if after := storedWorkspace(t, b); !reflect.DeepEqual(before, after) {
		t.Fatalf("refused changes changed the store:\n%+v\n%+v", before, after)
	}
	// Removing the last listed admin is fine: platform admins remain.
	v = update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingAdmins, RemoveAdmins: []string{"bo"}})
	if len(v.Workspace.Admins) != 0 || storedWorkspace(t, b).Admins != nil {
		t.Fatalf("admins after removing all: %+v", v.Workspace.Admins)
	}
	_, err = b.Service.UpdateSettings(ctx, actor("bo"), core.SettingChange{Name: core.SettingDM})
	wantCode(t, err, core.EFORBIDDEN)
}

// TestUpdateSettingsRejectsBadValues checks the core limits, for callers
// that do not go through the grammar, and that nothing is stored.
func TestUpdateSettingsRejectsBadValues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingAdmins, AddAdmins: []string{"bo"}})
	before := storedWorkspace(t, b)
	many := make([]time.Duration, 11)
	for i := range many {
		many[i] = time.Duration(i+1) * time.Minute
	}
	tooMany := make([]string, core.MaxAdmins)
	for i := range tooMany {
		tooMany[i] = "u" + strconv.Itoa(i)
	}
	for _, c := range []core.SettingChange{
		{Name: core.SettingZone, TimeZone: "Mars/Base"},
		{Name: core.SettingZone},
		{Name: core.SettingReminders, Reminders: []time.Duration{8 * 24 * time.Hour}},
		{Name: core.SettingReminders, Reminders: []time.Duration{-time.Minute}},
		{Name: core.SettingReminders, Reminders: []time.Duration{90 * time.Second}},
		{Name: core.SettingReminders, Reminders: many},
		{Name: core.SettingEarly, Duration: 3 * time.Hour},
		{Name: core.SettingGrace, Duration: -time.Minute},
		{Name: core.SettingAdmins},
		{Name: core.SettingAdmins, AddAdmins: []string{"a b"}},
		{Name: core.SettingAdmins, AddAdmins: []string{"x\u0000"}},
		{Name: core.SettingAdmins, AddAdmins: []string{"x"}, RemoveAdmins: []string{"bo"}},
		{Name: core.SettingAdmins, RemoveAdmins: []string{"nobody"}},
		{Name: core.SettingAdmins, AddAdmins: tooMany},
		{Name: "colour"},
	} {
		_, err := b.Service.UpdateSettings(context.Background(), adminActor("ad"), c)
		if e := wantCode(t, err, core.EINVALID); !strings.Contains(e.Message, "\"/meet ") {
			t.Errorf("%+v: message without an example: %q", c, e.Message)
		}
	}
	if after := storedWorkspace(t, b); !reflect.DeepEqual(before, after) {
		t.Fatalf("rejected changes changed the store:\n%+v\n%+v", before, after)
	}
	// Leads are stored de-duplicated, longest first; "off" is an empty list.
	v := update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{0, time.Hour, 0, 24 * time.Hour}})
	if !slices.Equal(v.Workspace.Reminders, []time.Duration{24 * time.Hour, time.Hour, 0}) || v.IsInherited(core.SettingReminders) {
		t.Fatalf("reminders = %v", v.Workspace.Reminders)
	}
	v = update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{}})
	if got := storedWorkspace(t, b).Reminders; got == nil || len(got) != 0 || v.IsInherited(core.SettingReminders) {
		t.Fatalf("reminders off stored as %#v", got)
	}
}

// TestSchedulersAdminsOnly checks that with "schedulers admins" a
// non-admin can neither schedule nor start a meeting (and nothing is
// stored), while listed and platform admins can.
func TestSchedulersAdminsOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingSchedulers, AdminsOnly: true})
	update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingAdmins, AddAdmins: []string{"bo"}})
	for _, req := range []core.ScheduleRequest{
		{Title: "Sync", Start: t0.Add(time.Hour)},
		{Title: "Now", Now: true},
	} {
		_, err := b.Service.Schedule(ctx, actor("ana"), req)
		e := wantCode(t, err, core.EFORBIDDEN)
		if e.Message != "Only workspace admins can schedule meetings here. Ask an admin, or an admin can allow everyone with \"/meet settings schedulers everyone\"." {
			t.Fatalf("message = %q", e.Message)
		}
	}
	ms, err := b.Store.FindMeetings(ctx, core.MeetingFilter{Workspace: ws})
	if err != nil || len(ms) != 0 || len(b.Sandbox.Meetings()) != 0 {
		t.Fatalf("a refused schedule stored %d meetings (%v) and %d rooms", len(ms), err, len(b.Sandbox.Meetings()))
	}
	b.Schedule(actor("bo"), "Listed admin's", t0.Add(time.Hour), 0)
	b.Schedule(adminActor("ad"), "Platform admin's", t0.Add(2*time.Hour), 0)
	update(t, b, actor("bo"), core.SettingChange{Name: core.SettingSchedulers})
	b.Schedule(actor("ana"), "Everyone's again", t0.Add(3*time.Hour), 0)
}

// pendingJobs returns a meeting's jobs not yet done, by kind.
func pendingJobs(t *testing.T, b *testenv.Env, id string) map[core.JobKind][]core.DueJob {
	t.Helper()
	jobs, err := b.Store.FindJobs(context.Background(), ws, id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[core.JobKind][]core.DueJob{}
	for _, j := range jobs {
		if j.DoneAt.IsZero() {
			out[j.Kind] = append(out[j.Kind], j)
		}
	}
	return out
}

func remindLeads(jobs []core.DueJob) []time.Duration {
	var out []time.Duration
	for _, j := range jobs {
		out = append(out, j.Lead)
	}
	slices.Sort(out)
	return out
}

// TestTimingChangeReplans checks that changing reminders, early joining
// or grace re-plans the due jobs of scheduled meetings at once, and only
// in that workspace.
func TestTimingChangeReplans(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := t0.Add(24 * time.Hour)
	m := b.Schedule(actor("ana"), "Sync", start, time.Hour)
	other := actor("ana")
	other.User.Workspace = core.WorkspaceKey{Platform: core.PlatformDiscord, ID: "G1"}
	om, err := b.Service.Schedule(context.Background(), other, core.ScheduleRequest{Title: "Elsewhere", Start: start, Duration: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	om = b.MakeRoom(om) // its room job writes its plan, as the scheduler runs it at once
	if got := remindLeads(pendingJobs(t, b, m.ID)[core.JobRemind]); !slices.Equal(got, []time.Duration{0, 10 * time.Minute}) {
		t.Fatalf("initial reminders = %v", got)
	}

	update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{time.Hour, 24 * time.Hour}})
	jobs := pendingJobs(t, b, m.ID)
	// 24 h before is now, already past at planning time: not planned.
	if got := remindLeads(jobs[core.JobRemind]); !slices.Equal(got, []time.Duration{time.Hour}) {
		t.Fatalf("reminders after change = %v", got)
	}
	if due := jobs[core.JobRemind][0].Due; !due.Equal(start.Add(-time.Hour)) {
		t.Fatalf("reminder due %v", due)
	}
	if p := jobs[core.JobProvision]; len(p) != 1 || !p[0].Due.Equal(b.Clock.Now()) {
		t.Fatalf("provision = %+v", p)
	}

	update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingEarly, Duration: 15 * time.Minute})
	update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingGrace, Duration: 0})
	jobs = pendingJobs(t, b, m.ID)
	if o := jobs[core.JobOpen]; len(o) != 1 || !o[0].Due.Equal(start.Add(-15*time.Minute)) {
		t.Fatalf("open = %+v", o)
	}
	if c := jobs[core.JobClose]; len(c) != 1 || !c[0].Due.Equal(start.Add(time.Hour)) {
		t.Fatalf("close = %+v", c)
	}

	update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{}})
	if r := pendingJobs(t, b, m.ID)[core.JobRemind]; len(r) != 0 {
		t.Fatalf("reminders off left %+v", r)
	}
	// The other workspace keeps the operator's defaults.
	ojobs, err := b.Store.FindJobs(context.Background(), other.User.Workspace, om.ID)
	if err != nil {
		t.Fatal(err)
	}
	var leads []core.DueJob
	for _, j := range ojobs {
		if j.Kind == core.JobRemind {
			leads = append(leads, j)
		}
	}
	if got := remindLeads(leads); !slices.Equal(got, []time.Duration{0, 10 * time.Minute}) {
		t.Fatalf("other workspace's reminders = %v", got)
	}
}

// TestTakeZoneHint checks that a person whose zone was assumed is told once,
// and that people with their own or their platform's zone are not told.
func TestTakeZoneHint(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	ana := actor("ana")
	loc, src, ok := b.Service.TakeZoneHint(ctx, ana)
	if !ok || src != core.ZoneFromConfig || loc.String() != "America/New_York" {
		t.Fatalf("first hint = %v %v %v", loc, src, ok)
	}
	if _, _, ok := b.Service.TakeZoneHint(ctx, ana); ok {
		t.Fatal("hinted twice")
	}
	u, err := b.Store.FindUser(ctx, ana.User)
	if err != nil || !u.ZoneHinted || u.DisplayName != ana.Name || u.TimeZone != "" {
		t.Fatalf("stored user = %+v, %v", u, err)
	}

	update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingZone, TimeZone: "Europe/Berlin"})
	if loc, src, ok := b.Service.TakeZoneHint(ctx, actor("bo")); !ok || src != core.ZoneFromWorkspace || loc.String() != "Europe/Berlin" {
		t.Fatalf("workspace zone hint = %v %v %v", loc, src, ok)
	}

	cy := actor("cy")
	cy.TimeZone = "Asia/Tokyo"
	if _, src, ok := b.Service.TakeZoneHint(ctx, cy); ok || src != core.ZoneFromPlatform {
		t.Fatalf("platform zone: src %v ok %v", src, ok)
	}
	if _, err := b.Service.SetTimeZone(ctx, actor("di"), "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	if _, src, ok := b.Service.TakeZoneHint(ctx, actor("di")); ok || src != core.ZoneFromUser {
		t.Fatalf("own zone: src %v ok %v", src, ok)
	}
	if _, err := b.Store.FindUser(ctx, cy.User); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("a platform-zone user was stored: %v", err)
	}
}

// Ensure a person the workspace lists as a meetbot admin has admin rights
// in the use cases themselves (as a card's Cancel button calls them), not
// only through typed commands; and that someone not listed does not.
func TestListedAdminMayCancelThroughService(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	m := b.Schedule(actor("ana"), "Ana's", t0, time.Hour)
	_, err := b.Service.Cancel(ctx, actor("cleo"), m.ID)
	wantCode(t, err, core.EFORBIDDEN)
	update(t, b, adminActor("root"), core.SettingChange{Name: core.SettingAdmins, AddAdmins: []string{"cleo"}})
	if _, err := b.Service.Cancel(ctx, actor("cleo"), m.ID); err != nil {
		t.Fatalf("listed admin could not cancel: %v", err)
	}
}

// Ensure a listed meetbot admin sees the channel's private meetings in a
// list, as platform admins do, and someone not listed does not.
func TestListedAdminListsPrivateMeetings(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	ana := actor("ana")
	if _, err := b.Service.Schedule(ctx, ana, core.ScheduleRequest{Title: "Secret", Start: t0.Add(time.Hour), Duration: time.Hour, Private: true}); err != nil {
		t.Fatal(err)
	}
	b.Schedule(ana, "Open", t0.Add(2*time.Hour), time.Hour)
	titles := func(who string) []string {
		t.Helper()
		ms, err := b.Service.List(ctx, actor(who))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Title)
		}
		return out
	}
	if got := titles("cleo"); !slices.Equal(got, []string{"Open"}) {
		t.Fatalf("cleo (not invited, not admin) lists %v", got)
	}
	update(t, b, adminActor("root"), core.SettingChange{Name: core.SettingAdmins, AddAdmins: []string{"cleo"}})
	if got := titles("cleo"); !slices.Equal(got, []string{"Secret", "Open"}) {
		t.Fatalf("cleo as a listed admin lists %v, want the private meeting too", got)
	}
}

// Ensure listed admins are looked up only when a request would otherwise
// be refused: an invitee's join reads settings only for its window, while a listed admin
// is looked up (and then sees the private meeting) when refused.
func TestAdminLookedUpOnlyOnRefusal(t *testing.T) {
	b := setup(t)
	cs := &countingStore{Store: b.Store}
	svc, err := core.NewService(context.Background(), b.Config, core.Deps{Store: cs, Conference: b.Conf, Clock: b.Clock}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m, err := svc.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: "1:1", Start: t0.Add(time.Minute), Duration: time.Hour, Private: true, Invitees: []string{"bo"}})
	if err != nil {
		t.Fatal(err)
	}
	m = b.MakeRoom(m) // the room job, as the scheduler runs it at once
	before := cs.finds
	if _, err := svc.Info(ctx, actor("bo"), m.ID); err != nil {
		t.Fatal(err)
	}
	if n := cs.finds - before; n != 0 {
		t.Fatalf("an invitee's info read the workspace settings %d times, want 0", n)
	}
	if _, err := svc.Join(ctx, actor("bo"), m.ID); err != nil {
		t.Fatal(err)
	}
	if n := cs.finds - before; n != 1 {
		t.Fatalf("an invitee's join read the workspace settings %d times, want 1 (the join window's margins)", n)
	}
	_, err = svc.Join(ctx, actor("cleo"), m.ID)
	wantCode(t, err, core.ENOTFOUND)
	update(t, b, adminActor("root"), core.SettingChange{Name: core.SettingAdmins, AddAdmins: []string{"cleo"}})
	// A listed admin sees the meeting now (EFORBIDDEN, not ENOTFOUND) but,
	// like every admin, joins a private meeting only once invited.
	_, err = svc.Join(ctx, actor("cleo"), m.ID)
	wantCode(t, err, core.EFORBIDDEN)
}
