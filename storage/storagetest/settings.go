package storagetest

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

func durp(d time.Duration) *time.Duration { return &d }

// sameWorkspace compares with Equal for UpdatedAt, by value for durations.
func sameWorkspace(t *testing.T, got, want *core.Workspace) {
	t.Helper()
	g, w := *got, *want
	sameTime(t, "workspace UpdatedAt", g.UpdatedAt, w.UpdatedAt)
	g.UpdatedAt, w.UpdatedAt = time.Time{}, time.Time{}
	if len(g.Admins) == 0 {
		g.Admins = nil
	}
	if len(w.Admins) == 0 {
		w.Admins = nil
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("workspace differs:\n got %+v (early %v, grace %v)\nwant %+v (early %v, grace %v)",
			g, deref(g.EarlyJoin), deref(g.Grace), w, deref(w.EarlyJoin), deref(w.Grace))
	}
}

func deref(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return *d
}

func sameUser(t *testing.T, got, want *core.User) {
	t.Helper()
	g, w := *got, *want
	sameTime(t, "user UpdatedAt", g.UpdatedAt, w.UpdatedAt)
	g.UpdatedAt, w.UpdatedAt = time.Time{}, time.Time{}
	if g != w {
		t.Fatalf("user differs:\n got %+v\nwant %+v", g, w)
	}
}

