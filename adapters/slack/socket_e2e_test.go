package slack_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/internal/testenv"
)

// e2eTimeout bounds a whole end-to-end test; every wait selects on it, so
// a hang fails the test instead of stalling it, and nothing else depends on
// how fast the machine is.
const e2eTimeout = 30 * time.Second

// appToken is the app-level token the tests connect with.
const appToken = "xapp-1-A1-test"

// socketPeer is Slack's end of one Socket Mode WebSocket, driven by the
// test goroutine.
type socketPeer struct {
	t        *testing.T
	conn     *websocket.Conn
	deadline time.Time
	pongs    chan string
}

// socketAck is an acknowledgement as it arrives on the wire.
type socketAck struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
	raw        []byte
}

// newSocketServer serves WebSocket upgrades the way Slack's Socket Mode
// endpoint does and hands each connection to the test. It checks what
// slack-go sends: the ticket from apps.connections.open's URL and the
// Origin header.
func newSocketServer(t *testing.T) (wsURL string, conns <-chan *websocket.Conn) {
	t.Helper()
	ch := make(chan *websocket.Conn, 4)
	up := websocket.Upgrader{CheckOrigin: func(r *http.Request) bool {
		return r.Header.Get("Origin") == "https://api.slack.com"
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("ticket") != "tk-1" {
			http.Error(w, "unknown ticket", http.StatusUnauthorized)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("websocket upgrade: %v", err)
			return
		}
		select {
		case ch <- c:
		default:
			t.Errorf("more than %d WebSocket connections", cap(ch))
			_ = c.Close()
		}
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/link/?ticket=tk-1&app_id=A1", ch
}

// accept waits for the client's connection, failing early if run ends
// first.
func accept(t *testing.T, conns <-chan *websocket.Conn, run <-chan error, deadline time.Time) *socketPeer {
	t.Helper()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case c := <-conns:
		p := &socketPeer{t: t, conn: c, deadline: deadline, pongs: make(chan string, 4)}
		t.Cleanup(func() { _ = c.Close() })
		_ = c.SetReadDeadline(deadline)
		_ = c.SetWriteDeadline(deadline)
		c.SetPongHandler(func(s string) error {
			select {
			case p.pongs <- s:
			default:
			}
			return nil
		})
		return p
	case err := <-run:
		t.Fatalf("RunSocketMode returned before connecting: %v", err)
	case <-timer.C:
		t.Fatal("no WebSocket connection within the timeout")
	}
	return nil
}

// send writes one JSON message.
func (p *socketPeer) send(v any) {
	p.t.Helper()
	if err := p.conn.WriteJSON(v); err != nil {
		p.t.Fatalf("write to the socket: %v", err)
	}
}

// ack reads the next message and checks that it acknowledges envelope.
func (p *socketPeer) ack(envelope string) socketAck {
	p.t.Helper()
	typ, b, err := p.conn.ReadMessage()
	if err != nil {
		p.t.Fatalf("waiting for the ack of %s: %v", envelope, err)
	}
	var a socketAck
	if err := json.Unmarshal(b, &a); typ != websocket.TextMessage || err != nil {
		p.t.Fatalf("ack of %s is not a JSON text message (%d): %q", envelope, typ, b)
	}
	a.raw = b
	if a.EnvelopeID != envelope {
		p.t.Fatalf("ack = %s, want one for envelope %s", b, envelope)
	}
	return a
}

// slashEnvelope is a Socket Mode slash_commands envelope as Slack sends it,
// from U1 in channel C1 of team T1, answerable under hooksURL.
func slashEnvelope(hooksURL, envelope, trigger, text string, retry int) map[string]any {
	env := map[string]any{
		"envelope_id": envelope,
		"type":        "slash_commands",
		"payload": map[string]any{
			"token": "legacy-token", "team_id": "T1", "team_domain": "example",
			"channel_id": "C1", "channel_name": "general", "user_id": "U1", "user_name": "u1",
			"command": "/meet", "text": text, "api_app_id": "A1", "is_enterprise_install": "false",
			"response_url": hooksURL + "/commands/T1/1/secret", "trigger_id": trigger,
		},
		"accepts_response_payload": true,
	}
	if retry > 0 {
		env["retry_attempt"] = retry
		env["retry_reason"] = "timeout"
	}
	return env
}

// TestSocketE2E runs RunSocketMode against a fake Slack over a real
// WebSocket: apps.connections.open with the app token, hello, a ping, a
// slash command acknowledged with its answer, a Join click answered through
// response_url alone, a redelivered command acknowledged without running
// twice, and a prompt, clean return when the context ends.
func TestSocketE2E(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(e2eTimeout)
	// A generous AckWait keeps the command's answer in its ack however slow
	// the machine (the "Working on it…" path is covered elsewhere).
	h := newBotHarness(t, func(o *slack.Options) { o.AckWait = e2eTimeout })
	wsURL, conns := newSocketServer(t)
	h.api.setSocketURL(wsURL)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	run := make(chan error, 1)
	go func() { run <- h.adapter.RunSocketMode(ctx, appToken) }()
	p := accept(t, conns, run, deadline)

	opens := h.api.Calls("apps.connections.open")
	if len(opens) != 1 || opens[0].Auth != "Bearer "+appToken {
		t.Fatalf("apps.connections.open calls = %d (first with the app token: %v)", len(opens), len(opens) > 0 && opens[0].Auth == "Bearer "+appToken)
	}

	p.send(map[string]any{"type": "hello", "num_connections": 1,
		"debug_info":      map[string]any{"host": "applink-test", "build_number": 1, "approximate_connection_time": 18060},
		"connection_info": map[string]any{"app_id": "A1"}})
	// Slack pings; the client must answer before it reads the next frame,
	// so the pong is on the wire ahead of the ack below.
	if err := p.conn.WriteControl(websocket.PingMessage, []byte("ping-1"), deadline); err != nil {
		t.Fatal(err)
	}

	// The slash command: acknowledged with its answer, card posted by the bot.
	p.send(slashEnvelope(h.hooks.URL, "env-cmd-1", "trig.sock.1", "now standup", 0))
	a := p.ack("env-cmd-1")
	select {
	case got := <-p.pongs:
		if got != "ping-1" {
			t.Fatalf("pong = %q, want the ping's payload", got)
		}
	default:
		t.Fatal("the client did not answer Slack's ping")
	}
	var r reply
	if err := json.Unmarshal(a.Payload, &r); err != nil || r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "standup") {
		t.Fatalf("command ack = %s, want the ephemeral confirmation", a.raw)
	}
	joinPrefix := h.env.Service.Config().PublicURL + "/j/"
	if strings.Contains(string(a.raw), joinPrefix) {
		t.Fatal("the command's ack holds a personal link")
	}
	ms := h.meetings(t)
	if len(ms) != 1 || ms[0].Title != "standup" || ms[0].Channel != "C1" || ms[0].Card.IsZero() {
		t.Fatalf("meetings after the command = %+v", ms)
	}
	id := ms[0].ID
	posts := h.api.Calls("chat.postMessage")
	if len(posts) != 1 || posts[0].Param("channel") != "C1" || !strings.Contains(posts[0].Param("blocks"), `"join:`+id+`"`) {
		t.Fatalf("card posts = %+v", posts)
	}

	// The Join click: an empty ack, the link through response_url only.
	p.send(map[string]any{
		"envelope_id": "env-click-1",
		"type":        "interactive",
		"payload": map[string]any{
			"type":         "block_actions",
			"team":         map[string]any{"id": "T1", "domain": "example"},
			"user":         map[string]any{"id": "U2", "username": "u2", "team_id": "T1"},
			"api_app_id":   "A1",
			"container":    map[string]any{"type": "message", "message_ts": ms[0].Card.ID, "channel_id": "C1", "is_ephemeral": false},
			"trigger_id":   "click.sock.1",
			"channel":      map[string]any{"id": "C1", "name": "general"},
			"response_url": h.hooks.URL + "/actions/A1/2/secret",
			"actions": []any{map[string]any{"action_id": "join:" + id, "block_id": "b", "type": "button",
				"value": "v", "action_ts": "1.3", "text": map[string]any{"type": "plain_text", "text": "Join"}}},
		},
		"accepts_response_payload": false,
	})
	if a := p.ack("env-click-1"); len(a.Payload) != 0 {
		t.Fatalf("click ack = %s, want it empty", a.raw)
	}
	// The answer is work that outlived the ack; Wait is how shutdown and
	// tests know it was delivered.
	h.adapter.Wait()
	hp := h.hooks.Posts()
	if len(hp) != 1 || hp[0].Path != "/actions/A1/2/secret" || hp[0].Msg.ResponseType != "ephemeral" || !strings.Contains(hp[0].Msg.Text, joinPrefix) {
		t.Fatalf("join answer through response_url = %+v", hp)
	}
	for _, c := range h.api.Calls("") {
		if strings.Contains(c.Raw, joinPrefix) {
			t.Fatalf("%s carried a personal link", c.Method)
		}
	}

	// Slack redelivers the command: acknowledged, not run again.
	p.send(slashEnvelope(h.hooks.URL, "env-cmd-1", "trig.sock.1", "now standup", 1))
	if a := p.ack("env-cmd-1"); len(a.Payload) != 0 {
		t.Fatalf("redelivery ack = %s, want it empty", a.raw)
	}
	h.wantMeetings(t, 1, "after a redelivery")
	if n := len(h.api.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("%d chat.postMessage calls after a redelivery, want 1", n)
	}
	if n := len(h.hooks.Posts()); n != 1 {
		t.Fatalf("%d response_url posts after a redelivery, want 1", n)
	}
	// A retry whose first delivery never arrived is not run either (the
	// original may still be on its way); the ack says so. This shows
	// retry_attempt travels from the wire to the adapter.
	p.send(slashEnvelope(h.hooks.URL, "env-cmd-2", "trig.sock.2", "now other", 1))
	a = p.ack("env-cmd-2")
	if err := json.Unmarshal(a.Payload, &r); err != nil || r.ResponseType != "ephemeral" || !strings.Contains(r.Text, "did not run it again") {
		t.Fatalf("unseen retry ack = %s, want the ephemeral notice", a.raw)
	}
	h.wantMeetings(t, 1, "after an unseen retry")

	// One connection all along, and only apps.connections.open saw the
	// app token.
	for _, c := range h.api.Calls("") {
		if c.Method != "apps.connections.open" && (strings.Contains(c.Auth, "xapp") || strings.Contains(c.Raw, "xapp")) {
			t.Fatalf("%s was sent the app token", c.Method)
		}
	}
	if n := len(h.api.Calls("apps.connections.open")); n != 1 {
		t.Fatalf("apps.connections.open called %d times, want 1 (a reconnect happened)", n)
	}

	// Ending the context ends RunSocketMode without an error, and the
	// client lets go of the socket.
	cancel()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case err := <-run:
		if err != nil {
			t.Fatalf("RunSocketMode after cancel = %v, want nil", err)
		}
	case <-timer.C:
		t.Fatal("RunSocketMode did not return after its context ended")
	}
	_, _, err := p.conn.ReadMessage()
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("socket still open after RunSocketMode returned: %v", err)
	}
	if logs := h.env.Logs.String(); strings.Contains(logs, "could not acknowledge") {
		t.Fatalf("an ack failed:\n%s", logs)
	}
}

