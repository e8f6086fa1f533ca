package discord_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dg "github.com/bwmarrin/discordgo"
	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/chatkit/chatkittest"
	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// RFC 8032 §7.1 TEST 1: a fixed key, so signatures are stable vectors.
const (
	testSeed   = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
	testPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	appID      = "app1"
	guildA     = "G1"
	guildB     = "G2"
	channel    = "C1"
)

// workspaceA is guild A as a workspace.
var workspaceA = core.WorkspaceKey{Platform: core.PlatformDiscord, ID: guildA}

var testKey = func() ed25519.PrivateKey {
	seed, _ := hex.DecodeString(testSeed)
	return ed25519.NewKeyFromSeed(seed)
}()

type harness struct {
	env     *testenv.Env
	api     *fakeAPI
	adapter *discord.Adapter
	srv     *httptest.Server
	n       atomic.Int64
}

// newHarness builds an env, a fake Discord API and an adapter wired as
// serve would, with /discord/interactions and the join pages on one mux;
// each tune, in order, changes the adapter's options first.
func newHarness(t testing.TB, tune ...func(*discord.Options)) *harness {
	t.Helper()
	h := &harness{api: newFakeAPI(t)}
	// NoSync: these tests check what is answered and stored, not what a
	// power cut leaves; the fsyncs only made each write wait on the disk.
	h.env = testenv.New(t, testenv.Options{NoSync: true})
	o := discord.Options{
		Service:       h.env.Service,
		Store:         h.env.Store,
		BotToken:      "test-bot-token",
		ApplicationID: appID,
		PublicKey:     testPublic,
		APIURL:        h.api.URL + "/api/v10/",
		Logger:        zerolog.New(h.env.Logs),
	}
	for _, f := range tune {
		f(&o)
	}
	a, err := discord.New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.adapter = a
	h.env.Service.SetNotifier(a)
	wh := web.New(web.Options{Service: h.env.Service, Logger: zerolog.New(h.env.Logs), Sandbox: true})
	a.Register(wh.Handle)
	h.srv = httptest.NewServer(wh)
	t.Cleanup(a.Wait)
	t.Cleanup(h.srv.Close)
	return h
}

// opt builds a command option from a Go value.
func opt(name string, v any) *dg.ApplicationCommandInteractionDataOption {
	o := &dg.ApplicationCommandInteractionDataOption{Name: name, Value: v, Type: dg.ApplicationCommandOptionString}
	if _, ok := v.(bool); ok {
		o.Type = dg.ApplicationCommandOptionBoolean
	}
	return o
}

// member is a guild member with the given permissions.
func member(user string, perms int64) *dg.Member {
	return &dg.Member{User: &dg.User{ID: user, Username: strings.ToLower(user)}, Permissions: perms}
}

// interaction builds a /meet subcommand interaction from user in guild.
func (h *harness) interaction(guild, user, sub string, opts ...*dg.ApplicationCommandInteractionDataOption) *dg.Interaction {
	n := h.n.Add(1)
	return &dg.Interaction{
		ID: "i" + strconv.FormatInt(n, 10), AppID: appID, Type: dg.InteractionApplicationCommand,
		GuildID: guild, ChannelID: channel, Member: member(user, 0), Token: "tok" + strconv.FormatInt(n, 10),
		Data: dg.ApplicationCommandInteractionData{ID: "cmd", Name: "meet", CommandType: dg.ChatApplicationCommand,
			Options: []*dg.ApplicationCommandInteractionDataOption{{Name: sub, Type: dg.ApplicationCommandOptionSubCommand, Options: opts}}},
	}
}

// clickOn builds a button interaction on a card.
func (h *harness) clickOn(guild, user, customID string) *dg.Interaction {
	n := h.n.Add(1)
	return &dg.Interaction{
		ID: "i" + strconv.FormatInt(n, 10), AppID: appID, Type: dg.InteractionMessageComponent,
		GuildID: guild, ChannelID: channel, Member: member(user, 0), Token: "tok" + strconv.FormatInt(n, 10),
		Data: dg.MessageComponentInteractionData{CustomID: customID, ComponentType: dg.ButtonComponent},
	}
}

// wire renders i as Discord sends it over HTTP.
func wire(t testing.TB, i *dg.Interaction) []byte {
	t.Helper()
	b, err := json.Marshal(i)
	if err != nil {
		t.Fatal(err)
	}
	// discordgo marshals Data as an interface; Discord's shape is the same.
	return b
}

// signed is a POST of body to the interactions endpoint signed at ts.
func (h *harness) signed(t testing.TB, body []byte, ts time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/discord/interactions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(discord.HeaderTimestamp, stamp)
	req.Header.Set(discord.HeaderSignature, discord.Sign(testKey, stamp, body))
	return req
}

// response is an interaction response as sent, kept raw for assertions.
type response struct {
	Type int `json:"type"`
	Data struct {
		Content         string            `json:"content"`
		Flags           int               `json:"flags"`
		Embeds          []json.RawMessage `json:"embeds"`
		Components      []json.RawMessage `json:"components"`
		AllowedMentions *struct {
			Parse []string `json:"parse"`
			Users []string `json:"users"`
			Roles []string `json:"roles"`
		} `json:"allowed_mentions"`
		Choices []struct {
			Name  string `json:"name"`
			Value any    `json:"value"`
		} `json:"choices"`
	} `json:"data"`
	raw []byte
}

// ephemeral reports whether the response is only for the actor.
func (r response) ephemeral() bool { return r.Data.Flags&64 != 0 }

// do sends req and decodes the answer.
func (h *harness) do(t testing.TB, req *http.Request) (int, response) {
	t.Helper()
	code, _, b := chatkittest.Exchange(t, h.srv.Client(), req)
	var r response
	if code == http.StatusOK && len(b) > 0 {
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("answer is not JSON: %q", b)
		}
	}
	r.raw = b
	return code, r
}

// send posts i signed now and returns the answer; it must be 200.
func (h *harness) send(t testing.TB, i *dg.Interaction) response {
	t.Helper()
	code, r := h.do(t, h.signed(t, wire(t, i), time.Now()))
	if code != http.StatusOK {
		t.Fatalf("status %d: %s\nlogs:\n%s", code, r.raw, h.env.Logs.String())
	}
	h.adapter.Wait()
	return r
}

// command sends a /meet subcommand from user in guild A.
func (h *harness) command(t testing.TB, user, sub string, opts ...*dg.ApplicationCommandInteractionDataOption) response {
	t.Helper()
	return h.send(t, h.interaction(guildA, user, sub, opts...))
}

// decode turns an InteractionResponse into the wire shape tests read.
func decode(t testing.TB, resp *dg.InteractionResponse) response {
	t.Helper()
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	r.raw = b
	return r
}

// meetings returns guild A's stored meetings.
func (h *harness) meetings(t testing.TB) []*core.Meeting {
	t.Helper()
	return chatkittest.Meetings(t, h.env.Store, workspaceA)
}

// wantMeetings fails the test unless want meetings are stored once the
// adapter's work is done; after says when, for the message.
func (h *harness) wantMeetings(t testing.TB, want int, after string) {
	t.Helper()
	h.adapter.Wait()
	chatkittest.WantMeetings(t, h.env.Store, workspaceA, want, after)
}

// newBody is a request body holding b.
func newBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }
