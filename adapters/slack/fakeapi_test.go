package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"

	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/chatkit/chatkittest"
	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// apiCall is one request to the fake Web API.
type apiCall struct {
	Method string
	Form   url.Values     // form-encoded calls (chat.postMessage, users.info, …)
	JSON   map[string]any // JSON calls (views.open)
	Raw    string
	Auth   string // the Authorization header, e.g. "Bearer xapp-…"
}

// Param returns a form parameter, or a top-level JSON field as text.
func (c apiCall) Param(k string) string {
	if c.Form != nil {
		return c.Form.Get(k)
	}
	if v, ok := c.JSON[k]; ok {
		if s, ok := v.(string); ok {
			return s
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	return ""
}

// failure is one canned failure of a method.
type failure struct {
	status     int    // HTTP status, e.g. 429
	retryAfter string // Retry-After header
	slackErr   string // {"ok":false,"error":…}
	body       string // a raw answer instead, such as {"ok":true} alone
	hang       bool   // no answer until the caller gives up
}

// fakeAPI stands in for https://slack.com/api/ and records every call.
type fakeAPI struct {
	*httptest.Server
	mu    sync.Mutex
	calls []apiCall
	users map[string]map[string]any
	fails map[string][]failure
	ts    int
	// socketURL is what apps.connections.open answers; without one it
	// answers invalid_auth.
	socketURL string
}

func newFakeAPI(t *testing.T) *fakeAPI {
	f := &fakeAPI{users: map[string]map[string]any{}, fails: map[string][]failure{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// URL of the API base, for Options.APIURL.
func (f *fakeAPI) base() string { return f.URL + "/api/" }

// setUser makes users.info answer for id with fields.
func (f *fakeAPI) setUser(id string, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := map[string]any{"id": id, "name": strings.ToLower(id)}
	for k, v := range fields {
		u[k] = v
	}
	f.users[id] = u
}

// setSocketURL makes apps.connections.open answer with the WebSocket URL u.
func (f *fakeAPI) setSocketURL(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.socketURL = u
}

// failNext makes the next call of method fail as given.
func (f *fakeAPI) failNext(method string, fl failure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails[method] = append(f.fails[method], fl)
}

// Calls returns the calls of method so far ("" for all).
func (f *fakeAPI) Calls(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, _ := io.ReadAll(r.Body)
	c := apiCall{Method: method, Raw: string(body), Auth: r.Header.Get("Authorization")}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		_ = json.Unmarshal(body, &c.JSON)
	} else {
		c.Form, _ = url.ParseQuery(string(body))
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	var fl *failure
	if q := f.fails[method]; len(q) > 0 {
		fl, f.fails[method] = &q[0], q[1:]
	}
	if method == "chat.postMessage" {
		f.ts++
	}
	ts := fmt.Sprintf("1700000000.%06d", f.ts)
	user := f.users[c.Param("user")]
	socketURL := f.socketURL
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if fl != nil {
		if fl.hang {
			<-r.Context().Done()
			return
		}
		if fl.retryAfter != "" {
			w.Header().Set("Retry-After", fl.retryAfter)
		}
		if fl.status != 0 {
			w.WriteHeader(fl.status)
			return
		}
		if fl.body != "" {
			_, _ = w.Write([]byte(fl.body))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": false, "error": fl.slackErr})
		return
	}
	var out map[string]any
	switch method {
	case "chat.postMessage", "chat.update":
		if method == "chat.update" {
			ts = c.Param("ts")
		}
		out = map[string]any{"ok": true, "channel": c.Param("channel"), "ts": ts}
	case "chat.postEphemeral":
		out = map[string]any{"ok": true, "message_ts": ts}
	case "conversations.open":
		out = map[string]any{"ok": true, "channel": map[string]any{"id": "D" + strings.Trim(c.Param("users"), `"[]`)}}
	case "users.info":
		if user == nil {
			out = map[string]any{"ok": false, "error": "user_not_found"}
		} else {
			out = map[string]any{"ok": true, "user": user}
		}
	case "views.open":
		out = map[string]any{"ok": true, "view": map[string]any{"id": "V1"}}
	case "apps.connections.open":
		if socketURL == "" {
			out = map[string]any{"ok": false, "error": "invalid_auth"}
		} else {
			out = map[string]any{"ok": true, "url": socketURL}
		}
	default:
		out = map[string]any{"ok": true}
	}
	_ = json.NewEncoder(w).Encode(out)
}

// botHarness is a harness whose workspace T1 has a bot token, a fake Web
// API, the shared store for dedupe, and the adapter as the service's
// notifier.
type botHarness struct {
	*harness
	api    *fakeAPI
	sleeps *chatkittest.Sleeps
}

func newBotHarness(t *testing.T, tune func(*slack.Options)) *botHarness {
	t.Helper()
	api := newFakeAPI(t)
	sl := &chatkittest.Sleeps{}
	var h *harness
	h = newHarness(t, func(o *slack.Options) {
		o.Tokens = teamTokens{"T1": "xoxb-t1", "T2": "xoxb-t2"}
		o.APIURL = api.base()
		o.Sleep = sl.Sleep
		if tune != nil {
			tune(o)
		}
	})
	h.env.Service.SetNotifier(h.adapter)
	return &botHarness{harness: h, api: api, sleeps: sl}
}

// newReplica is another adapter on the same service and store, as a second
// replica would be, served at its own URL.
func (h *harness) newReplica(t *testing.T, tune func(*slack.Options)) (*slack.Adapter, *httptest.Server) {
	o := slack.Options{
		Service:         h.env.Service,
		SigningSecret:   secret,
		Logger:          zerolog.New(h.env.Logs),
		ResponseURLBase: h.hooks.URL + "/",
		HTTPClient:      h.hooks.Client(),
		Store:           h.env.Store,
	}
	if tune != nil {
		tune(&o)
	}
	a := slack.New(o)
	mux := http.NewServeMux()
	a.Register(mux.Handle)
	srv := httptest.NewServer(mux)
	t.Cleanup(a.Wait)
	t.Cleanup(srv.Close)
	return a, srv
}

// teamTokens is a TokenSource with one token per team.
type teamTokens map[string]string

func (tt teamTokens) Token(_ context.Context, team string) (string, error) {
	if tok, ok := tt[team]; ok {
		return tok, nil
	}
	return "", core.Errorf(core.ENOTFOUND, "team %s not installed", team)
}

// unit is a convenience for building a signed interaction payload.
func clickPayload(team, user, action, responseURL, trigger string) string {
	payload := map[string]any{
		"type":         "block_actions",
		"team":         map[string]any{"id": team},
		"user":         map[string]any{"id": user, "username": strings.ToLower(user), "team_id": team},
		"container":    map[string]any{"type": "message", "message_ts": "1.2", "channel_id": "C1", "is_ephemeral": false},
		"trigger_id":   trigger,
		"channel":      map[string]any{"id": "C1"},
		"response_url": responseURL,
		"actions":      []any{map[string]any{"action_id": action, "block_id": "b", "type": "button", "value": "v"}},
	}
	b, _ := json.Marshal(payload)
	return url.Values{"payload": {string(b)}}.Encode()
}

// meetingStart is the stored start of a meeting in zone.
func meetingStart(t *testing.T, h *harness, id, zone string) time.Time {
	t.Helper()
	for _, m := range h.meetings(t) {
		if m.ID == id {
			return m.Start.In(testenv.MustZone(zone))
		}
	}
	t.Fatalf("no meeting %s", id)
	return time.Time{}
}
