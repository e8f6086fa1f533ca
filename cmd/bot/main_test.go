package main

import (
	"bufio"
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

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/slack"
)

// writeConfig writes a config that keeps everything inside dir and listens
// on a free loopback port.
func writeConfig(t *testing.T, dir string, extra string) string {
	t.Helper()
	path := filepath.Join(dir, "config.yaml")
	body := fmt.Sprintf("http:\n  listen: 127.0.0.1:0\nstorage:\n  bolt:\n    path: %s\nmeetings:\n  default_timezone: America/New_York\nlog:\n  level: warn\n%s", filepath.Join(dir, "data", "meetbot.db"), extra)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// serveFrom loads the config at path and starts the app as `bot serve`
// would, returning its base URL; everything stops when the test ends.
func serveFrom(t *testing.T, path string) (*app, string) {
	t.Helper()
	cfg, problems, err := LoadConfig(path, func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v %v", err, problems)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := buildApp(ctx, cfg, zerolog.Nop(), func(string) string { return "" })
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	a.start(ctx)
	t.Cleanup(func() { a.shutdown(); cancel() })
	return a, "http://" + a.httpLn.Addr().String()
}

type jsonLine struct {
	Event   string `json:"event"`
	OK      bool   `json:"ok"`
	Text    string `json:"text"`
	JoinURL string `json:"join_url"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		OpensAt string `json:"opens_at"`
	} `json:"error"`
	Meeting *struct {
		ID        string `json:"id"`
		Title     string `json:"title"`
		Status    string `json:"status"`
		Start     string `json:"start"`
		End       string `json:"end"`
		TimeZone  string `json:"timezone"`
		Organizer string `json:"organizer"`
	} `json:"meeting"`
}

func runLines(t *testing.T, cfg string, input string) []jsonLine {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"console", "--config", cfg, "--json", "--user", "ana"}, strings.NewReader(input), &out, &errOut, func(string) string { return "" })
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
		lines = append(lines, l)
	}
	return lines
}

// TestConsoleEndToEndJSON drives the real binary's code path through a pipe:
// local storage, sandbox over loopback HTTP, the real SDK, and the web server
// serving the issued link.
func TestConsoleEndToEndJSON(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	input := strings.Join([]string{
		"/meet now standup for 15m",
		"/meet join 1",
		":user bo",
		"/meet cancel 1",
		// Three days out, so the join below is refused as too early
		// whatever the time of day (within 24 h it would get an early link).
		"/meet schedule \"Design review\" " + threeDaysOut() + " 3pm for 45m",
		"/meet join 2",
		"/meet shedule oops",
		"",
		"/meet list",
	}, "\n") + "\n"
	lines := runLines(t, cfg, input)
	if len(lines) != 9 {
		t.Fatalf("got %d reply objects for 9 input lines: %+v", len(lines), lines)
	}
	now := lines[0]
	if !now.OK || now.Meeting == nil || now.Meeting.ID != "1" || now.Meeting.Status != "open" || now.Meeting.Title != "standup" || now.Meeting.TimeZone != "America/New_York" || now.Meeting.Organizer != "ana" {
		t.Fatalf("now: %+v %+v", now, now.Meeting)
	}
	start, err := time.Parse(time.RFC3339, now.Meeting.Start)
	end, err2 := time.Parse(time.RFC3339, now.Meeting.End)
	if err != nil || err2 != nil || end.Sub(start) != 15*time.Minute {
		t.Fatalf("start/end: %q %q", now.Meeting.Start, now.Meeting.End)
	}
	join := lines[1]
	if !join.OK || !strings.Contains(join.JoinURL, "/j/") {
		t.Fatalf("join: %+v", join)
	}
	if !lines[2].OK {
		t.Fatalf(":user: %+v", lines[2])
	}
	if lines[3].OK || lines[3].Error == nil || lines[3].Error.Code != "forbidden" {
		t.Fatalf("cancel by another user: %+v", lines[3])
	}
	if !lines[4].OK || lines[4].Meeting == nil || lines[4].Meeting.Status != "scheduled" || !strings.Contains(lines[4].Meeting.Start, "T15:00:00-0") {
		t.Fatalf("schedule: %+v %+v", lines[4], lines[4].Meeting)
	}
	// Three days out opens more than a day from now, so the join is told
	// only when it opens; the early-link case (within a day) is kept so
	// the test reads the same if the schedule line is moved closer.
	switch early := lines[5]; {
	case early.OK:
		if !strings.Contains(early.JoinURL, "/j/") || !strings.Contains(early.Text, "opens at") {
			t.Fatalf("early link: %+v", early)
		}
	case early.Error == nil || early.Error.Code != "too_early" || early.Error.OpensAt == "":
		t.Fatalf("too early: %+v", early)
	}
	if lines[6].OK || lines[6].Error == nil || lines[6].Error.Code != "invalid" {
		t.Fatalf("typo: %+v", lines[6])
	}
	if !lines[7].OK {
		t.Fatalf("blank line: %+v", lines[7])
	}
	if !lines[8].OK {
		t.Fatalf("list: %+v", lines[8])
	}
}

// TestLinkServedOverHTTP checks that a link printed by the console opens the
// sandbox join page while the process still runs.
func TestLinkServedOverHTTP(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir, "")
	pr, pw := io.Pipe()
	var out syncWriter
	outCh := make(chan string, 16)
	out.lines = outCh
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"console", "--config", cfg, "--json", "--user", "ana"}, pr, &out, io.Discard, func(string) string { return "" })
	}()
	fmt.Fprintln(pw, "/meet now standup")
	<-outCh
	fmt.Fprintln(pw, "/meet join")
	var l jsonLine
	if err := json.Unmarshal([]byte(<-outCh), &l); err != nil || l.JoinURL == "" {
		t.Fatalf("join reply: %+v %v", l, err)
	}
	resp, err := http.Get(l.JoinURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "standup") {
		t.Fatalf("GET link: %d\n%s", resp.StatusCode, body)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Fatalf("Cache-Control = %q", cc)
	}
	pw.Close()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d", code)
	}
}

// syncWriter hands each written line to a channel, so the test waits for a
// reply instead of sleeping.
type syncWriter struct {
	buf   bytes.Buffer
	lines chan string
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.Reset()
			w.buf.WriteString(line)
			break
		}
		w.lines <- strings.TrimSpace(line)
	}
	return len(p), nil
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	body := `http:
  listen: "nonsense"
  public_url: "ftp://x"
realtimekit:
  sandbox: false
  api_token: ${MISSING_TOKEN}
  budget:
    calls: 3
meetings:
  grace: soon
  default_timezone: Mars/Base
join:
  signing_key: short
log:
  level: loud
`
	if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"check-config", "--config", bad}, nil, &out, &errOut, func(string) string { return "" })
	if code == 0 {
		t.Fatal("bad config passed")
	}
	// Ensure every problem is listed at once, each naming its key.
	for _, want := range []string{"http.listen", "http.public_url", "realtimekit.account_id", "realtimekit.app_id", "realtimekit.api_token", "MISSING_TOKEN", "realtimekit.budget.calls", "not a duration", "join.signing_key", "log.level"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out.String())
		}
	}

	// Ensure the shipped example is valid as it stands, and that an unknown key is caught.
	out.Reset()
	if code := run(context.Background(), []string{"check-config", "--config", "../../config.example.yaml"}, nil, &out, &errOut, func(string) string { return "" }); code != 0 {
		t.Fatalf("config.example.yaml invalid:\n%s", out.String())
	}
	typo := filepath.Join(dir, "typo.yaml")
	_ = os.WriteFile(typo, []byte("meetings:\n  grase: 5m\n"), 0o600)
	out.Reset()
	if code := run(context.Background(), []string{"check-config", "--config", typo}, nil, &out, &errOut, func(string) string { return "" }); code == 0 || !strings.Contains(out.String(), "grase") {
		t.Fatalf("typo not caught:\n%s", out.String())
	}
}

func TestUnknownSubcommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, nil, &out, &errOut, os.Getenv); code != 2 || !strings.Contains(errOut.String(), "unknown subcommand") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// TestServeWithSlack starts the wired app with a Slack signing secret and
// runs a signed slash command end to end: the reply is a channel card, and
// an unsigned request is refused.
func TestServeWithSlack(t *testing.T) {
	dir := t.TempDir()
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	cfgPath := writeConfig(t, dir, "slack:\n  signing_secret: "+secret+"\n")
	a, _ := serveFrom(t, cfgPath)
	url := "http://" + a.httpLn.Addr().String() + "/slack/commands"
	body := "team_id=T1&channel_id=C1&user_id=U1&user_name=ana&command=%2Fmeet&text=now+standup&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1%2F2&trigger_id=t1"
	post := func(sign bool) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sign {
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", slack.Sign(secret, ts, []byte(body)))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := post(false); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", resp.StatusCode)
	}
	resp := post(true)
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(out), "in_channel") || !strings.Contains(string(out), "standup") {
		t.Fatalf("signed: %d %s", resp.StatusCode, out)
	}
}

// TestZeroEarlyJoinMeansNone: an operator's "early_join: 0s" and
// "grace: 0s" give a window of exactly the meeting, not the 5m default.
func TestZeroEarlyJoinMeansNone(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "")
	raw, _ := os.ReadFile(cfgPath)
	raw = []byte(strings.Replace(string(raw), "meetings:\n", "meetings:\n  early_join: 0s\n  grace: 0s\n", 1))
	_ = os.WriteFile(cfgPath, raw, 0o600)
	cfg, problems, err := LoadConfig(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v %v", err, problems)
	}
	a, err := buildApp(context.Background(), cfg, zerolog.Nop(), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer a.shutdown()
	if c := a.svc.Config(); c.EarlyJoin != 0 || c.Grace != 0 {
		t.Fatalf("early_join %v, grace %v; want 0 and 0", c.EarlyJoin, c.Grace)
	}
}

// threeDaysOut is the date three days from now in the test config's zone,
// as /meet schedule reads it.
func threeDaysOut() string {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return time.Now().In(ny).AddDate(0, 0, 3).Format("2006-01-02")
}
