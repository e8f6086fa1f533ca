package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/slack"
)

// Ensure serve with Slack OAuth settings mounts the install flow (a 302 to
// Slack's authorize page with our scopes and callback, and a state cookie)
// and the Events API (an uninstall event is accepted), and that a workspace
// that never installed gets commands answered but no token.
func TestServeWithSlackOAuth(t *testing.T) {
	dir := t.TempDir()
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	cfgText := fmt.Sprintf(`http:
  listen: 127.0.0.1:0
  public_url: https://meetbot.example.com
storage:
  bolt:
    path: %s
  encryption_key: %s
slack:
  signing_secret: %s
  client_id: "123.456"
  client_secret: not-a-real-client-secret
log:
  level: warn
`, filepath.Join(dir, "data", "meetbot.db"), strings.Repeat("ab", 32), secret)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _ := serveFrom(t, path)
	base := "http://" + a.httpLn.Addr().String()

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(base + "/slack/install")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc == nil || loc.Host != "slack.com" ||
		loc.Query().Get("client_id") != "123.456" || loc.Query().Get("state") == "" ||
		loc.Query().Get("redirect_uri") != "https://meetbot.example.com/slack/oauth/callback" ||
		!strings.Contains(loc.Query().Get("scope"), "chat:write") || len(resp.Cookies()) == 0 {
		t.Fatalf("install: %d %q cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}

	body := `{"type":"event_callback","team_id":"T9","event_id":"Ev1","event":{"type":"app_uninstalled"}}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/events", strings.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(secret, ts, []byte(body)))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("events: %d", resp.StatusCode)
	}
}

// Ensure serve warns when chat is on but http.public_url is not set, since
// join links would then point at the listen address.
func TestServeWarnsWithoutPublicURL(t *testing.T) {
	path := writeConfig(t, t.TempDir(), "slack:\n  signing_secret: 8f742231b10e8888abcd99yyyzzz85a5\n")
	cfg, problems, err := LoadConfig(path, func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v %v", err, problems)
	}
	var logs bytes.Buffer
	a, err := buildApp(t.Context(), cfg, zerolog.New(&logs), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	a.close()
	if !strings.Contains(logs.String(), "http.public_url is not set") {
		t.Fatalf("no warning about http.public_url in:\n%s", logs.String())
	}
}
