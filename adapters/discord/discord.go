// Package discord is meetbot's Discord app: the /meet application command
// with subcommands and autocomplete, buttons on meeting cards, personal
// join links in ephemeral replies, and reminders posted to channels and
// DMs. Interactions arrive over the gateway (a bot token, no public URL)
// or the HTTP interactions endpoint (Ed25519-signed requests); both go
// through one function, Handle, and every command line runs through
// core/chat, so Discord accepts exactly the grammar and gives exactly the
// answers of every other adapter. Every message built from user text is
// sent with allowed_mentions empty, so a title cannot ping anyone. With
// MirrorEvents each meeting also appears in the server's event list as a
// Guild Scheduled Event that moves and disappears with it.
package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	dg "github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/chatkit"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
)

// Options configure an Adapter. Service and Store are required; a bot
// token is needed to post cards and reminders, a public key to serve the
// HTTP interactions endpoint.
type Options struct {
	Service *core.Service
	// Store de-duplicates interactions across replicas with its once-keys.
	Store core.OnceStore
	// BotToken is the bot's token, without the "Bot " prefix.
	BotToken string
	// ApplicationID is the application's id (command registration, and
	// follow-ups when an interaction does not carry it).
	ApplicationID string
	// PublicKey is the application's Ed25519 public key, 64 hex digits.
	PublicKey string
	// APIURL replaces Discord's REST base (https://discord.com/api/v9/),
	// so tests run against a fake API; empty means Discord itself.
	APIURL string
	Logger zerolog.Logger
	// Now is the clock for the signature timestamp window and for holding
	// calls while Discord's global rate limit is in force; default
	// time.Now. Meeting time is the Service's clock.
	Now func() time.Time
	// HTTPClient is the transport for REST calls; default a client with a
	// 15s timeout.
	HTTPClient *http.Client
	// MaxBody caps an interaction request body; default 64 KiB (413 above).
	MaxBody int64
	// MaxSkew is how far X-Signature-Timestamp may be from now; default 5m.
	MaxSkew time.Duration
	// AckWait is how long work may run before the interaction is answered
	// with a deferred response (type 5) and finished by a follow-up;
	// default 2.5s, inside Discord's 3s.
	AckWait time.Duration
	// After is the clock of the AckWait wait, time.After when nil; tests
	// hand in a channel that has fired, so "too slow" needs no waiting.
	After func(time.Duration) <-chan time.Time
	// Sleep waits out a 429 in place (d, or until ctx ends); default a
	// timer. Tests record the waits instead of spending them.
	Sleep func(ctx context.Context, d time.Duration) error
	// WorkTimeout bounds one interaction's work; default 30s.
	WorkTimeout time.Duration
	// DedupeTTL is how long an interaction id is remembered; default 10m.
	DedupeTTL time.Duration
	// MaxRateWait is the longest 429 retry_after waited for in place;
	// longer waits fail the call with EUNAVAILABLE so the scheduler retries
	// later. Default chatkit.DefaultMaxRateWait.
	MaxRateWait time.Duration
	// GatewayOpenTimeout bounds connecting to the gateway (handshake,
	// HELLO, READY); default 30s. discordgo waits for those with no
	// deadline of its own, so a gateway that accepts the connection and
	// then says nothing would hang startup, and Close, forever.
	GatewayOpenTimeout time.Duration
	// MirrorEvents also mirrors every non-private meeting scheduled in a
	// guild as a Guild Scheduled Event (EXTERNAL, guild only), moved and
	// removed with the meeting, so it shows in the server's event list.
	// The bot needs the Create Events permission; without it the meeting
	// is scheduled anyway and one line is logged.
	MirrorEvents bool
}

// The Adapter is the scheduler's notifier for Discord meetings and keeps
// their cards (and mirrored events) up to date. cmd/bot finds CardKeeper
// by a type assertion, so a changed signature would silently stop card
// updates; these make it a compile error instead.
var (
	_ core.Notifier   = (*Adapter)(nil)
	_ core.CardKeeper = (*Adapter)(nil)
)

// Adapter serves Discord interactions and posts for the scheduler. It
// implements core.Notifier and core.CardKeeper.
type Adapter struct {
	opts    Options
	chat    *chat.Handler
	session *dg.Session // REST (and gateway when opened); never nil
	pub     ed25519.PublicKey
	log     zerolog.Logger
	// work counts interactions in flight and their follow-ups, so Close
	// refuses new ones and waits for those.
	work     chatkit.Group
	deadline chatkit.Deadline
	dedupe   chatkit.Dedupe
	retry    chatkit.Retry
	lost     *chatkit.Set // channels the bot cannot post in, for chatkit.LostFor
	// handlerOnce adds the gateway handler once, however often the
	// gateway is opened.
	handlerOnce sync.Once
}