func runSettingsTests(t *testing.T, open func(*testing.T) core.Store) {
	// Ensure users round-trip, are replaced by PutUser, and are scoped by workspace.
	t.Run("UserRoundTripAndScope", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		key := core.UserKey{Workspace: wsA, UserID: "U1"}
		_, err := s.FindUser(t.Context(), key)
		wantCode(t, err, core.ENOTFOUND, "user never stored")
		u := &core.User{Key: key, DisplayName: "Ada Lovelace", TimeZone: "Asia/Kolkata", ZoneHinted: true, UpdatedAt: base}
		if err := s.PutUser(t.Context(), u); err != nil {
			t.Fatalf("PutUser: %v", err)
		}
		got, err := s.FindUser(t.Context(), key)
		if err != nil {
			t.Fatalf("FindUser: %v", err)
		}
		sameUser(t, got, u)
		for _, ws := range []core.WorkspaceKey{wsB, wsC} {
			_, err := s.FindUser(t.Context(), core.UserKey{Workspace: ws, UserID: "U1"})
			wantCode(t, err, core.ENOTFOUND, "same user id in "+ws.String())
		}
		u2 := *u
		u2.TimeZone, u2.UpdatedAt = "", base.Add(time.Hour)
		if err := s.PutUser(t.Context(), &u2); err != nil {
			t.Fatalf("PutUser: %v", err)
		}
		got, _ = s.FindUser(t.Context(), key)
		sameUser(t, got, &u2)
	})

	// Ensure workspace settings round-trip with nil, zero and non-zero durations, nil versus empty
	// reminder leads (default versus none), and are scoped by platform.
	t.Run("WorkspaceRoundTripAndScope", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		_, err := s.FindWorkspace(t.Context(), wsA)
		wantCode(t, err, core.ENOTFOUND, "workspace never stored")
		for _, w := range []*core.Workspace{
			{Key: wsA},
			{Key: wsA, DefaultTimeZone: "America/New_York", EarlyJoin: durp(10 * time.Minute),
				Grace: durp(0), Reminders: []time.Duration{15 * time.Minute, 90 * time.Second, 0},
				DMReminders: true, AdminsOnly: true, Admins: []string{"U1", "U2"}, UpdatedAt: base},
			{Key: wsA, EarlyJoin: nil, Grace: durp(90 * time.Second), Reminders: []time.Duration{},
				UpdatedAt: base.Add(time.Hour)},
		} {
			if err := s.PutWorkspace(t.Context(), w); err != nil {
				t.Fatalf("PutWorkspace: %v", err)
			}
			got, err := s.FindWorkspace(t.Context(), wsA)
			if err != nil {
				t.Fatalf("FindWorkspace: %v", err)
			}
			sameWorkspace(t, got, w)
			if len(got.Admins) > 0 {
				got.Admins[0] = "mutated"
				if len(got.Reminders) > 0 {
					got.Reminders[0] = time.Hour
				}
				again, _ := s.FindWorkspace(t.Context(), wsA)
				sameWorkspace(t, again, w)
			}
		}
		for _, ws := range []core.WorkspaceKey{wsB, wsC} {
			_, err := s.FindWorkspace(t.Context(), ws)
			wantCode(t, err, core.ENOTFOUND, "settings of "+ws.String())
		}
	})

	// Ensure UpdateWorkspace starts from an empty record, stores nothing
	// when fn fails, stays in its workspace, and loses no update when 16
	// callers add an admin each at once.
	// Ensure UpdateUser is atomic: concurrent changes to different fields all
	// land, ErrUnchanged writes nothing, and a failing fn stores nothing.
	t.Run("UpdateUserIsAtomic", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		key := core.UserKey{Workspace: wsA, UserID: "U9"}
		other := core.UserKey{Workspace: wsB, UserID: "U9"}
		got, err := s.UpdateUser(t.Context(), key, func(u *core.User) error { return core.ErrUnchanged })
		if err != nil || got.Key != key || got.DisplayName != "" {
			t.Fatalf("ErrUnchanged on a missing user: %+v, %v", got, err)
		}
		if _, err := s.FindUser(t.Context(), key); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("ErrUnchanged stored a user: %v", err)
		}
		boom := errors.New("boom")
		if _, err := s.UpdateUser(t.Context(), key, func(u *core.User) error { u.TimeZone = "UTC"; return boom }); !errors.Is(err, boom) {
			t.Fatalf("fn error: %v", err)
		}
		if _, err := s.FindUser(t.Context(), key); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("a failed update stored a user: %v", err)
		}
		var wg sync.WaitGroup
		for i, set := range []func(*core.User){
			func(u *core.User) { u.TimeZone = "Asia/Kolkata" },
			func(u *core.User) { u.ZoneHinted = true },
			func(u *core.User) { u.DisplayName = "Ada" },
		} {
			wg.Go(func() {
				if _, err := s.UpdateUser(t.Context(), key, func(u *core.User) error { set(u); u.UpdatedAt = base.Add(time.Duration(i)); return nil }); err != nil {
					t.Errorf("UpdateUser: %v", err)
				}
			})
		}
		wg.Wait()
		u, err := s.FindUser(t.Context(), key)
		if err != nil || u.TimeZone != "Asia/Kolkata" || !u.ZoneHinted || u.DisplayName != "Ada" {
			t.Fatalf("after three concurrent updates: %+v, %v; want all three changes", u, err)
		}
		if _, err := s.FindUser(t.Context(), other); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("the update reached another workspace: %v", err)
		}
	})

	t.Run("UpdateWorkspaceIsAtomic", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		boom := errors.New("refused")
		if _, err := s.UpdateWorkspace(t.Context(), wsA, func(w *core.Workspace) error {
			w.DMReminders = true
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("UpdateWorkspace error = %v, want %v", err, boom)
		}
		_, err := s.FindWorkspace(t.Context(), wsA)
		wantCode(t, err, core.ENOTFOUND, "workspace after a failed update")
		got, err := s.UpdateWorkspace(t.Context(), wsA, func(w *core.Workspace) error {
			if w.Key != wsA || w.Reminders != nil || w.EarlyJoin != nil || len(w.Admins) != 0 {
				return fmt.Errorf("a new workspace starts as %+v", w)
			}
			w.Reminders, w.UpdatedAt = []time.Duration{}, base
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sameWorkspace(t, got, &core.Workspace{Key: wsA, Reminders: []time.Duration{}, UpdatedAt: base})
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.UpdateWorkspace(t.Context(), wsA, func(w *core.Workspace) error {
					w.Admins = append(w.Admins, fmt.Sprintf("U%02d", i))
					return nil
				})
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		w, err := s.FindWorkspace(t.Context(), wsA)
		if err != nil || len(w.Admins) != n || w.Reminders == nil {
			t.Fatalf("after %d concurrent updates: %+v, %v", n, w, err)
		}
		_, err = s.FindWorkspace(t.Context(), wsB)
		wantCode(t, err, core.ENOTFOUND, "settings of "+wsB.String())
	})

	// Ensure a secret is generated once and then returned as stored, per name.
	t.Run("SecretIsCreatedOnce", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		gen := func(b byte) func() ([]byte, error) {
			return func() ([]byte, error) { return bytes.Repeat([]byte{b}, 32), nil }
		}
		first, err := s.Secret(t.Context(), "join-link", gen(1))
		if err != nil || !bytes.Equal(first, bytes.Repeat([]byte{1}, 32)) {
			t.Fatalf("Secret = %x, %v; want the generated bytes", first, err)
		}
		first[0] = 99 // a returned slice is the caller's
		again, err := s.Secret(t.Context(), "join-link", gen(2))
		if err != nil || !bytes.Equal(again, bytes.Repeat([]byte{1}, 32)) {
			t.Fatalf("second Secret = %x, %v; want the first value", again, err)
		}
		other, err := s.Secret(t.Context(), "participant-id", gen(3))
		if err != nil || !bytes.Equal(other, bytes.Repeat([]byte{3}, 32)) {
			t.Fatalf("Secret of another name = %x, %v; want its own value", other, err)
		}
	})

	// Ensure 16 concurrent first callers all get the one value that was stored.
	t.Run("SecretConcurrentCallersAgree", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const n = 16
		var (
			wg    sync.WaitGroup
			calls atomic.Int32
			got   [n][]byte
			errs  [n]error
		)
		for i := range n {
			wg.Go(func() {
				got[i], errs[i] = s.Secret(t.Context(), "join-link", func() ([]byte, error) {
					calls.Add(1)
					return fmt.Appendf(nil, "secret-from-caller-%02d", i), nil
				})
			})
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("caller %d: %v", i, errs[i])
			}
			if !bytes.Equal(got[i], got[0]) {
				t.Fatalf("caller %d got %q, caller 0 got %q", i, got[i], got[0])
			}
		}
		if calls.Load() == 0 {
			t.Fatal("gen was never called")
		}
		later, err := s.Secret(t.Context(), "join-link", func() ([]byte, error) { return []byte("late"), nil })
		if err != nil || !bytes.Equal(later, got[0]) {
			t.Fatalf("later Secret = %q, %v; want %q", later, err, got[0])
		}
	})

	// Ensure an error from gen is returned and nothing is stored.
	t.Run("SecretGenErrorStoresNothing", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		boom := errors.New("entropy unavailable")
		_, err := s.Secret(t.Context(), "join-link", func() ([]byte, error) { return nil, boom })
		if !errors.Is(err, boom) {
			t.Fatalf("Secret error = %v, want one wrapping %v", err, boom)
		}
		got, err := s.Secret(t.Context(), "join-link", func() ([]byte, error) { return []byte("good"), nil })
		if err != nil || string(got) != "good" {
			t.Fatalf("Secret after a failed gen = %q, %v; want the new value", got, err)
		}
	})

	// Ensure Ping succeeds on an open store.
	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		if err := open(t).Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}
