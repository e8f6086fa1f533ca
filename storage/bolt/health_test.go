package bolt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// faulty opens a store whose writes fail with *fault (when set) and whose
// readiness cache runs on *now.
func faulty(t *testing.T) (*DB, *atomic.Pointer[error], *time.Time) {
	t.Helper()
	var fault atomic.Pointer[error]
	now := time.Unix(1_800_000_000, 0)
	db, err := Open(filepath.Join(t.TempDir(), "m.db"), Options{NoSync: true,
		WriteFault: func() error {
			if p := fault.Load(); p != nil {
				return *p
			}
			return nil
		},
		Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db, &fault, &now
}

// full is the error a write(2) on a full disk gives, as bbolt returns it.
func full(errno syscall.Errno) error {
	return &os.PathError{Op: "write", Path: "/data/meetbot.db", Err: errno}
}

// TestDiskFullIsOneSentence: a write that fails for a full disk, an
// exhausted quota or a read-only file system reaches the user as one plain
// sentence (EUNAVAILABLE), keeps the errno in its chain for the log, and
// changes nothing; Ping fails at once.
func TestDiskFullIsOneSentence(t *testing.T) {
	ctx := context.Background()
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS} {
		db, fault, _ := faulty(t)
		e := full(errno)
		fault.Store(&e)
		u := core.UserKey{Workspace: core.WorkspaceKey{Platform: core.PlatformConsole, ID: "local"}, UserID: "ana"}
		_, err := db.UpdateUser(ctx, u, func(x *core.User) error { x.TimeZone = "Europe/Paris"; return nil })
		if core.ErrorCode(err) != core.EUNAVAILABLE || core.ErrorMessage(err) != DiskFullMessage || !errors.Is(err, errno) {
			t.Fatalf("%v: code %q, message %q, errno kept %v", errno, core.ErrorCode(err), core.ErrorMessage(err), errors.Is(err, errno))
		}
		if strings.Contains(core.ErrorMessage(err), "space left") || strings.Contains(core.ErrorMessage(err), "read-only") {
			t.Fatalf("the errno reached the user: %q", core.ErrorMessage(err))
		}
		if err := db.Ping(ctx); core.ErrorMessage(err) != DiskFullMessage {
			t.Fatalf("%v: Ping after a failed write = %v", errno, err)
		}
		fault.Store(nil)
		if _, err := db.FindUser(ctx, u); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("%v: the failed write left a user: %v", errno, err)
		}
	}
}

// TestPingProbesWrites: Ping commits a write, so a store whose writes fail
// is not ready even when nothing else wrote (the old Ping was a read and
// said ready); the answer is cached for probeTTL, and a store that can
// write again is ready once it has expired.
func TestPingProbesWrites(t *testing.T) {
	ctx := context.Background()
	db, fault, now := faulty(t)
	e := full(syscall.ENOSPC)
	fault.Store(&e)
	if err := db.Ping(ctx); core.ErrorMessage(err) != DiskFullMessage {
		t.Fatalf("Ping on a full disk = %v", err)
	}
	fault.Store(nil)
	if err := db.Ping(ctx); err == nil {
		t.Fatal("Ping did not answer from its cache within probeTTL")
	}
	*now = now.Add(probeTTL)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping after the disk was freed: %v", err)
	}
	// Cheap: many Pings inside probeTTL make no further commit.
	var commits atomic.Int64
	db.fault = func() error { commits.Add(1); return nil }
	for range 100 {
		if err := db.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := commits.Load(); n != 0 {
		t.Fatalf("100 Pings inside probeTTL committed %d probes, want 0", n)
	}
	*now = now.Add(probeTTL)
	_ = db.Ping(ctx)
	if n := commits.Load(); n != 1 {
		t.Fatalf("a Ping after probeTTL committed %d probes, want 1", n)
	}
}