// New returns an Adapter. It fails only on a malformed public key.
func New(o Options) (*Adapter, error) {
	if o.Service == nil || o.Store == nil {
		return nil, errors.New("discord: Service and Store are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.MaxBody = chatkit.Or(o.MaxBody, chatkit.DefaultMaxBody)
	o.MaxSkew = chatkit.Or(o.MaxSkew, 5*time.Minute)
	o.AckWait = chatkit.Or(o.AckWait, chatkit.DefaultAckWait)
	o.WorkTimeout = chatkit.Or(o.WorkTimeout, chatkit.DefaultWorkTimeout)
	o.DedupeTTL = chatkit.Or(o.DedupeTTL, chatkit.DefaultDedupeTTL)
	o.GatewayOpenTimeout = chatkit.Or(o.GatewayOpenTimeout, 30*time.Second)
	a := &Adapter{opts: o, chat: chat.New(o.Service), log: o.Logger, retry: newRetry(o),
		dedupe: chatkit.Dedupe{Store: o.Store, TTL: o.DedupeTTL, Now: o.Now},
		lost:   chatkit.NewSet(chatkit.LostFor, 0)}
	a.deadline = chatkit.Deadline{Group: &a.work, Wait: o.AckWait, Timeout: o.WorkTimeout, After: o.After}
	if o.PublicKey != "" {
		k, err := hex.DecodeString(o.PublicKey)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, errors.New("discord: the public key must be 64 hex digits")
		}
		a.pub = ed25519.PublicKey(k)
	}
	s, err := newSession(o)
	if err != nil {
		return nil, err
	}
	a.session = s
	return a, nil
}

// newRetry waits out Discord's 429s for Adapter.rest.
func newRetry(o Options) chatkit.Retry {
	return chatkit.Retry{Limited: rateLimited, Busy: "Discord is rate limiting me; please try again in a moment.",
		MaxWait: o.MaxRateWait, Sleep: o.Sleep, Logger: o.Logger}
}

// newSession builds the discordgo session every REST call goes through.
// Its 429 retries are off because discordgo sleeps for retry_after without
// a context; Adapter.rest waits instead, bounded by the call's context and
// MaxRateWait. Per-route buckets (X-RateLimit-Remaining/Reset-After) are
// still discordgo's; Discord's global limit is held by globalLimit.
func newSession(o Options) (*dg.Session, error) {
	token := ""
	if o.BotToken != "" {
		token = "Bot " + strings.TrimPrefix(o.BotToken, "Bot ")
	}
	s, err := dg.New(token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	client := o.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	c := *client
	inner := c.Transport
	if inner == nil {
		inner = http.DefaultTransport
	}
	if o.APIURL != "" {
		base, err := url.Parse(strings.TrimRight(o.APIURL, "/") + "/")
		if err != nil || base.Scheme == "" || base.Host == "" {
			return nil, fmt.Errorf("discord: api_url %q is not an absolute URL", o.APIURL)
		}
		inner = rebase{from: dg.EndpointAPI, to: base, inner: inner}
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	c.Transport = &globalLimit{inner: inner, now: now}
	s.Client = &c
	s.ShouldRetryOnRateLimit = false
	s.StateEnabled = false
	// Interactions need no intent; guilds alone keeps the gateway quiet,
	// and no message intent means DMs to the bot never reach us at all.
	s.Identify.Intents = dg.IntentsGuilds
	return s, nil
}

// rebase sends discordgo's requests to another REST base. discordgo builds
// every URL from package-level variables (EndpointAPI and the Endpoint*
// strings derived from it at init); reassigning them would be global to
// the process and racy, so the one place that changes the base is this
// transport, per session.
type rebase struct {
	from  string
	to    *url.URL
	inner http.RoundTripper
}

// RoundTrip rewrites URLs under from to the same path under to.
func (r rebase) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL.String()
	rest, ok := strings.CutPrefix(u, r.from)
	if !ok {
		return r.inner.RoundTrip(req)
	}
	nu, err := r.to.Parse(rest)
	if err != nil {
		return nil, err
	}
	req = req.Clone(req.Context())
	req.URL, req.Host = nu, nu.Host
	return r.inner.RoundTrip(req)
}

// Session returns the discordgo session (REST, and the gateway once
// opened), for wiring and tests.
func (a *Adapter) Session() *dg.Session { return a.session }

// Routes returns the adapter's HTTP handlers by Go 1.22 mux pattern; empty
// without a public key.
func (a *Adapter) Routes() map[string]http.Handler {
	if a.pub == nil {
		return nil
	}
	return map[string]http.Handler{"POST /discord/interactions": http.HandlerFunc(a.serveHTTP)}
}

// Register mounts the routes with handle, for example web.Handler.Handle.
func (a *Adapter) Register(handle func(pattern string, h http.Handler)) {
	for p, h := range a.Routes() {
		handle(p, h)
	}
}

// OpenGateway connects to Discord's gateway and answers interactions that
// arrive on it. It fails after Options.GatewayOpenTimeout rather than hang. Close
// it with Close.
func (a *Adapter) OpenGateway() error {
	if a.opts.BotToken == "" {
		return errors.New("discord: the gateway needs a bot token")
	}
	a.handlerOnce.Do(func() { a.session.AddHandler(a.OnInteractionCreate) })
	// Remember the connections dialled while opening, so a gateway that
	// never answers can be hung up on, which makes Open return. Once the
	// time is up, a connection Open dials late (its gateway address came
	// slowly) is hung up on at once too, or it would wait for HELLO
	// forever with nobody left to close it.
	var (
		mu       sync.Mutex
		opening  = true
		timedOut bool
		conns    []net.Conn
	)
	d := *websocket.DefaultDialer
	d.HandshakeTimeout = a.opts.GatewayOpenTimeout
	d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{Timeout: a.opts.GatewayOpenTimeout}).DialContext(ctx, network, addr)
		mu.Lock()
		defer mu.Unlock()
		if err == nil && timedOut {
			_ = c.Close()
			return nil, errors.New("the gateway took too long to open")
		}
		if err == nil && opening {
			conns = append(conns, c)
		}
		return c, err
	}
	a.session.Dialer = &d
	done := make(chan error, 1)
	go func() { done <- a.session.Open() }()
	timer := time.NewTimer(a.opts.GatewayOpenTimeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-done:
	case <-timer.C:
		mu.Lock()
		timedOut = true
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		if openErr := <-done; openErr == nil {
			// It opened just as time ran out: close it, or discordgo
			// would keep a session nobody here counts as open.
			_ = a.session.Close()
		}
		err = fmt.Errorf("no HELLO and READY within %s", a.opts.GatewayOpenTimeout)
	}
	// Reconnects after a successful open dial through d as well.
	mu.Lock()
	opening, timedOut, conns = false, false, nil
	mu.Unlock()
	if err != nil {
		return redact("discord: open the gateway", err)
	}
	return nil
}

