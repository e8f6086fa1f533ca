package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// writeEtcdConfig writes a config on the etcd driver: endpoints, a prefix
// of the test's own, this replica's id, and a free loopback port.
func writeEtcdConfig(t *testing.T, dir string, endpoints []string, prefix, replica, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "config-"+replica+".yaml")
	body := fmt.Sprintf(`http:
  listen: 127.0.0.1:0
storage:
  driver: etcd
  replica_id: %s
  bolt:
    path: %s
  etcd:
    endpoints: [%s]
    prefix: %s
    leader_ttl: 1s
    dial_timeout: 2s
meetings:
  default_timezone: America/New_York
log:
  level: warn
%s`, replica, filepath.Join(dir, "data", "meetbot.db"), strings.Join(endpoints, ", "), prefix, extra)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readyz fetches /readyz and decodes its JSON.
func readyz(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("/readyz is not JSON: %q", raw)
	}
	return resp.StatusCode, body
}

// waitLead waits until a's replica has led and finished its recovery.
func waitLead(t *testing.T, a *app) {
	t.Helper()
	select {
	case <-a.firstLead:
	case <-time.After(20 * time.Second): // a deadlock guard, not synchronisation
		t.Fatalf("replica %s never led", a.replica)
	}
}

// TestServeOnEtcd: `bot serve` on the etcd driver answers a signed Slack
// slash command, stores the meeting in etcd under its prefix, and /readyz
// says driver etcd, store ok, leading true.
func TestServeOnEtcd(t *testing.T) {
	dir := t.TempDir()
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	cfgPath := writeEtcdConfig(t, dir, etcdtest.Shared(t), etcdtest.Prefix(t), "replica-a", "slack:\n  signing_secret: "+secret+"\n")
	a, base := serveFrom(t, cfgPath)
	if a.backend.Driver != "etcd" {
		t.Fatalf("driver %q", a.backend.Driver)
	}
	waitLead(t, a)
	code, body := readyz(t, base)
	if code != http.StatusOK || body["driver"] != "etcd" || body["replica"] != "replica-a" || body["store"] != "ok" || body["leading"] != true {
		t.Fatalf("/readyz: %d %v", code, body)
	}
	resp := postSlackCommand(t, base, secret, "now standup")
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(out), "in_channel") || !strings.Contains(string(out), "standup") {
		t.Fatalf("slash command on etcd: %d %s", resp.StatusCode, out)
	}
	ms, err := a.store.FindMeetings(context.Background(), core.MeetingFilter{Workspace: core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}})
	if err != nil || len(ms) != 1 || ms[0].Title != "standup" {
		t.Fatalf("meetings in etcd: %v, %v", ms, err)
	}
}

// postSlackCommand sends a signed /meet with text to base's Slack endpoint.
func postSlackCommand(t *testing.T, base, secret, text string) *http.Response {
	t.Helper()
	body := "team_id=T1&channel_id=C1&user_id=U1&user_name=ana&command=%2Fmeet&text=" + strings.ReplaceAll(text, " ", "+") +
		"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1%2F2&trigger_id=t" + strconv.FormatInt(time.Now().UnixNano(), 10)
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slack.Sign(secret, ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestTwoReplicasOneLeaderHandOver: two `bot serve` replicas on one prefix;
// exactly one leads, a meeting scheduled on the follower is visible to the
// leader, and a clean shutdown of the leader hands the lead to the other
// at once (it resigns instead of letting the lease run out).
func TestTwoReplicasOneLeaderHandOver(t *testing.T) {
	dir := t.TempDir()
	eps, prefix := etcdtest.Shared(t), etcdtest.Prefix(t)
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	slackCfg := "slack:\n  signing_secret: " + secret + "\n"
	// A lease far longer than waitLead's guard: the hand-over below can
	// only pass through the resign, never through the lease running out.
	longLease := func(path string) string {
		raw, _ := os.ReadFile(path)
		if err := os.WriteFile(path, []byte(strings.Replace(string(raw), "leader_ttl: 1s", "leader_ttl: 60s", 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	first, firstURL := serveFrom(t, longLease(writeEtcdConfig(t, dir, eps, prefix, "replica-1", slackCfg)))
	waitLead(t, first)
	second, secondURL := serveFrom(t, longLease(writeEtcdConfig(t, dir, eps, prefix, "replica-2", slackCfg)))
	if _, body := readyz(t, firstURL); body["leading"] != true {
		t.Fatalf("first replica: %v", body)
	}
	if _, body := readyz(t, secondURL); body["leading"] != false || body["store"] != "ok" {
		t.Fatalf("second replica while the first leads: %v", body)
	}
	resp := postSlackCommand(t, secondURL, secret, "now planning")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("command on the follower: %d", resp.StatusCode)
	}
	if ms, err := first.store.FindMeetings(context.Background(), core.MeetingFilter{Workspace: core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}}); err != nil || len(ms) != 1 {
		t.Fatalf("the leader sees %d meetings (%v), want the follower's one", len(ms), err)
	}
	start := time.Now()
	first.shutdown()
	waitLead(t, second)
	t.Logf("leadership moved %s after the leader's shutdown began (leader_ttl 60s)", time.Since(start).Round(time.Millisecond))
	if _, body := readyz(t, secondURL); body["leading"] != true {
		t.Fatalf("second replica after the first stopped: %v", body)
	}
}

// TestServeUnreachableEtcdFailsFast: `bot serve` with no etcd at its
// endpoint exits non-zero once its dial_timeout runs out, naming the
// endpoint, instead of waiting for it.
func TestServeUnreachableEtcdFailsFast(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeEtcdConfig(t, dir, []string{"http://127.0.0.1:1"}, "/meetbot/", "lonely", "")
	// The shortest dial_timeout the config takes: what is proven is that
	// serve gives up by itself when it runs out, not how long 2 s are.
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(string(raw), "dial_timeout: 2s", "dial_timeout: 100ms", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	// A context far longer than the dial timeout: if serve hung on the
	// endpoint, this would end it and the test would say so.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	code := run(ctx, []string{"serve", "--config", cfgPath}, nil, io.Discard, &stderr, func(string) string { return "" })
	took := time.Since(start)
	if code == 0 {
		t.Fatal("serve without etcd exited 0")
	}
	if ctx.Err() != nil {
		t.Fatalf("serve did not give up on the unreachable endpoint by itself (the test's context ended it after %s)", took.Round(time.Millisecond))
	}
	if !strings.Contains(stderr.String(), "127.0.0.1:1") {
		t.Fatalf("stderr does not name the endpoint:\n%s", stderr.String())
	}
	t.Logf("exit %d after %s: %s", code, took.Round(time.Millisecond), strings.TrimSpace(stderr.String()))
}
