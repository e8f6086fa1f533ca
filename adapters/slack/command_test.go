package slack_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/core"
)

// TestRefusedRequestsTouchNothing sends forged, stale, unsigned and
// oversized requests to both routes: each gets 401 or 413, no meeting is
// stored, RealtimeKit is never called and nothing is posted.
func TestRefusedRequestsTouchNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	body := h.commandForm("U1", "now standup").Encode()
	big := body + "&pad=" + strings.Repeat("x", 65<<10)
	cases := []struct {
		name string
		req  func(target string) *http.Request
		want int
	}{
		{"forged", func(target string) *http.Request {
			r := signed(t, target, body, time.Now())
			r.Header.Set(slack.HeaderSignature, "v0="+strings.Repeat("ab", 32))
			return r
		}, http.StatusUnauthorized},
		{"altered body", func(target string) *http.Request {
			r := signed(t, target, body, time.Now())
			r.Body = newBody(strings.Replace(body, "standup", "standuq", 1))
			return r
		}, http.StatusUnauthorized},
		{"stale", func(target string) *http.Request { return signed(t, target, body, time.Now().Add(-301*time.Second)) }, http.StatusUnauthorized},
		{"from the future", func(target string) *http.Request { return signed(t, target, body, time.Now().Add(301*time.Second)) }, http.StatusUnauthorized},
		{"no signature", func(target string) *http.Request {
			r := signed(t, target, body, time.Now())
			r.Header.Del(slack.HeaderSignature)
			return r
		}, http.StatusUnauthorized},
		{"no timestamp", func(target string) *http.Request {
			r := signed(t, target, body, time.Now())
			r.Header.Del(slack.HeaderTimestamp)
			return r
		}, http.StatusUnauthorized},
		{"oversized", func(target string) *http.Request { return signed(t, target, big, time.Now()) }, http.StatusRequestEntityTooLarge},
		{"oversized without length", func(target string) *http.Request {
			r := signed(t, target, big, time.Now())
			r.ContentLength = -1 // sent chunked: only the reader's cap can stop it
			return r
		}, http.StatusRequestEntityTooLarge},
	}
	for _, path := range []string{"/slack/commands", "/slack/interactions"} {
		for _, c := range cases {
			if code, _ := h.do(t, c.req(h.srv.URL+path)); code != c.want {
				t.Errorf("%s %s: status %d, want %d", path, c.name, code, c.want)
			}
		}
	}
	h.adapter.Wait()
	if ms := h.meetings(t); len(ms) != 0 {
		t.Fatalf("refused requests stored %d meetings", len(ms))
	}
	if n := h.env.Sandbox.TotalCalls(); n != 0 {
		t.Fatalf("refused requests made %d RealtimeKit calls", n)
	}
	if p := h.hooks.Posts(); len(p) != 0 {
		t.Fatalf("refused requests posted %d messages", len(p))
	}
}

func TestSSLCheckIsAnswered(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	code, r := h.do(t, signed(t, h.srv.URL+"/slack/commands", "ssl_check=1&token=legacy-token", time.Now()))
	if code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("ssl_check: %d %q", code, r.raw)
	}
	if len(h.meetings(t)) != 0 || h.env.Sandbox.TotalCalls() != 0 {
		t.Fatal("ssl_check did something")
	}
}

