package discord_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	dg "github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/discord"
)

const (
	// gatewayToken is the bot token of the gateway test's adapter; it must
	// reach the gateway only inside IDENTIFY and is never printed.
	gatewayToken = "gateway-e2e-token"
	// redelivered is the adapter's log line for an interaction it has
	// answered already; the test waits on it instead of sleeping.
	redelivered = "discord interaction delivered again; answered once already"
)

// gatewayInteraction is INTERACTION_CREATE for /meet now title:"gateway
// sync" in guild G1, channel C1, shaped as Discord sends it (snowflakes
// and permissions as strings, the subcommand as option type 1).
func gatewayInteraction(seq int, id, token string) string {
	return fmt.Sprintf(`{"op":0,"s":%d,"t":"INTERACTION_CREATE","d":{
		"id":%q,"application_id":%q,"type":2,"token":%q,"version":1,
		"guild_id":%q,"channel_id":%q,"channel":{"id":%q,"type":0,"guild_id":%q},
		"member":{"user":{"id":"U1","username":"u1","discriminator":"0","global_name":"User One"},
			"roles":[],"permissions":"0","joined_at":"2024-01-01T00:00:00.000000+00:00","nick":null,"deaf":false,"mute":false,"flags":0},
		"app_permissions":"0","locale":"en-US","guild_locale":"en-US","entitlements":[],
		"data":{"id":"cmd","name":"meet","type":1,"options":[{"name":"now","type":1,
			"options":[{"name":"title","type":3,"value":"gateway sync"}]}]}}}`,
		seq, id, appID, token, guildA, channel, channel, guildA)
}