// Close disconnects the gateway (if open), then refuses new interactions
// and waits for work that outlived its interaction.
func (a *Adapter) Close() error {
	err := a.session.Close()
	_ = a.work.Drain(context.Background())
	return err
}

// Wait blocks until work that outlived its interaction has been delivered.
func (a *Adapter) Wait() { a.work.Wait() }

// RegisterCommands overwrites the application's command set with
// Commands(): in one guild (instant, for testing) or globally when guildID
// is empty. Overwriting is idempotent.
func (a *Adapter) RegisterCommands(ctx context.Context, guildID string) ([]*dg.ApplicationCommand, error) {
	if a.opts.ApplicationID == "" {
		return nil, errors.New("discord: application_id is required to register commands")
	}
	var out []*dg.ApplicationCommand
	err := a.rest(ctx, func(opts ...dg.RequestOption) error {
		var err error
		out, err = a.session.ApplicationCommandBulkOverwrite(a.opts.ApplicationID, guildID, Commands(), opts...)
		return err
	})
	return out, err
}

// RegisterCommands is Adapter.RegisterCommands for a process that serves
// nothing (bot register-commands): only BotToken, ApplicationID, APIURL,
// HTTPClient and Logger of o are used.
func RegisterCommands(ctx context.Context, o Options, guildID string) ([]*dg.ApplicationCommand, error) {
	if o.BotToken == "" {
		return nil, errors.New("discord: bot_token is required to register commands")
	}
	s, err := newSession(o)
	if err != nil {
		return nil, err
	}
	a := &Adapter{opts: o, session: s, log: o.Logger, retry: newRetry(o)}
	return a.RegisterCommands(ctx, guildID)
}

// rest runs one REST call with ctx, waiting out 429s in place when
// Discord asks for at most MaxRateWait, a few times (chatkit.Retry); a
// longer wait fails with EUNAVAILABLE carrying RetryAfter.
func (a *Adapter) rest(ctx context.Context, call func(opts ...dg.RequestOption) error) error {
	return a.retry.Do(ctx, func() error { return call(dg.WithContext(ctx)) })
}

// rateLimited recognises a 429 that discordgo handed back (its own
// retries are off, see newSession), with the wait Discord asked for.
func rateLimited(err error) (time.Duration, bool) {
	rl, ok := errors.AsType[*dg.RateLimitError](err)
	if !ok || rl.RateLimit == nil || rl.TooManyRequests == nil {
		return 0, false
	}
	return rl.RetryAfter, true
}

// redactedError carries a failure for callers (errors.Is/As still see
// the cause, such as a *core.Error with its RetryAfter) while its text is
// describe's, which never holds a URL: interaction and webhook URLs carry
// tokens.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redact wraps err as "what: " + describe(err).
func redact(what string, err error) error {
	return &redactedError{msg: what + ": " + describe(err), err: err}
}

// describe renders err for a log line without the request URL, which
// for interaction routes holds the interaction token.
func describe(err error) string {
	if err == nil {
		return ""
	}
	if re, ok := errors.AsType[*dg.RESTError](err); ok {
		s := "HTTP " + re.Response.Status
		if re.Message != nil {
			s += fmt.Sprintf(" (code %d: %s)", re.Message.Code, re.Message.Message)
		}
		return s
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Op + ": " + describe(ue.Err)
	}
	if _, ok := errors.AsType[*dg.RateLimitError](err); ok {
		return "rate limited"
	}
	return err.Error()
}

// restCode returns Discord's JSON error code of a failed call, 0 if none.
func restCode(err error) int {
	if re, ok := errors.AsType[*dg.RESTError](err); ok && re.Message != nil {
		return re.Message.Code
	}
	return 0
}
