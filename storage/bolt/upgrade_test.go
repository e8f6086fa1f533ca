package bolt

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

// Ensure a file written by the schema-2 build (testdata/schema2.db.gz, made
// by that build's own store: one weekly meeting with a skip and an RSVP,
// workspace settings, a user, three planned jobs and a secret) opens, is
// raised to the current schema, reads back as it was written, and takes
// the records schema 3 added (installations, delivery keys, cards, the
// admins-only setting), also after a reopen.
func TestOpenSchema2File(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "meetbot.db")
	writeGunzipped(t, "testdata/schema2.db.gz", path)
	if v := readSchema(t, path); v != "2" {
		t.Fatalf("fixture schema = %q, want 2", v)
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open of a schema-2 file: %v", err)
	}
	ctx := t.Context()
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T0123ABCDE"}
	start := time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)

	m, err := db.FindMeetingByID(ctx, ws, "1")
	if err != nil {
		t.Fatalf("meeting of the schema-2 file: %v", err)
	}
	if m.Title != "Weekly sync" || !m.Start.Equal(start) || m.Recurrence != "FREQ=WEEKLY;BYDAY=MO" ||
		len(m.Exceptions) != 1 || !m.Exceptions[0].Skipped || m.RSVPs["U2"] != core.RSVPYes || !m.Card.IsZero() || !m.Mirror.IsZero() {
		t.Fatalf("meeting read from a schema-2 file: %+v", m)
	}
	w, err := db.FindWorkspace(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	if w.DefaultTimeZone != "Europe/Berlin" || w.EarlyJoin == nil || *w.EarlyJoin != 3*time.Minute ||
		len(w.Reminders) != 2 || !w.DMReminders || w.AdminsOnly || len(w.Admins) != 0 {
		t.Fatalf("workspace read from a schema-2 file: %+v", w)
	}
	if u, err := db.FindUser(ctx, core.UserKey{Workspace: ws, UserID: "U1"}); err != nil || u.TimeZone != "Europe/Berlin" || u.ZoneHinted {
		t.Fatalf("user read from a schema-2 file: %+v, %v", u, err)
	}
	jobs, err := db.FindJobs(ctx, ws, "1")
	if err != nil || len(jobs) != 3 {
		t.Fatalf("jobs of the schema-2 file: %d, %v", len(jobs), err)
	}
	if got, err := db.ClaimDue(ctx, start, 10, "w1", time.Minute); err != nil || len(got) != 2 {
		t.Fatalf("claim from a schema-2 file: %d jobs, %v; want the reminder and the open job", len(got), err)
	}

	// What schema 3 added.
	if fresh, err := db.Once(ctx, "slack:retry:1", start, time.Minute); err != nil || !fresh {
		t.Fatalf("Once on an upgraded file = %v, %v", fresh, err)
	}
	in := &core.Installation{Workspace: ws, SealedToken: []byte{1, 2, 3}, BotUserID: "UBOT", InstalledAt: start}
	if err := db.PutInstallation(ctx, in); err != nil {
		t.Fatalf("PutInstallation on an upgraded file: %v", err)
	}
	if _, err := db.UpdateMeeting(ctx, ws, "1", func(m *core.Meeting) error {
		m.Card = core.MessageRef{Channel: "C1", ID: "171.1"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	w.AdminsOnly, w.Admins = true, []string{"U9"}
	if err := db.PutWorkspace(ctx, w); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if v := readSchema(t, path); v != fmt.Sprint(schemaVersion) {
		t.Fatalf("schema after open = %q, want %d", v, schemaVersion)
	}

	db, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("reopen of the upgraded file: %v", err)
	}
	defer db.Close()
	if got, err := db.FindInstallation(ctx, ws); err != nil || !bytes.Equal(got.SealedToken, in.SealedToken) {
		t.Fatalf("installation after reopen: %+v, %v", got, err)
	}
	if fresh, err := db.Once(ctx, "slack:retry:1", start, time.Minute); err != nil || fresh {
		t.Fatalf("a delivery key was forgotten on reopen: fresh=%v, %v", fresh, err)
	}
	if m, err := db.FindMeetingByID(ctx, ws, "1"); err != nil || m.Card.ID != "171.1" {
		t.Fatalf("card after reopen: %+v, %v", m, err)
	}
	if w, err := db.FindWorkspace(ctx, ws); err != nil || !w.AdminsOnly || len(w.Admins) != 1 {
		t.Fatalf("workspace after reopen: %+v, %v", w, err)
	}
}

func writeGunzipped(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// readSchema reads the schema number straight from the file.
func readSchema(t *testing.T, path string) string {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var v string
	if err := b.View(func(tx *bolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get(keySchema))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}
