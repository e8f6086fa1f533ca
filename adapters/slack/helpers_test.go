package slack_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/chatkit/chatkittest"
	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// secret is the signing secret every test request is signed with.
const secret = "test-signing-secret-0123456789ab"

// hook is one post to a response_url.
type hook struct {
	Path string
	Msg  reply
}

// hooks stands in for hooks.slack.com and records every post.
type hooks struct {
	*httptest.Server
	mu    sync.Mutex
	posts []hook
}

func newHooks(t *testing.T) *hooks {
	h := &hooks{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m reply
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("response_url post is not JSON: %q", b)
		}
		m.raw = b
		h.mu.Lock()
		h.posts = append(h.posts, hook{Path: r.URL.Path, Msg: m})
		h.mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(h.Close)
	return h
}

// Posts returns the posts so far.
func (h *hooks) Posts() []hook {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hook(nil), h.posts...)
}

// reply is a Slack message as the adapter sends it.
type reply struct {
	ResponseType    string          `json:"response_type"`
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ReplaceOriginal *bool           `json:"replace_original"`
	raw             []byte
}

// all is every string Slack would render from the message, unescaped from
// JSON: the text and every "text" inside the blocks.
func (r reply) all() string {
	var parts []string
	parts = append(parts, r.Text)
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && (k == "text" || k == "url" || k == "value") {
					parts = append(parts, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	if len(r.Blocks) > 0 {
		var v any
		_ = json.Unmarshal(r.Blocks, &v)
		walk(v)
	}
	return strings.Join(parts, "\n")
}

type harness struct {
	env     *testenv.Env
	adapter *slack.Adapter
	srv     *httptest.Server
	hooks   *hooks
	trigger atomic.Int64
}

func newHarness(t *testing.T, tune func(*slack.Options)) *harness {
	t.Helper()
	// NoSync: these tests check what is answered and stored, not what a
	// power cut leaves; the fsyncs only made each write wait on the disk.
	h := &harness{env: testenv.New(t, testenv.Options{NoSync: true}), hooks: newHooks(t)}
	o := slack.Options{
		Service:         h.env.Service,
		SigningSecret:   secret,
		Logger:          zerolog.New(h.env.Logs),
		ResponseURLBase: h.hooks.URL + "/",
		HTTPClient:      h.hooks.Client(),
	}
	if tune != nil {
		tune(&o)
	}
	h.adapter = slack.New(o)
	mux := http.NewServeMux()
	h.adapter.Register(mux.Handle)
	h.srv = httptest.NewServer(mux)
	// Cleanups run last-in first-out: stop serving, then let background
	// work finish, then testenv closes the store.
	t.Cleanup(h.adapter.Wait)
	t.Cleanup(h.srv.Close)
	return h
}

// commandForm is a slash command from user in channel C1 of team T1.
func (h *harness) commandForm(user, text string) url.Values {
	n := h.trigger.Add(1)
	return url.Values{
		"token":        {"legacy-token"},
		"team_id":      {"T1"},
		"team_domain":  {"example"},
		"channel_id":   {"C1"},
		"channel_name": {"general"},
		"user_id":      {user},
		"user_name":    {strings.ToLower(user)},
		"command":      {"/meet"},
		"text":         {text},
		"response_url": {h.hooks.URL + "/commands/T1/" + strconv.FormatInt(n, 10) + "/secret"},
		"trigger_id":   {"trig." + strconv.FormatInt(n, 10)},
		"api_app_id":   {"A1"},
	}
}

// signed builds a request whose signature is right for body at ts.
func signed(t testing.TB, target, body string, ts time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(slack.HeaderTimestamp, stamp)
	req.Header.Set(slack.HeaderSignature, slack.Sign(secret, stamp, []byte(body)))
	return req
}

// do sends req and returns the status and the decoded reply (zero when the
// body is empty).
func (h *harness) do(t *testing.T, req *http.Request) (int, reply) {
	t.Helper()
	code, ctype, b := chatkittest.Exchange(t, h.srv.Client(), req)
	var r reply
	if len(bytes.TrimSpace(b)) > 0 && strings.HasPrefix(ctype, "application/json") {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("reply is not JSON: %q", b)
		}
	}
	r.raw = b
	return code, r
}

// command sends a signed slash command and returns the reply.
func (h *harness) command(t *testing.T, user, text string) (int, reply) {
	t.Helper()
	return h.do(t, signed(t, h.srv.URL+"/slack/commands", h.commandForm(user, text).Encode(), time.Now()))
}

// click sends a signed button click on meeting id's card by user.
func (h *harness) click(t *testing.T, user, action string) int {
	t.Helper()
	n := h.trigger.Add(1)
	payload := map[string]any{
		"type":         "block_actions",
		"team":         map[string]any{"id": "T1", "domain": "example"},
		"user":         map[string]any{"id": user, "username": strings.ToLower(user), "team_id": "T1"},
		"api_app_id":   "A1",
		"container":    map[string]any{"type": "message", "message_ts": "1.2", "channel_id": "C1", "is_ephemeral": false},
		"trigger_id":   "click." + strconv.FormatInt(n, 10),
		"channel":      map[string]any{"id": "C1", "name": "general"},
		"response_url": h.hooks.URL + "/actions/A1/" + strconv.FormatInt(n, 10) + "/secret",
		"actions": []any{map[string]any{
			"action_id": action, "block_id": "b", "type": "button", "value": "v", "action_ts": "1.3",
			"text": map[string]any{"type": "plain_text", "text": "x"},
		}},
	}
	b, _ := json.Marshal(payload)
	body := url.Values{"payload": {string(b)}}.Encode()
	code, _ := h.do(t, signed(t, h.srv.URL+"/slack/interactions", body, time.Now()))
	h.adapter.Wait()
	return code
}

// meetings returns team T1's stored meetings.
func (h *harness) meetings(t *testing.T) []*core.Meeting {
	t.Helper()
	return chatkittest.Meetings(t, h.env.Store, testenv.Workspace)
}

// wantMeetings fails the test unless want meetings are stored once the
// adapter's work is done; after says when, for the message.
func (h *harness) wantMeetings(t *testing.T, want int, after string) {
	t.Helper()
	h.adapter.Wait()
	chatkittest.WantMeetings(t, h.env.Store, testenv.Workspace, want, after)
}

// newBody is a request body holding s.
func newBody(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
