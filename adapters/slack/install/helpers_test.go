package install_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/slack/install"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/seal"
	"github.com/meetbot/meetbot/internal/testenv"
	"github.com/meetbot/meetbot/storage/bolt"
)

const (
	signingSecret = "test-signing-secret-0123456789ab"
	clientID      = "1111.2222"
	clientSecret  = "client-secret-never-logged"
	publicURL     = "https://meetbot.example.com"
	// botToken is what the fake oauth.v2.access hands out; tests look for
	// it in the database file and in logs.
	botToken = "xoxb-1111-2222-TESTtokenNEVERinTHEfile"
	team     = "T0TEAM1"
)

// fakeSlack stands in for slack.com/api: oauth.v2.access and auth.test.
// It records every call.
type fakeSlack struct {
	*httptest.Server
	mu    sync.Mutex
	calls []url.Values // form of each oauth.v2.access call
	auths int          // auth.test calls
	// reply is the oauth.v2.access answer; authReply the auth.test one.
	reply     map[string]any
	authReply map[string]any
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{
		reply: map[string]any{
			"ok": true, "access_token": botToken, "token_type": "bot", "scope": install.BotScopes,
			"bot_user_id": "U0BOT", "app_id": "A0APP",
			"team":       map[string]any{"id": team, "name": "Acme & <Co>"},
			"enterprise": nil, "is_enterprise_install": false,
			"authed_user": map[string]any{"id": "U0ADMIN"},
		},
		authReply: map[string]any{"ok": true, "team_id": team, "user_id": "U0BOT", "team": "Acme"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/oauth.v2.access", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("oauth.v2.access: %v", err)
		}
		f.mu.Lock()
		f.calls = append(f.calls, r.PostForm)
		reply := f.reply
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(reply)
	})
	mux.HandleFunc("POST /api/auth.test", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.auths++
		reply := f.authReply
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(reply)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// Calls returns the oauth.v2.access calls so far.
func (f *fakeSlack) Calls() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.calls...)
}

// setReply replaces the oauth.v2.access answer.
func (f *fakeSlack) setReply(m map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reply = m
}

// env is the package on real parts: a bbolt file, a seal box, the fake
// Slack API and a stopped clock.
type env struct {
	t       testing.TB
	path    string
	db      *bolt.DB
	box     *seal.Box
	clock   *testenv.Clock
	slack   *fakeSlack
	tokens  *install.Tokens
	handler *install.Handler
	mux     *http.ServeMux
	logs    *testenv.SyncBuffer

	mu         sync.Mutex
	uninstalls []string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "meetbot.db"), clock: testenv.NewClock(time.Now()),
		slack: newFakeSlack(t), logs: &testenv.SyncBuffer{}}
	var err error
	e.box, err = seal.New(bytes.Repeat([]byte{42}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	e.open()
	t.Cleanup(func() { _ = e.db.Close() })
	return e
}

// open (re)opens the database and builds Tokens and the Handler on it.
func (e *env) open() {
	t := e.t
	var err error
	e.db, err = bolt.Open(e.path, bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	log := zerolog.New(e.logs)
	e.tokens, err = install.NewTokens(install.TokensOptions{
		Store: e.db, Box: e.box, PublicURL: publicURL, Now: e.clock.Now, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.handler, err = install.New(install.Options{
		Tokens: e.tokens, Once: e.db,
		ClientID: clientID, ClientSecret: clientSecret, StateKey: bytes.Repeat([]byte{7}, 32),
		PublicURL: publicURL, APIURL: e.slack.URL + "/api/", HTTPClient: e.slack.Client(),
		SigningSecret: signingSecret,
		OnUninstall: func(_ context.Context, team string) {
			e.mu.Lock()
			e.uninstalls = append(e.uninstalls, team)
			e.mu.Unlock()
		},
		Now: e.clock.Now, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.mux = http.NewServeMux()
	e.handler.Register(e.mux.Handle)
}

// Uninstalls returns the teams OnUninstall was called with.
func (e *env) Uninstalls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.uninstalls...)
}

// serve runs req through the mounted routes.
func (e *env) serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec
}

// startInstall runs GET /slack/install and returns the state and the
// cookie it set.
func (e *env) startInstall() (state string, cookie *http.Cookie) {
	t := e.t
	t.Helper()
	rec := e.serve(httptest.NewRequest("GET", install.InstallPath, nil))
	if rec.Code != http.StatusFound {
		t.Fatalf("install: status %d", rec.Code)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	state = loc.Query().Get("state")
	for _, c := range rec.Result().Cookies() {
		if c.Name == "meetbot_slack_oauth" {
			cookie = c
		}
	}
	if state == "" || cookie == nil {
		t.Fatalf("install gave no state or no cookie: %v", rec.Header())
	}
	return state, cookie
}

// callback runs GET /slack/oauth/callback with query q and cookie c.
func (e *env) callback(q url.Values, c *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", install.CallbackPath+"?"+q.Encode(), nil)
	if c != nil {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return e.serve(req)
}

// installedFuzz stores the token directly (a fuzz target has no
// *testing.T to run the OAuth flow under before fuzzing starts).
func (e *env) installedFuzz(tb testing.TB) {
	tb.Helper()
	e.putSealed(team, botToken, "slack:"+team)
}

// installed completes one install and fails the test if it does not work.
func (e *env) installed() {
	e.t.Helper()
	state, c := e.startInstall()
	if rec := e.callback(url.Values{"code": {"code-1"}, "state": {state}}, c); rec.Code != http.StatusOK {
		e.t.Fatalf("callback: %d %s", rec.Code, rec.Body)
	}
}

// hasInstall reports whether the store holds an installation for team.
func (e *env) hasInstall(team string) bool {
	e.t.Helper()
	_, err := e.db.FindInstallation(context.Background(), core.WorkspaceKey{Platform: core.PlatformSlack, ID: team})
	switch core.ErrorCode(err) {
	case "":
		return true
	case core.ENOTFOUND:
		return false
	}
	e.t.Fatal(err)
	return false
}

// signedEvent builds POST /slack/events with body signed at the env's
// clock (plus skew).
func (e *env) signedEvent(body string, skew time.Duration) *http.Request {
	req := httptest.NewRequest("POST", install.EventsPath, bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	ts := strconv.FormatInt(e.clock.Now().Add(skew).Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", testSign(signingSecret, ts, []byte(body)))
	return req
}

// readAll drains a response body.
func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// httptestGet is a GET request for path.
func httptestGet(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }

// httptestRecorder runs req through h.
func httptestRecorder(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// testSign is Slack's v0 signature, computed independently of the package.
func testSign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%s:", ts)
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// testenvWantCode fails unless err carries code.
func testenvWantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	testenv.WantCode(t, err, code)
}
