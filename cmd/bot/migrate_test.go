package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/adapters/console"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// TestMigrateCommand: meetings made in local mode on bbolt are copied by
// `bot migrate --from bolt --to etcd` and served by `bot serve` on etcd; a
// second run is refused, naming the prefix, and so is a missing file.
func TestMigrateCommand(t *testing.T) {
	dir := t.TempDir()
	lines := runLines(t, writeConfig(t, dir, ""), "/meet schedule Roadmap tomorrow 3pm\n/meet now standup\n")
	if len(lines) < 2 || !lines[0].OK || !lines[1].OK {
		t.Fatalf("console on bbolt: %+v", lines)
	}
	prefix := etcdtest.Prefix(t)
	cfgPath := writeEtcdConfig(t, dir, etcdtest.Shared(t), prefix, "migrator", "")
	migrate := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), append([]string{"migrate", "--from", "bolt", "--to", "etcd", "--config", cfgPath}, args...), nil, &out, &errOut, func(string) string { return "" })
		return code, out.String() + errOut.String()
	}
	code, out := migrate()
	if code != 0 || !strings.Contains(out, "2 meetings") || !strings.Contains(out, prefix) {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	code, out = migrate()
	if code == 0 || !strings.Contains(out, "already holds") || !strings.Contains(out, prefix) {
		t.Fatalf("second migrate: exit %d\n%s", code, out)
	}
	code, out = migrate("--bolt", filepath.Join(dir, "nope.db"))
	if code == 0 || !strings.Contains(out, "no bbolt file at "+filepath.Join(dir, "nope.db")) {
		t.Fatalf("missing file: exit %d\n%s", code, out)
	}

	a, _ := serveFrom(t, cfgPath)
	ms, err := a.store.FindMeetings(context.Background(), core.MeetingFilter{Workspace: core.WorkspaceKey{Platform: core.PlatformConsole, ID: console.WorkspaceID}})
	if err != nil || len(ms) != 2 {
		t.Fatalf("meetings served from etcd after migrate: %d (%v)", len(ms), err)
	}
}