// TestGatewayE2E runs the gateway transport end to end over a real
// websocket: GET /gateway through the rebased REST transport, HELLO,
// IDENTIFY (Guilds intent only, the configured token), READY, an
// INTERACTION_CREATE answered through the REST callback with a card
// posted and the meeting stored, the same interaction delivered again
// (zlib-compressed, as compress: true allows) answered by nobody, and
// Close ending the websocket with a normal closure.
func TestGatewayE2E(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	again := make(chan struct{}, 4)
	h := newHarness(t, func(o *discord.Options) {
		o.BotToken = gatewayToken
		// The test is about the transport, not the 3-second deadline: a
		// slow -race run must not turn the answer into a deferral.
		o.AckWait = 20 * time.Second
		o.Logger = o.Logger.Hook(zerolog.HookFunc(func(_ *zerolog.Event, _ zerolog.Level, msg string) {
			if msg == redelivered {
				select {
				case again <- struct{}{}:
				default:
				}
			}
		}))
	})
	gw := newFakeGateway(t)
	calls := make(chan call, 64)
	h.api.onCall(func(c call) {
		select {
		case calls <- c:
		default:
		}
	})
	h.api.setGateway(gw.wsURL())
	// Runs before gw's cleanup; a no-op after the Close below.
	t.Cleanup(func() { _ = h.adapter.Close() })

	opened := make(chan error, 1)
	go func() { opened <- h.adapter.OpenGateway() }()
	var c *gwConn
	select {
	case c = <-gw.conns:
	case err := <-opened:
		t.Fatalf("OpenGateway returned before dialling the fake gateway: %v", err)
	case <-ctx.Done():
		t.Fatal("timed out waiting for the adapter to dial the gateway")
	}
	if c.query.Get("encoding") != "json" || c.query.Get("v") != dg.APIVersion || c.query.Has("compress") {
		t.Fatalf("gateway dialled with query %v; want v=%s&encoding=json, no transport compression", c.query, dg.APIVersion)
	}
	if n := len(h.api.Calls(http.MethodGet, "/gateway")); n != 1 {
		t.Fatalf("%d GET /gateway calls to the fake REST API, want 1: %+v", n, h.api.Calls("", "/"))
	}

	c.send(t, `{"op":10,"s":null,"t":null,"d":{"heartbeat_interval":41250}}`)
	f := await(ctx, t, c.in, "IDENTIFY")
	if f.Op != 2 {
		t.Fatalf("first frame after HELLO is op %d, want 2 (IDENTIFY)", f.Op) // a RESUME holds the token
	}
	var ident struct {
		Token    string         `json:"token"`
		Intents  int            `json:"intents"`
		Compress bool           `json:"compress"`
		Shard    *[2]int        `json:"shard"`
		Props    map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(f.D, &ident); err != nil {
		t.Fatalf("IDENTIFY is not JSON: %v", err)
	}
	if ident.Intents != 1<<0 { // dg.IntentsGuilds
		t.Errorf("IDENTIFY asks for intents %#x; want GUILDS (1<<0) only, no privileged intents", ident.Intents)
	}
	if strings.TrimPrefix(ident.Token, "Bot ") != gatewayToken {
		t.Errorf("IDENTIFY does not carry the configured bot token") // never print it
	}
	if ident.Shard != nil {
		t.Errorf("IDENTIFY names shard %v for a single connection", *ident.Shard)
	}
	if len(ident.Props) == 0 {
		t.Errorf("IDENTIFY has no connection properties")
	}

	c.send(t, fmt.Sprintf(`{"op":0,"s":1,"t":"READY","d":{"v":%s,"session_id":"sess-e2e","resume_gateway_url":%q,
		"user":{"id":"900","username":"meetbot","discriminator":"0","bot":true},
		"application":{"id":%q,"flags":0},"guilds":[{"id":%q,"unavailable":true}],"shard":[0,1]}}`,
		dg.APIVersion, gw.wsURL(), appID, guildA))
	if err := await(ctx, t, opened, "OpenGateway to return"); err != nil {
		t.Fatalf("OpenGateway: %v", err)
	}
	// discordgo's heartbeat loop sends its first beat at once, carrying
	// the last sequence seen (READY's); the fake acknowledges it (op 11).
	if seq := await(ctx, t, c.beat, "the first heartbeat"); seq != 1 {
		t.Errorf("first heartbeat carries sequence %d, want READY's, 1", seq)
	}

	const id, token = "1200000000000000001", "gw-interaction-token"
	callback := "/interactions/" + id + "/" + token + "/callback"
	c.send(t, gatewayInteraction(2, id, token))
	for {
		if cl := await(ctx, t, calls, "the interaction callback"); cl.Method == http.MethodPost && cl.Path == callback {
			break
		}
	}
	cb := h.api.Calls(http.MethodPost, callback)
	if len(cb) != 1 {
		t.Fatalf("%d callbacks, want 1", len(cb))
	}
	var r response
	if err := json.Unmarshal(cb[0].Body, &r); err != nil || r.Type != int(dg.InteractionResponseChannelMessageWithSource) ||
		!r.ephemeral() || !strings.Contains(r.Data.Content, "gateway sync") {
		t.Fatalf("callback is not an ephemeral confirmation: %s", cb[0].Body)
	}
	posts := h.api.Calls(http.MethodPost, "/channels/"+channel+"/messages")
	if len(posts) != 1 || !strings.Contains(string(posts[0].Body), "gateway sync") {
		t.Fatalf("card posts to %s: %+v", channel, posts)
	}
	ms := h.meetings(t)
	if len(ms) != 1 || ms[0].Title != "gateway sync" || ms[0].Channel != channel || ms[0].Card.ID == "" {
		t.Fatalf("stored meetings: %+v", ms)
	}

	// Another replica's gateway sees the same event; here it comes again
	// on this connection, zlib-compressed as IDENTIFY's compress: true
	// allows. It must be decoded, recognised and dropped.
	if ident.Compress {
		c.sendZlib(t, gatewayInteraction(3, id, token))
	} else {
		c.send(t, gatewayInteraction(3, id, token))
	}
	for waiting := true; waiting; {
		select {
		case <-again:
			waiting = false
		case cl := <-calls:
			if strings.HasPrefix(cl.Path, "/interactions/") || strings.HasPrefix(cl.Path, "/channels/") {
				t.Fatalf("the redelivered interaction was acted on: %s %s", cl.Method, strings.ReplaceAll(cl.Path, token, "…"))
			}
		case <-ctx.Done():
			t.Fatal("timed out waiting for the redelivered interaction to be recognised")
		}
	}
	h.adapter.Wait()
	if n := len(h.api.Calls(http.MethodPost, "/interactions/")); n != 1 {
		t.Errorf("%d interaction callbacks after the redelivery, want 1", n)
	}
	if n := len(h.api.Calls(http.MethodPost, "/channels/")); n != 1 {
		t.Errorf("%d channel posts after the redelivery, want 1", n)
	}
	if n := len(h.meetings(t)); n != 1 {
		t.Errorf("%d meetings after the redelivery, want 1", n)
	}

	closed := make(chan error, 1)
	go func() { closed <- h.adapter.Close() }()
	await(ctx, t, c.closed, "the websocket to close")
	if ce, ok := errors.AsType[*websocket.CloseError](c.readErr); !ok || ce.Code != websocket.CloseNormalClosure {
		t.Errorf("websocket ended with %v, want a close frame with 1000 (normal closure)", c.readErr)
	}
	if err := await(ctx, t, closed, "Close to return"); err != nil {
		t.Errorf("Close: %v", err)
	}
	// Nothing but heartbeats after IDENTIFY (no RESUME, no second
	// IDENTIFY), and no second connection.
	for len(c.in) > 0 {
		t.Errorf("unexpected frame op %d after IDENTIFY", (<-c.in).Op) // its data may hold the token
	}
	if len(gw.conns) > 0 {
		t.Errorf("the adapter dialled the gateway again")
	}
}

// TestGatewaySilentServerTimesOut: a gateway that accepts the connection
// but never sends HELLO makes OpenGateway fail after GatewayOpenTimeout
// (discordgo alone would wait forever), and Close still returns.
func TestGatewaySilentServerTimesOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *discord.Options) {
		o.BotToken = gatewayToken
		o.GatewayOpenTimeout = 200 * time.Millisecond
	})
	gw := newFakeGateway(t)
	h.api.setGateway(gw.wsURL())
	opened := make(chan error, 1)
	go func() { opened <- h.adapter.OpenGateway() }()
	select {
	case err := <-opened:
		if err == nil || !strings.Contains(err.Error(), "HELLO") {
			t.Fatalf("OpenGateway against a silent gateway = %v, want a timeout error", err)
		}
	case <-time.After(30 * time.Second): // a hang, not a slow machine
		t.Fatal("OpenGateway hung on a gateway that never sent HELLO")
	}
	closed := make(chan error, 1)
	go func() { closed <- h.adapter.Close() }()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatal("Close hung after a failed open")
	}
}