// TestScheduleOnceDespiteRetries delivers one schedule command, then the
// same bytes again as a Slack retry and as a plain replay: one meeting.
func TestScheduleOnceDespiteRetries(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	body := h.commandForm("U1", "schedule Planning tomorrow 3pm").Encode()
	target := h.srv.URL + "/slack/commands"
	code, r := h.do(t, signed(t, target, body, time.Now()))
	if code != http.StatusOK || r.ResponseType != "in_channel" || !strings.Contains(r.all(), "Planning") {
		t.Fatalf("schedule: %d %s", code, r.raw)
	}
	retry := signed(t, target, body, time.Now())
	retry.Header.Set(slack.HeaderRetryNum, "1")
	if code, r := h.do(t, retry); code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("retry: %d %q", code, r.raw)
	}
	if code, r := h.do(t, signed(t, target, body, time.Now())); code != http.StatusOK || len(r.raw) != 0 {
		t.Fatalf("replay: %d %q", code, r.raw)
	}
	// Ensure a retry whose first delivery this process never saw is not
	// run either (the first may have reached another replica).
	other := signed(t, target, h.commandForm("U1", "schedule Planning tomorrow 3pm").Encode(), time.Now())
	other.Header.Set(slack.HeaderRetryNum, "2")
	if code, r := h.do(t, other); code != http.StatusOK || r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "did not run it again") {
		t.Fatalf("unseen retry: %d %s", code, r.raw)
	}
	h.wantMeetings(t, 1, "after retries")
	// The room comes from the meeting's room job; run it, then count.
	for _, m := range h.meetings(t) {
		h.env.MakeRoom(m)
	}
	if n := h.env.Sandbox.Calls("create_meeting"); n != 1 {
		t.Fatalf("%d rooms created, want 1", n)
	}
}

// TestHostileTitleIsEscaped schedules a meeting whose title tries to ping
// the channel and a user: the card shows it as text.
func TestHostileTitleIsEscaped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	code, r := h.command(t, "U1", `schedule "<!channel> <@U123> & <https://evil.example|click>" tomorrow 3pm`)
	if code != http.StatusOK || r.ResponseType != "in_channel" {
		t.Fatalf("schedule: %d %s", code, r.raw)
	}
	all := r.all()
	for _, bad := range []string{"<!channel>", "<@U123>", "<https://evil", "& "} {
		if strings.Contains(all, bad) {
			t.Errorf("card holds %q unescaped:\n%s", bad, all)
		}
	}
	if !strings.Contains(all, "&lt;!channel&gt; &lt;@U123&gt; &amp; &lt;https://evil.example|click&gt;") {
		t.Errorf("card lost the title:\n%s", all)
	}
	// Ensure times are Slack dates each reader sees in their own zone.
	if !strings.Contains(all, "<!date^") || !strings.Contains(all, "^{date_short_pretty} at {time}|") {
		t.Errorf("card has no <!date>:\n%s", all)
	}
	// Ensure the buttons carry the meeting id.
	for _, id := range []string{`"join:1"`, `"rsvp_yes:1"`, `"rsvp_no:1"`, `"cancel:1"`} {
		if !strings.Contains(string(r.Blocks), id) {
			t.Errorf("card has no %s button: %s", id, r.Blocks)
		}
	}
	// Ensure the list shows the title escaped too.
	_, l := h.command(t, "U2", "list")
	if l.ResponseType != "ephemeral" || strings.Contains(l.all(), "<!channel>") || !strings.Contains(l.Text, "&lt;!channel&gt;") {
		t.Errorf("list: %s", l.raw)
	}
}

// TestJoinLinksStayPrivate: the card for a running meeting is in the
// channel and holds no link; "/meet join" answers ephemerally with one.
func TestJoinLinksStayPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	_, card := h.command(t, "U1", "now standup")
	if card.ResponseType != "in_channel" {
		t.Fatalf("now: %s", card.raw)
	}
	_, join := h.command(t, "U2", "join 1")
	if join.ResponseType != "ephemeral" || !strings.Contains(join.Text, "http://meet.test/j/") {
		t.Fatalf("join: %s", join.raw)
	}
	link := join.Text[strings.Index(join.Text, "http://meet.test/j/"):]
	for _, r := range []reply{card} {
		if strings.Contains(r.all(), "/j/") || strings.Contains(r.all(), link) {
			t.Fatalf("an in_channel reply holds a link: %s", r.raw)
		}
	}
	// Ensure errors, help and info are ephemeral too.
	for _, line := range []string{"join 99", "help", "info 1", "schedule"} {
		if _, r := h.command(t, "U2", line); r.ResponseType != "ephemeral" {
			t.Errorf("%q: %s", line, r.raw)
		}
	}
}

