package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runConsoleEnv runs the console on input with the environment getenv,
// returning one decoded reply per line (announcements left out).
func runConsoleEnv(t *testing.T, cfg, input string, getenv func(string) string) []jsonLine {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"console", "--config", cfg, "--json", "--user", "ana"}, strings.NewReader(input), &out, &errOut, getenv)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut.String())
	}
	var lines []jsonLine
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var l jsonLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("not JSON: %q: %v", sc.Text(), err)
		}
		if l.Event == "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestConsoleWorkspaceZoneBeforeMachineZone replays issue 10's first
// defect: with the machine in Asia/Tokyo and no zone in the config, a
// workspace zone set by an admin must read the times of people who set
// none, for schedule and move alike; the machine's zone only applies
// before it is set, and a person's own zone beats both.
func TestConsoleWorkspaceZoneBeforeMachineZone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf("http:\n  listen: 127.0.0.1:0\nstorage:\n  bolt:\n    path: %s\nlog:\n  level: warn\n", filepath.Join(dir, "data", "meetbot.db"))
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "TZ" {
			return "Asia/Tokyo"
		}
		return ""
	}
	input := strings.Join([]string{
		"/meet schedule t1 tomorrow 3pm",   // 0: machine zone, nothing else set
		":admin on",                        // 1
		"/meet settings zone Europe/Paris", // 2
		":user zed",                        // 3
		"/meet schedule t2 tomorrow 3pm",   // 4: the workspace's zone
		"/meet move 2 to tomorrow 4pm",     // 5
		"/meet tz America/New_York",        // 6
		"/meet schedule t3 tomorrow 3pm",   // 7: zed's own zone
		"/meet info 2",                     // 8: shown in zed's zone now
	}, "\n") + "\n"
	lines := runConsoleEnv(t, path, input, getenv)
	if len(lines) != 9 {
		t.Fatalf("got %d replies for 9 lines: %+v", len(lines), lines)
	}
	at := func(i int, zone string, hour int) {
		t.Helper()
		l := lines[i]
		if !l.OK || l.Meeting == nil {
			t.Fatalf("line %d: %+v", i, l)
		}
		start, err := time.Parse(time.RFC3339, l.Meeting.Start)
		loc, lerr := time.LoadLocation(zone)
		if err != nil || lerr != nil {
			t.Fatalf("line %d: start %q: %v %v", i, l.Meeting.Start, err, lerr)
		}
		if l.Meeting.TimeZone != zone || start.In(loc).Hour() != hour || start.In(loc).Minute() != 0 {
			t.Fatalf("line %d: start %s in %s, want %02d:00 %s; text %q", i, l.Meeting.Start, l.Meeting.TimeZone, hour, zone, l.Text)
		}
	}
	at(0, "Asia/Tokyo", 15)
	at(4, "Europe/Paris", 15)
	if !strings.Contains(lines[4].Text, "Europe/Paris") || strings.Contains(lines[4].Text, "Asia/Tokyo") {
		t.Fatalf("schedule reply: %q", lines[4].Text)
	}
	at(5, "Europe/Paris", 16)
	at(7, "America/New_York", 15)
	if !lines[8].OK || !strings.Contains(lines[8].Text, "America/New_York") && !strings.Contains(lines[8].Text, "EST") && !strings.Contains(lines[8].Text, "EDT") {
		t.Fatalf("info in the reader's zone: %q", lines[8].Text)
	}
}