// slowGatewayURL answers GET /gateway later than the open timeout, as a
// slow Discord might; everything else passes at once.
type slowGatewayURL struct{ delay time.Duration }

func (s slowGatewayURL) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/gateway") {
		select {
		case <-time.After(s.delay): // the slowness under test, not a synchronisation
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestGatewayDialAfterTimeoutDoesNotHang: when the gateway's address
// arrives only after GatewayOpenTimeout, the connection dialled then must
// not be left to wait for a HELLO that never comes: OpenGateway still
// fails, instead of hanging (and holding the session's lock, so Close
// would hang too).
func TestGatewayDialAfterTimeoutDoesNotHang(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	h := newHarness(t, func(o *discord.Options) {
		o.BotToken = gatewayToken
		o.GatewayOpenTimeout = timeout
		o.HTTPClient = &http.Client{Timeout: 15 * time.Second, Transport: slowGatewayURL{delay: 3 * timeout}}
	})
	gw := newFakeGateway(t) // silent: never sends HELLO
	h.api.setGateway(gw.wsURL())
	opened := make(chan error, 1)
	go func() { opened <- h.adapter.OpenGateway() }()
	select {
	case err := <-opened:
		if err == nil {
			t.Fatal("OpenGateway succeeded against a gateway that never sent HELLO")
		}
	case <-time.After(10 * time.Second): // a hang, not a slow machine
		// Hang up from the gateway's side so the test can end.
		for len(gw.conns) > 0 {
			_ = (<-gw.conns).ws.Close()
		}
		<-opened
		t.Fatal("OpenGateway hung on a connection dialled after its timeout")
	}
	closed := make(chan error, 1)
	go func() { closed <- h.adapter.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hung after a failed open")
	}
}
