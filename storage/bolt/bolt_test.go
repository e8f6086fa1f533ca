package bolt

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/storagetest"
)

// openTemp opens a store in dir with NoSync: bbolt then skips only the
// fdatasync after each commit, and every write still takes the same path
// into the file (read back through the page cache), so what these tests
// check (what each operation returns and leaves stored) is the same as on
// a synced file; only a power cut, which no test here acts out, would
// tell the two apart. The fsyncs cost each commit milliseconds of waiting
// on the disk. TestPersistence runs on the production setting.
func openTemp(t *testing.T, dir string) *DB {
	t.Helper()
	return openWith(t, dir, Options{NoSync: true})
}

// openWith opens a store in dir with opts.
func openWith(t *testing.T, dir string, opts Options) *DB {
	t.Helper()
	db, err := Open(filepath.Join(dir, "meetbot.db"), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

// Ensure the bbolt store passes the conformance suite.
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) core.Store { return openTemp(t, t.TempDir()) })
}

// Ensure the bbolt store keeps everything across a close and reopen, on
// real, fsynced files (the production options).
func TestPersistence(t *testing.T) {
	storagetest.RunPersistence(t, func(t *testing.T, dir string) core.Store { return openWith(t, dir, Options{}) })
}

// Ensure Open creates a private parent directory and file.
func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "nested", "meetbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got&^want != 0 {
			t.Errorf("%s has mode %v, want at most %v", p, got, want)
		}
	}
}

// Ensure a second Open of a file in use fails fast with an error that names the path.
func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "meetbot.db")
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer db.Close()

	start := time.Now()
	second, err := Open(path, Options{Timeout: 100 * time.Millisecond})
	if err == nil {
		second.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if took := time.Since(start); took > 20*time.Second { // a hang, not a slow machine
		t.Errorf("second Open took %v, want about the 100ms timeout", took)
	}
	if want := "another meetbot process is using " + path; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

// Ensure Open refuses a file written by a newer schema instead of misreading it.
func TestOpenRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	db := openTemp(t, dir)
	poke(t, db, bucketMeta, keySchema, []byte("99"))
	db.Close()
	if _, err := Open(filepath.Join(dir, "meetbot.db"), Options{}); err == nil || !strings.Contains(err.Error(), "newer meetbot") {
		t.Fatalf("Open of a schema-99 file: %v, want a 'newer meetbot' error", err)
	}
}

// poke writes a raw value, bypassing the store's encoding.
func poke(t *testing.T, db *DB, bucket, key, value []byte) {
	t.Helper()
	if err := db.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put(key, value) }); err != nil {
		t.Fatalf("poke: %v", err)
	}
}

// Ensure garbage in a stored value surfaces as an internal error, never a panic or a wrong record.
func TestCorruptRecordsAreErrors(t *testing.T) {
	ctx := t.Context()
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	prefix, _ := wsPrefix(ws)
	for _, garbage := range [][]byte{[]byte("\x00\xffnot json"), []byte("null"), []byte(`{"id":"other"}`), []byte("[1,2]")} {
		t.Run(strings.ToValidUTF8(string(garbage), "?"), func(t *testing.T) {
			db := openTemp(t, t.TempDir())
			defer db.Close()
			m := &core.Meeting{Workspace: ws, Start: time.Now(), Duration: time.Hour, State: core.StatePending}
			if err := db.CreateMeeting(ctx, m); err != nil {
				t.Fatal(err)
			}
			p := &core.Participant{Meeting: m.ID, User: core.UserKey{Workspace: ws, UserID: "U1"}, Token: "t"}
			if err := db.PutParticipant(ctx, p); err != nil {
				t.Fatal(err)
			}
			poke(t, db, bucketMeetings, meetingKey(prefix, m.ID), garbage)
			poke(t, db, bucketParticipants, join(participantPrefix(prefix, m.ID), []byte("U1")), garbage)
			poke(t, db, bucketUsers, join(prefix, []byte("U1")), garbage)
			poke(t, db, bucketWorkspaces, prefix, garbage)
			poke(t, db, bucketSecrets, []byte("s"), garbage)

			internal := func(what string, err error) {
				t.Helper()
				if code := core.ErrorCode(err); code != core.EINTERNAL {
					t.Errorf("%s on a corrupt record: code %q (%v), want %q", what, code, err, core.EINTERNAL)
				}
			}
			_, err := db.FindMeetingByID(ctx, ws, m.ID)
			internal("FindMeetingByID", err)
			_, err = db.FindMeetings(ctx, core.MeetingFilter{Workspace: ws})
			internal("FindMeetings", err)
			_, err = db.FindPendingMeetings(ctx)
			internal("FindPendingMeetings", err)
			_, err = db.UpdateMeeting(ctx, ws, m.ID, func(*core.Meeting) error { return nil })
			internal("UpdateMeeting", err)
			_, err = db.FindParticipant(ctx, ws, m.ID, "U1")
			internal("FindParticipant", err)
			_, err = db.ListParticipants(ctx, ws, m.ID)
			internal("ListParticipants", err)
			_, err = db.FindUser(ctx, core.UserKey{Workspace: ws, UserID: "U1"})
			internal("FindUser", err)
			_, err = db.FindWorkspace(ctx, ws)
			internal("FindWorkspace", err)
			_, err = db.Secret(ctx, "s", func() ([]byte, error) { return []byte("x"), nil })
			internal("Secret", err)

			// A corrupt meeting can still be deleted, index entries and all.
			if err := db.DeleteMeeting(ctx, ws, m.ID); err != nil {
				t.Fatalf("DeleteMeeting of a corrupt meeting: %v", err)
			}
			if got, err := db.FindMeetings(ctx, core.MeetingFilter{Workspace: ws}); err != nil || len(got) != 0 {
				t.Fatalf("FindMeetings after deleting the corrupt meeting = %d, %v", len(got), err)
			}
			if got, err := db.FindPendingMeetings(ctx); err != nil || len(got) != 0 {
				t.Fatalf("FindPendingMeetings after deleting the corrupt meeting = %d, %v", len(got), err)
			}
		})
	}
}

