package core_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
)

// Ensure a timing change also re-plans a meeting waiting for its room (its
// room was lost upstream and could not be re-created yet). Such a meeting
// is listed and keeps its jobs, so it must follow the new reminders too.
func TestTimingChangeReplansPendingMeetings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	m := b.Schedule(actor("ana"), "Sync", t0.Add(24*time.Hour), time.Hour)
	if _, err := b.Store.UpdateMeeting(ctx, ws, m.ID, func(x *core.Meeting) error {
		x.State = core.StatePending
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if r := pendingJobs(t, b, m.ID)[core.JobRemind]; len(r) != 2 {
		t.Fatalf("reminders before the change = %+v", r)
	}
	update(t, b, adminActor("ad"), core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{}})
	if r := pendingJobs(t, b, m.ID)[core.JobRemind]; len(r) != 0 {
		t.Fatalf("reminders off left %d reminders of a meeting waiting for its room", len(r))
	}
}

// pausingStore holds the result of the first FindWorkspace after it is
// armed until released, so a test can slip another change between a read of the
// settings and the write that follows it.
type pausingStore struct {
	core.Store
	armed   atomic.Bool
	paused  chan struct{}
	release chan struct{}
}

func (p *pausingStore) FindWorkspace(ctx context.Context, key core.WorkspaceKey) (*core.Workspace, error) {
	w, err := p.Store.FindWorkspace(ctx, key)
	if p.armed.CompareAndSwap(true, false) {
		close(p.paused)
		<-p.release
	}
	return w, err
}

// Ensure two admins changing settings at the same time both take effect:
// a change made while another is between reading and writing the settings
// is not overwritten with what that one read.
func TestConcurrentSettingsChangesKeepBoth(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	ps := &pausingStore{Store: b.Store, paused: make(chan struct{}), release: make(chan struct{})}
	svc, err := core.NewService(ctx, b.Config, core.Deps{Store: ps, Conference: b.Conf, Clock: b.Clock, Logger: zerolog.Nop()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ps.armed.Store(true)
	first := make(chan error, 1)
	go func() {
		_, err := svc.UpdateSettings(ctx, adminActor("ad"), core.SettingChange{Name: core.SettingAdmins, AddAdmins: []string{"cy"}})
		first <- err
	}()
	select {
	case <-ps.paused: // the first change read the settings and waits
		update(t, b, adminActor("root"), core.SettingChange{Name: core.SettingAdmins, AddAdmins: []string{"bo"}})
		close(ps.release)
	case err := <-first: // it read nothing outside its write
		first <- err
		update(t, b, adminActor("root"), core.SettingChange{Name: core.SettingAdmins, AddAdmins: []string{"bo"}})
	}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	w := storedWorkspace(t, b)
	if w == nil || !slices.Contains(w.Admins, "bo") || !slices.Contains(w.Admins, "cy") {
		t.Fatalf("admins after two concurrent additions = %+v, want bo and cy", w)
	}
}

// failingUsers fails every FindUser, as a store in trouble would.
type failingUsers struct{ core.Store }

func (failingUsers) FindUser(context.Context, core.UserKey) (*core.User, error) {
	return nil, errors.New("disk on fire")
}

// Ensure a failed read of a person's record never replaces it: an RSVP
// under a new display name, while the store cannot read users, keeps the
// zone the person set and the record that they were told about zones.
func TestRememberNameKeepsUserOnReadError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	m := b.Schedule(actor("ana"), "Sync", t0.Add(24*time.Hour), time.Hour)
	bo := actor("bo")
	if _, err := b.Service.SetTimeZone(ctx, bo, "Europe/Paris"); err != nil {
		t.Fatal(err)
	}
	svc, err := core.NewService(ctx, b.Config, core.Deps{Store: failingUsers{b.Store}, Conference: b.Conf, Clock: b.Clock, Logger: zerolog.Nop()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bo.Name = "Bo, renamed"
	if _, err := svc.RSVP(ctx, bo, m.ID, core.RSVPYes); err != nil {
		t.Fatal(err)
	}
	u, err := b.Store.FindUser(ctx, bo.User)
	if err != nil || u.TimeZone != "Europe/Paris" {
		t.Fatalf("user after an RSVP during a read failure = %+v, %v; want the zone kept", u, err)
	}
}
