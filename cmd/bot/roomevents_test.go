package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/adapters/realtimekit/webhook"
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

// TestServeRegistersOneWebhook: `serve` with the real API (here the
// sandbox on its own port, as `bot sandbox` runs it) and an https
// public_url makes sure exactly one webhook exists for
// <public_url>/realtimekit/webhooks with the events meetbot uses: created
// on the first start, left alone on the second, corrected after someone
// changed it, never duplicated. Without a public URL nothing is
// registered (the poller runs instead).
func TestServeRegistersOneWebhook(t *testing.T) {
	sb := sandbox.New(sandbox.Options{APIToken: "tok"})
	api := httptest.NewServer(sb)
	t.Cleanup(api.Close)
	real := func(dir, publicURL string) string {
		body := "http:\n  listen: 127.0.0.1:0\n"
		if publicURL != "" {
			body += "  public_url: " + publicURL + "\n"
		}
		body += "storage:\n  bolt:\n    path: " + filepath.Join(dir, "data", "meetbot.db") + "\nlog:\n  level: warn\n" +
			"realtimekit:\n  sandbox: false\n  base_url: " + api.URL + "/client/v4/\n  account_id: acc\n  app_id: app\n  api_token: tok\n"
		path := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const hook = "https://meet.example.com/realtimekit/webhooks"
	check := func(when string) sandbox.WebhookInfo {
		t.Helper()
		hs := sb.Webhooks()
		if len(hs) != 1 || hs[0].URL != hook || !hs[0].Enabled || !slices.Equal(hs[0].Events, slices.Sorted(slices.Values(webhook.Events))) {
			t.Fatalf("%s: webhooks %+v", when, hs)
		}
		return hs[0]
	}
	dir := t.TempDir()
	a, _ := serveFrom(t, real(dir, "https://meet.example.com"))
	first := check("first start")
	a.shutdown()
	a, _ = serveFrom(t, real(dir, "https://meet.example.com"))
	if again := check("second start"); again.ID != first.ID || sb.Calls(sandbox.OpCreateWebhook) != 1 || sb.Calls(sandbox.OpEditWebhook) != 0 {
		t.Fatalf("second start created or edited: %+v", again)
	}
	a.shutdown()
	// Someone turned it off and dropped events: the next start fixes it.
	req, _ := http.NewRequest(http.MethodPatch, api.URL+"/client/v4/accounts/acc/realtime/kit/app/webhooks/"+first.ID,
		strings.NewReader(`{"enabled":false,"events":["meeting.started"]}`))
	req.Header.Set("Authorization", "Bearer tok")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("patch: %v %v", res, err)
	}
	serveFrom(t, real(dir, "https://meet.example.com"))
	if fixed := check("after a change"); fixed.ID != first.ID {
		t.Fatalf("fixed by a new webhook: %+v", fixed)
	}
	// Without a public URL: nothing new registered.
	serveFrom(t, real(t.TempDir(), ""))
	check("without a public URL")
}