// Ensure keys that could escape a workspace's prefix are refused.
func TestNULInKeysIsRefused(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t, t.TempDir())
	defer db.Close()
	bad := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1\x00x"}
	if err := db.CreateMeeting(ctx, &core.Meeting{Workspace: bad}); err == nil {
		t.Error("CreateMeeting in a workspace id with NUL succeeded")
	}
	if err := db.CreateMeeting(ctx, &core.Meeting{}); err == nil {
		t.Error("CreateMeeting without a workspace succeeded")
	}
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	_, err := db.FindMeetingByID(ctx, ws, "1\x00U1")
	if core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("FindMeetingByID with NUL in the id: %v, want not found", err)
	}
}

// Ensure Ping fails and Close is harmless once the store is closed.
func TestPingAfterClose(t *testing.T) {
	db := openTemp(t, t.TempDir())
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(t.Context()); err == nil {
		t.Error("Ping on a closed store succeeded")
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Ensure ids are the decimal strings "1", "2", … that users type, per workspace.
func TestMeetingIDsAreDecimal(t *testing.T) {
	db := openTemp(t, t.TempDir())
	defer db.Close()
	for _, ws := range []core.WorkspaceKey{{Platform: core.PlatformSlack, ID: "T1"}, {Platform: core.PlatformDiscord, ID: "T1"}} {
		for want := 1; want <= 3; want++ {
			m := &core.Meeting{Workspace: ws, Start: time.Now()}
			if err := db.CreateMeeting(t.Context(), m); err != nil {
				t.Fatal(err)
			}
			if m.ID != strconv.Itoa(want) {
				t.Fatalf("meeting %d in %s got id %q", want, ws, m.ID)
			}
		}
	}
}

// TestLoneWriterDoesNotWaitForBatch ensures a single writer commits at once
// instead of waiting for the batch timer: with an hour-long batch delay, a
// lone CreateMeeting (or UpdateMeeting, PutParticipant) would otherwise hang.
func TestLoneWriterDoesNotWaitForBatch(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "lone.db"), Options{MaxBatchDelay: time.Hour, MaxBatchSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	ws := core.WorkspaceKey{Platform: core.PlatformConsole, ID: "w"}
	m := &core.Meeting{Workspace: ws, Title: "x", Start: time.Unix(1e9, 0), Duration: time.Hour, TimeZone: "UTC", State: core.StateScheduled}
	if err := db.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateMeeting(ctx, ws, m.ID, func(x *core.Meeting) error { x.Title = "y"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.PutParticipant(ctx, &core.Participant{Meeting: m.ID, User: core.UserKey{Workspace: ws, UserID: "u"}, Token: "t"}); err != nil {
		t.Fatal(err)
	}
}