// TestSocketE2EInvalidAuth: a revoked or wrong app token makes
// RunSocketMode return Slack's error at once rather than retry forever.
func TestSocketE2EInvalidAuth(t *testing.T) {
	t.Parallel()
	h := newBotHarness(t, nil) // no socket URL: apps.connections.open says invalid_auth
	run := make(chan error, 1)
	go func() { run <- h.adapter.RunSocketMode(t.Context(), appToken) }()
	timer := time.NewTimer(e2eTimeout)
	defer timer.Stop()
	select {
	case err := <-run:
		var se slackapi.SlackErrorResponse
		if !errors.As(err, &se) || se.Err != "invalid_auth" {
			t.Fatalf("RunSocketMode = %v, want Slack's invalid_auth", err)
		}
		if strings.Contains(fmt.Sprint(err), appToken) {
			t.Fatal("the error shows the app token")
		}
	case <-timer.C:
		t.Fatal("RunSocketMode kept retrying a refused token")
	}
}

// heldTokens is a TokenSource that holds every caller until released, so
// a test can keep requests in flight across a shutdown.
type heldTokens struct {
	teamTokens
	arrived chan struct{}
	release chan struct{}
}

func (h heldTokens) Token(ctx context.Context, team string) (string, error) {
	select {
	case h.arrived <- struct{}{}:
	default:
	}
	<-h.release
	return h.teamTokens.Token(ctx, team)
}