// gatedTokens has no token for any team, but only once release is
// closed: until then the command's work (which asks for the person's
// token first) cannot finish.
type gatedTokens chan struct{}

func (g gatedTokens) Token(ctx context.Context, _ string) (string, error) {
	select {
	case <-g:
	case <-ctx.Done():
	}
	return "", core.Errorf(core.ENOTFOUND, "no token")
}

// TestSlowCommandFinishesThroughResponseURL holds a command's work until
// Slack's ack deadline (an injected timer that has already fired) has
// passed: Slack gets "Working on it…", and the card arrives through
// response_url once the work is let go. No wall clock is read.
func TestSlowCommandFinishesThroughResponseURL(t *testing.T) {
	t.Parallel()
	release := make(gatedTokens)
	h := newHarness(t, func(o *slack.Options) {
		o.Tokens = release
		o.After = func(time.Duration) <-chan time.Time {
			c := make(chan time.Time, 1)
			c <- time.Time{}
			return c
		}
	})
	code, r := h.command(t, "U1", "schedule Review tomorrow 3pm")
	if code != http.StatusOK || r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "Working on it") {
		t.Fatalf("ack: %d %s", code, r.raw)
	}
	if len(h.meetings(t)) != 0 || len(h.hooks.Posts()) != 0 {
		t.Fatal("the held work went ahead before its ack")
	}
	close(release)
	h.adapter.Wait()
	posts := h.hooks.Posts()
	if len(posts) != 1 || !strings.HasPrefix(posts[0].Path, "/commands/T1/") || posts[0].Msg.ResponseType != "in_channel" || !strings.Contains(posts[0].Msg.all(), "Review") {
		t.Fatalf("posts = %+v", posts)
	}
	if len(h.meetings(t)) != 1 {
		t.Fatal("slow schedule did not store one meeting")
	}
}

// TestCommandInTimeIsTheAck: with a deadline that never passes, the card
// is the acknowledgement itself and nothing goes through response_url.
func TestCommandInTimeIsTheAck(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *slack.Options) {
		o.After = func(time.Duration) <-chan time.Time { return nil }
	})
	_, r := h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.adapter.Wait()
	if r.ResponseType != "in_channel" || !strings.Contains(r.all(), "Review") || len(h.hooks.Posts()) != 0 {
		t.Fatalf("ack %s, posts %+v", r.raw, h.hooks.Posts())
	}
}

// TestForeignResponseURLIsNotCalled: a response_url outside the allowed
// base is never posted to.
func TestForeignResponseURLIsNotCalled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *slack.Options) { o.AckWait = time.Millisecond })
	h.env.Sandbox.SetLatency(50 * time.Millisecond) // /meet now makes its room inline, so the answer is deferred
	form := h.commandForm("U1", "now Review for 15m")
	form.Set("response_url", "http://127.0.0.1:1/elsewhere")
	h.do(t, signed(t, h.srv.URL+"/slack/commands", form.Encode(), time.Now()))
	h.adapter.Wait()
	if !strings.Contains(h.env.Logs.String(), "response_url is not under") {
		t.Fatalf("no log line for a foreign response_url:\n%s", h.env.Logs.String())
	}
	if strings.Contains(h.env.Logs.String(), "127.0.0.1:1/elsewhere") {
		t.Fatal("the response_url was logged")
	}
}

// TestPrivateMeetingIsNotAnnounced: scheduling a private meeting answers
// the organizer only, so its title never reaches the channel.
func TestPrivateMeetingIsNotAnnounced(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	_, r := h.command(t, "U1", "schedule Salary review tomorrow 3pm private")
	if r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "Salary review") {
		t.Fatalf("private schedule: %s", r.raw)
	}
	if ms := h.meetings(t); len(ms) != 1 || !ms[0].Private {
		t.Fatalf("meetings = %+v", ms)
	}
}
