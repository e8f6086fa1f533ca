package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLocalModeKeepsRoomsAcrossRestarts: in local mode the sandbox keeps
// its rooms and participants next to the store, so after a restart a join
// to a meeting made before it uses the same room; nothing is found lost.
func TestLocalModeKeepsRoomsAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	runOnce := func(input string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"console", "--config", cfg, "--json", "--user", "ana"}, strings.NewReader(input), &out, &errOut, func(string) string { return "" })
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, errOut.String())
		}
		return out.String(), errOut.String()
	}
	out, _ := runOnce("/meet now standup for 1h\n/meet join 1\n")
	if !strings.Contains(out, `"join_url"`) {
		t.Fatalf("first run: %s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "sandbox.json")); err != nil {
		t.Fatalf("no sandbox state next to the store: %v", err)
	}
	out, logs := runOnce(":user bo\n/meet join 1\n")
	if !strings.Contains(out, `"join_url"`) || strings.Contains(logs, "room unknown upstream") {
		t.Fatalf("after a restart: %s\nlogs: %s", out, logs)
	}
}