// TestSocketE2EAcksAfterShutdown: commands still running when Socket Mode
// stops must not block Wait forever when they finally acknowledge. (The
// socketmode client queues acks in a 20-slot buffer that nobody drains
// once it has stopped.) The adapter is built here without the harness so a
// regression fails after the timeout instead of hanging the cleanup.
func TestSocketE2EAcksAfterShutdown(t *testing.T) {
	t.Parallel()
	const inFlight = 25 // more than slack-go's 20 queued responses
	deadline := time.Now().Add(e2eTimeout)
	env := testenv.New(t, testenv.Options{NoSync: true})
	api, hk := newFakeAPI(t), newHooks(t)
	held := heldTokens{teamTokens: teamTokens{"T1": "xoxb-t1"}, arrived: make(chan struct{}, 4*inFlight), release: make(chan struct{})}
	a := slack.New(slack.Options{Service: env.Service, Logger: zerolog.New(env.Logs), Tokens: held,
		APIURL: api.base(), ResponseURLBase: hk.URL + "/", HTTPClient: hk.Client(), AckWait: e2eTimeout,
		Sleep: func(context.Context, time.Duration) error { return nil }})
	wsURL, conns := newSocketServer(t)
	api.setSocketURL(wsURL)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	run := make(chan error, 1)
	go func() { run <- a.RunSocketMode(ctx, appToken) }()
	p := accept(t, conns, run, deadline)
	p.send(map[string]any{"type": "hello", "num_connections": 1})
	for i := range inFlight {
		p.send(slashEnvelope(hk.URL, fmt.Sprintf("env-%d", i), fmt.Sprintf("trig.held.%d", i), "help", 0))
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for range inFlight {
		select {
		case <-held.arrived:
		case <-timer.C:
			t.Fatal("the commands did not all start")
		}
	}

	cancel()
	select {
	case err := <-run:
		if err != nil {
			t.Fatalf("RunSocketMode after cancel = %v, want nil", err)
		}
	case <-timer.C:
		t.Fatal("RunSocketMode did not return after its context ended")
	}
	close(held.release)
	waited := make(chan struct{})
	go func() { a.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-timer.C:
		t.Fatal("Wait hangs: acknowledgements made after Socket Mode stopped block forever")
	}
}
