package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckConfigNotesPublicURLForWebhooks: a valid config with the real
// API and a public URL that is not https (or none) passes, and
// check-config says that webhooks cannot reach meetbot so it polls; an
// https one draws no note, and neither does the sandbox.
func TestCheckConfigNotesPublicURLForWebhooks(t *testing.T) {
	dir := t.TempDir()
	check := func(publicURL string, sandbox bool) string {
		t.Helper()
		body := "realtimekit:\n  sandbox: " + map[bool]string{true: "true", false: "false"}[sandbox] + `
  account_id: acc
  app_id: app
  api_token: tok
`
		if publicURL != "" {
			body = "http:\n  public_url: " + publicURL + "\n" + body
		}
		path := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"check-config", "--config", path}, nil, &out, &errOut, func(string) string { return "" }); code != 0 {
			t.Fatalf("check-config failed (%d): %s %s", code, out.String(), errOut.String())
		}
		return out.String()
	}
	if out := check("http://meet.example.com", false); !strings.Contains(out, "note: http.public_url") || !strings.Contains(out, "not https") {
		t.Fatalf("http public URL: %s", out)
	}
	if out := check("", false); !strings.Contains(out, "note: http.public_url is not set") {
		t.Fatalf("no public URL: %s", out)
	}
	for _, c := range []struct {
		url     string
		sandbox bool
	}{{"https://meet.example.com", false}, {"http://localhost:8080", true}} {
		if out := check(c.url, c.sandbox); strings.Contains(out, "note:") {
			t.Fatalf("%s (sandbox %v) drew a note: %s", c.url, c.sandbox, out)
		}
	}
}

// TestWebhookKeyURLChecked: with the real API a malformed key URL is a
// problem naming its key.
func TestWebhookKeyURLChecked(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RealtimeKit.Sandbox = false
	cfg.RealtimeKit.AccountID, cfg.RealtimeKit.AppID, cfg.RealtimeKit.APIToken = "a", "b", "c"
	cfg.RealtimeKit.WebhookKeyURL = "not a url"
	var got []string
	cfg.validateRoomEvents(func(format string, args ...any) { got = append(got, format) })
	if len(got) != 1 || !strings.Contains(got[0], "realtimekit.webhook_key_url") {
		t.Fatalf("problems %q", got)
	}
}

// TestLocalModeRoomEventsEndToEnd: in local mode the sandbox's webhook is
// registered for this process's listener at start, so ":join 1" in the
// console (the sandbox room) comes back through a signed webhook, the
// inbox and the service as started and participant_joined events, and
// ":leave 1" as participant_left and ended.
func TestLocalModeRoomEventsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	pr, pw := io.Pipe()
	outCh := make(chan string, 64)
	out := &syncWriter{lines: outCh}
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"console", "--config", cfg, "--json", "--user", "ana", "--no-wait"}, pr, out, io.Discard, func(string) string { return "" })
	}()
	next := func() jsonEvent {
		t.Helper()
		select {
		case l := <-outCh:
			var ev jsonEvent
			if err := json.Unmarshal([]byte(l), &ev); err != nil {
				t.Fatalf("not JSON: %q", l)
			}
			return ev
		case <-time.After(20 * time.Second):
			t.Fatal("no output")
		}
		return jsonEvent{}
	}
	waitEvent := func(name string) {
		t.Helper()
		for {
			if ev := next(); ev.Event == name {
				return
			}
		}
	}
	fmt.Fprintln(pw, "/meet now standup")
	if ev := next(); !ev.OK {
		t.Fatalf("now: %+v", ev)
	}
	fmt.Fprintln(pw, ":join 1")
	waitEvent("started")
	waitEvent("participant_joined")
	fmt.Fprintln(pw, ":leave 1")
	waitEvent("participant_left")
	waitEvent("ended")
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// jsonEvent is the part of a console --json line this test reads.
type jsonEvent struct {
	OK    bool   `json:"ok"`
	Event string `json:"event"`
}
