package storagetest

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

func runInstallTests(t *testing.T, fresh func(t *testing.T) core.Store) {
	t.Run("InstallationRoundTripAndTenancy", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		ctx := t.Context()
		if _, err := s.FindInstallation(ctx, wsA); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("FindInstallation on empty store: got %v, want ENOTFOUND", err)
		}
		in := &core.Installation{Workspace: wsA, SealedToken: []byte{0, 1, 2, 255}, BotUserID: "UBOT",
			Scopes: "commands,chat:write", InstalledBy: "U1", InstalledAt: base}
		if err := s.PutInstallation(ctx, in); err != nil {
			t.Fatalf("PutInstallation: %v", err)
		}
		in.SealedToken[0] = 9 // the store must have copied it
		got, err := s.FindInstallation(ctx, wsA)
		if err != nil {
			t.Fatalf("FindInstallation: %v", err)
		}
		if !bytes.Equal(got.SealedToken, []byte{0, 1, 2, 255}) || got.BotUserID != "UBOT" || got.Scopes != in.Scopes ||
			got.InstalledBy != "U1" || !got.InstalledAt.Equal(base) || got.Workspace != wsA {
			t.Fatalf("installation differs: %+v", got)
		}
		for _, other := range []core.WorkspaceKey{wsB, wsC} {
			if _, err := s.FindInstallation(ctx, other); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("FindInstallation(%s) saw another workspace's install: %v", other, err)
			}
		}
		replaced := &core.Installation{Workspace: wsA, SealedToken: []byte("new"), InstalledAt: base.Add(time.Hour)}
		if err := s.PutInstallation(ctx, replaced); err != nil {
			t.Fatalf("PutInstallation (replace): %v", err)
		}
		if got, _ := s.FindInstallation(ctx, wsA); got == nil || string(got.SealedToken) != "new" || got.BotUserID != "" {
			t.Fatalf("replace did not replace: %+v", got)
		}
		if err := s.DeleteInstallation(ctx, wsA); err != nil {
			t.Fatalf("DeleteInstallation: %v", err)
		}
		if err := s.DeleteInstallation(ctx, wsA); err != nil {
			t.Fatalf("DeleteInstallation twice: %v", err)
		}
		if _, err := s.FindInstallation(ctx, wsA); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("deleted installation still found: %v", err)
		}
	})

	t.Run("OnceExpiresAndPrunes", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		ctx := t.Context()
		once := func(key string, now time.Time) bool {
			t.Helper()
			ok, err := s.Once(ctx, key, now, time.Minute)
			if err != nil {
				t.Fatalf("Once(%q): %v", key, err)
			}
			return ok
		}
		if !once("slack:T1:cmd:abc", base) {
			t.Fatal("first delivery reported as seen")
		}
		if once("slack:T1:cmd:abc", base.Add(59*time.Second)) {
			t.Fatal("a retry within the TTL counted as new")
		}
		if !once("slack:T2:cmd:abc", base) {
			t.Fatal("another key counted as seen")
		}
		if !once("slack:T1:cmd:abc", base.Add(61*time.Second)) {
			t.Fatal("an expired key still counted as seen")
		}
		if _, err := s.Once(ctx, "", base, time.Minute); err == nil {
			t.Fatal("an empty key was accepted")
		}
		for i := range 5 {
			once(fmt.Sprintf("old-%d", i), base.Add(-time.Hour))
		}
		n, err := s.PruneOnce(ctx, base.Add(30*time.Second))
		if err != nil {
			t.Fatalf("PruneOnce: %v", err)
		}
		if n != 5 {
			t.Fatalf("PruneOnce removed %d keys, want the 5 expired ones", n)
		}
		if once("slack:T2:cmd:abc", base.Add(30*time.Second)) {
			t.Fatal("PruneOnce dropped a live key")
		}
	})

	t.Run("OnceIsAtomicAcrossCallers", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				ok, err := s.Once(t.Context(), "retry-storm", base, time.Minute)
				if err != nil {
					t.Errorf("Once: %v", err)
				}
				if ok {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d of 32 concurrent callers were told the key was new, want exactly 1", wins.Load())
		}
	})
}
