// Package slack is meetbot's Slack app: the /meet slash command, the
// scheduling modal and the buttons on meeting cards, over HTTP (every
// request's signature checked on the raw, size-capped body before anything
// is parsed) or Socket Mode, through the same handlers. Commands go through
// core/chat like every other adapter's; replies are Slack mrkdwn and Block
// Kit with all user text escaped. With a workspace's bot token the adapter
// also posts meeting cards and keeps them up to date (core.CardKeeper),
// posts reminders and announcements (core.Notifier) paced per channel, and
// reads each person's zone and admin flag from users.info. Slack wants an
// answer within 3 seconds, so slow work is acknowledged at once and
// finished through the request's response_url.
package slack

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/meetbot/meetbot/adapters/chatkit"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
	"github.com/meetbot/meetbot/core/command"
	"github.com/meetbot/meetbot/internal/httpbody"
)

// DefaultResponseURLBase is where response_urls point for Slack's own
// Web API (DefaultAPIURL); another APIURL has its own (ResponseURLBase).
const DefaultResponseURLBase = "https://hooks.slack.com/"

// Options configure an Adapter. Service and SigningSecret (HTTP) or an
// app token (Socket Mode) are required; zero values of the rest take the
// documented defaults.
type Options struct {
	Service *core.Service
	// SigningSecret is the app's signing secret. Without it every HTTP
	// request is refused.
	SigningSecret string
	Logger        zerolog.Logger
	// Now is the clock for the signature window, delivery records, lost
	// channels and pacing; default time.Now. It is separate from the
	// Service's clock so tests can fake meeting time while signing with
	// the real one.
	Now func() time.Time
	// Sleep waits between posts to one channel and after a 429; default
	// chatkit.Sleep, a timer that stops when ctx ends. Tests record the
	// waits instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// HTTPClient posts to response_urls and the Web API; default a client
	// with a 10s timeout.
	HTTPClient *http.Client
	// ResponseURLBase is the prefix every response_url must have; anything
	// else in a payload is ignored. Default: ResponseURLBaseFor(APIURL),
	// so GovSlack's response_urls are accepted when APIURL is GovSlack's.
	// Tests point it at an httptest server.
	ResponseURLBase string
	// Tokens gives each team's bot token. Without one (nil, or an error
	// for that team) the adapter answers only through response_url: no
	// cards it can update, no reminders, no modal.
	Tokens TokenSource
	// APIURL is the Web API base (slack.api_url); default DefaultAPIURL.
	APIURL string
	// Store remembers deliveries for every replica, so a Slack retry that
	// reaches another process does not run twice; nil keeps them in this
	// process's memory only.
	Store core.OnceStore
	// Events handles an Events API body arriving over Socket Mode (the
	// install package's HandleEvent); nil acknowledges and drops events.
	Events func(ctx context.Context, body []byte) ([]byte, error)
	// MaxBody caps a request body; default 64 KiB. Larger bodies get 413.
	MaxBody int64
	// AckWait is how long a command may run before Slack is answered with
	// "Working on it…" and the result follows through response_url;
	// default chatkit.DefaultAckWait, inside Slack's 3s limit.
	AckWait time.Duration
	// After is the clock of AckWait; default time.After. Tests fire it
	// themselves, so a slow command needs no real waiting.
	After func(time.Duration) <-chan time.Time
	// WorkTimeout bounds a command's work once acknowledged; default 30s.
	WorkTimeout time.Duration
	// DedupeTTL is how long a delivery is remembered so a retry or replay
	// does not run twice; default 10 minutes.
	DedupeTTL time.Duration
	// UserTTL is how long a users.info answer is trusted; default 1 hour.
	UserTTL time.Duration
	// ChannelRate and ChannelBurst pace chat.postMessage per channel;
	// default one per second, bursts of 1, as Slack asks.
	ChannelRate  rate.Limit
	ChannelBurst int
	// Retries is how many times a call answered 429 is tried again after
	// Retry-After (never waiting longer than chatkit.DefaultMaxRateWait);
	// default chatkit.DefaultRetries.
	Retries int
}

// Adapter serves Slack's HTTP requests and Socket Mode events, posts and
// updates meeting cards, and is the core.Notifier for Slack meetings.
type Adapter struct {
	opts     Options
	chat     *chat.Handler
	dedupe   chatkit.Dedupe
	work     chatkit.Group
	deadline chatkit.Deadline
	retry    chatkit.Retry

	clientsMu sync.Mutex
	clients   map[string]teamClient
	limitsMu  sync.Mutex
	limits    map[string]*rate.Limiter
	dead      *chatkit.Set // channels and tokens posts cannot reach
	users     userCache
}

// New returns an Adapter.
func New(o Options) *Adapter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = chatkit.Sleep
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if !strings.HasSuffix(o.APIURL, "/") {
		o.APIURL += "/"
	}
	if o.ResponseURLBase == "" {
		o.ResponseURLBase = ResponseURLBaseFor(o.APIURL)
	}
	o.MaxBody = chatkit.Or(o.MaxBody, chatkit.DefaultMaxBody)
	o.AckWait = chatkit.Or(o.AckWait, chatkit.DefaultAckWait)
	o.WorkTimeout = chatkit.Or(o.WorkTimeout, chatkit.DefaultWorkTimeout)
	o.DedupeTTL = chatkit.Or(o.DedupeTTL, chatkit.DefaultDedupeTTL)
	o.UserTTL = chatkit.Or(o.UserTTL, time.Hour)
	o.ChannelRate = chatkit.Or(o.ChannelRate, rate.Every(time.Second))
	o.ChannelBurst = chatkit.Or(o.ChannelBurst, 1)
	o.Retries = chatkit.Or(o.Retries, chatkit.DefaultRetries)
	var once core.OnceStore = chatkit.NewMemoryOnce(0)
	if o.Store != nil {
		once = o.Store
	}
	a := &Adapter{
		opts: o, chat: chat.NewRenderingLists(o.Service),
		dedupe:  chatkit.Dedupe{Store: once, TTL: o.DedupeTTL, Now: o.Now},
		retry:   chatkit.Retry{Limited: rateLimited, Busy: textRateLimited, Retries: o.Retries, Sleep: o.Sleep, Logger: o.Logger},
		clients: map[string]teamClient{}, limits: map[string]*rate.Limiter{},
		dead: chatkit.NewSet(chatkit.LostFor, maxCached), users: userCache{m: map[string]userInfo{}},
	}
	a.deadline = chatkit.Deadline{Group: &a.work, Wait: o.AckWait, Timeout: o.WorkTimeout, After: o.After}
	return a
}

// Routes returns the adapter's handlers by Go 1.22 mux pattern.
func (a *Adapter) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"POST /slack/commands":     http.HandlerFunc(a.serveCommand),
		"POST /slack/interactions": http.HandlerFunc(a.serveInteraction),
	}
}

// Register mounts the routes with handle, for example web.Handler.Handle.
func (a *Adapter) Register(handle func(pattern string, h http.Handler)) {
	for p, h := range a.Routes() {
		handle(p, h)
	}
}

// Wait blocks until work that outlived its request (slow commands, button
// clicks) has finished and been delivered, without refusing new requests.
func (a *Adapter) Wait() { a.work.Wait() }

// Drain is Wait for shutdown: from now on new commands and clicks are
// answered "restarting, try again", and it returns once the work in
// flight was delivered or ctx ended. Call it after the HTTP server and
// Socket Mode stopped accepting requests, before the store closes.
func (a *Adapter) Drain(ctx context.Context) error { return a.work.Drain(ctx) }

// readSigned reads the capped body and checks its signature. On failure it
// has already answered (413 or 401) and returns false; nothing has been
// parsed or changed. On success it returns the delivery (retry number and
// signedKey) the request stands for.
func (a *Adapter) readSigned(w http.ResponseWriter, r *http.Request) (delivery, bool) {
	body, ok := httpbody.ReadCapped(w, r, a.opts.MaxBody)
	if !ok {
		return delivery{}, false
	}
	if err := Verify(a.opts.SigningSecret, r.Header, body, a.opts.Now()); err != nil {
		a.opts.Logger.Warn().Err(err).Str("route", r.URL.Path).Msg("slack request refused")
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return delivery{}, false
	}
	// Put the verified bytes back so slack-go's parsers can read them.
	r.Body = io.NopCloser(bytes.NewReader(body))
	return delivery{retry: r.Header.Get(HeaderRetryNum), signed: chatkit.SignedKey(r.Header.Get(HeaderTimestamp), body)}, true
}

// serveCommand handles POST /slack/commands. It only verifies and parses;
// handleCommand does the rest, as it does for Socket Mode.
func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request) {
	d, ok := a.readSigned(w, r)
	if !ok {
		return
	}
	sc, err := slackapi.SlashCommandParse(r)
	if err == nil && r.PostForm.Get("ssl_check") == "1" {
		// Slack's certificate check: answered, nothing else.
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil || sc.TeamID == "" || sc.UserID == "" {
		http.Error(w, "not a slash command", http.StatusBadRequest)
		return
	}
	if msg := a.handleCommand(r.Context(), sc, d); msg != nil {
		a.writeMsg(w, *msg)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// handleCommand runs one verified slash command and returns what to
// acknowledge it with (nil: an empty acknowledgement). It returns within
// AckWait: slower work goes on and its answer follows through response_url.
// d says which delivery this is (see delivery).
func (a *Adapter) handleCommand(ctx context.Context, sc slackapi.SlashCommand, d delivery) *slackapi.Msg {
	log := chatkit.RequestLogger(ctx, a.opts.Logger.With().Str("team", sc.TeamID).Str("user", sc.UserID).Logger())
	leave, ok := a.work.Enter()
	defer leave()
	if !ok {
		return &slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: chatkit.Restarting}
	}
	if !readOnly(sc.Text) {
		if run, say := a.firstDelivery(ctx, "slack-cmd", sc.TeamID, sc.TriggerID, d, log); !run {
			return sayMsg(say)
		}
	}
	if strings.TrimSpace(sc.Text) == "" && a.openModal(ctx, sc, log) {
		return nil
	}
	type result struct {
		msg   slackapi.Msg
		aside string // the unread-zone note, for the person alone
	}
	work := func(ctx context.Context) result {
		actor := a.actor(ctx, sc.TeamID, sc.UserID, sc.UserName, sc.ChannelID)
		msg, aside := a.runCommand(ctx, actor, sc.Text, log)
		// Only the unread-zone note is sent aside: it is said every time
		// and the person's times depend on it.
		if actor.ZoneUnread == "" {
			aside = ""
		}
		return result{msg, aside}
	}
	// The reply is the channel's card: the note for the person alone
	// follows through response_url.
	sendAside := func(ctx context.Context, aside string) {
		if aside == "" {
			return
		}
		if err := a.respond(ctx, sc.ResponseURL, ephemeral(Escape(aside))); err != nil {
			log.Warn().Err(err).Msg("could not deliver a command's note")
		}
	}
	res, inTime := chatkit.Answer(ctx, a.deadline, work, nil, func(ctx context.Context, res result) {
		if err := a.respond(ctx, sc.ResponseURL, res.msg); err != nil {
			log.Error().Err(err).Msg("could not deliver a slow command's reply")
		}
		sendAside(ctx, res.aside)
	})
	if !inTime {
		return &slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: "Working on it…"}
	}
	if res.aside != "" {
		a.deadline.Detach(ctx, func(ctx context.Context) { sendAside(ctx, res.aside) })
	}
	return &res.msg
}

// sayMsg is the acknowledgement that tells the person say, or nil (an
// empty acknowledgement) when there is nothing to say.
func sayMsg(say string) *slackapi.Msg {
	if say == "" {
		return nil
	}
	return &slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: Escape(say)}
}

// readOnly reports whether a command line only reads (list, info, help):
// running it twice is harmless, so it skips the delivery record, a store
// write.
func readOnly(text string) bool {
	verb, _, _ := strings.Cut(strings.TrimSpace(text), " ")
	switch strings.ToLower(verb) {
	case "list", "info", "help":
		return true
	}
	return false
}

// runCommand runs one /meet line and renders the reply. When the workspace
// has a bot token, a new public meeting's card is posted by the bot (so it
// can be updated in place later) and the reply becomes an ephemeral
// confirmation; changes to existing meetings redraw their card and are
// announced by core, so their reply is ephemeral too. Without a token the
// card is the command's in-channel reply, as Slack allows; aside is then
// the reply's note for the actor alone (Reply.Note), which the card does
// not carry.
func (a *Adapter) runCommand(ctx context.Context, actor core.Actor, text string, log zerolog.Logger) (msg slackapi.Msg, aside string) {
	rep := a.chat.Handle(ctx, actor, text)
	if rep.Err != nil && rep.Err.Code == core.EINTERNAL {
		log.Error().Err(rep.Err.Err).Str("verb", string(rep.Verb)).Msg("command failed")
	}
	msg = a.guard(message(rep, actor.Name, a.opts.Service.Now()), rep.JoinURL)
	if msg.ResponseType != slackapi.ResponseTypeInChannel {
		return msg, ""
	}
	if rep.Meeting == nil {
		return msg, rep.Note
	}
	c, _, ok := a.client(ctx, actor.User.Workspace.ID)
	if !ok {
		return msg, rep.Note
	}
	switch rep.Verb {
	case command.VerbSchedule, command.VerbNow:
		if posted, err := a.postCard(ctx, c, rep.Meeting, msg, log); !posted {
			if channelDead[slackError(err)] {
				// The command's own reply still reaches the channel; say
				// there why no reminders will follow, and how to fix it.
				msg.Blocks.BlockSet = append(msg.Blocks.BlockSet, slackapi.NewContextBlock("",
					slackapi.NewTextBlockObject(slackapi.MarkdownType, notInChannelHint, false, false)))
			}
			return msg, rep.Note
		}
	}
	return ephemeral(Escape(rep.Text)), ""
}

// notInChannelHint goes under a card meetbot could only send as a command
// reply, because it is not a member of the channel.
const notInChannelHint = "meetbot is not in this channel, so it cannot post reminders or update this card here. Add it with `/invite @meetbot`."

// postCard posts a new meeting's card with chat.postMessage and records
// where, so core can have it redrawn. It reports whether the card was
// posted, and why not.
func (a *Adapter) postCard(ctx context.Context, c *slackapi.Client, m *core.Meeting, card slackapi.Msg, log zerolog.Logger) (bool, error) {
	team := m.Workspace.ID
	ts, err := a.post(ctx, c, team, m.Channel,
		slackapi.MsgOptionText(card.Text, false), slackapi.MsgOptionBlocks(card.Blocks.BlockSet...))
	if err != nil {
		log.Warn().Err(err).Str("meeting", m.ID).Str("channel", m.Channel).Msg("could not post the meeting card; answering in the channel instead")
		return false, err
	}
	// meetbot can post here (again): the channel's reminders need not
	// wait out the hour a failure marked it lost for.
	a.dead.Forget(deadChannelKey(team, m.Channel))
	if _, err := a.opts.Service.SetCard(ctx, m.Workspace, m.ID, core.MessageRef{Channel: m.Channel, ID: ts}); err != nil {
		log.Warn().Err(err).Str("meeting", m.ID).Msg("could not record where the meeting card is; it will not be updated")
	}
	return true, nil
}

// guard makes sure nothing holding a personal link is shown to a channel:
// a message that is not ephemeral and mentions a join link is made
// ephemeral (a card replaced in place then fails to post, which is the
// safe way to fail).
func (a *Adapter) guard(msg slackapi.Msg, joinURL string) slackapi.Msg {
	if msg.ResponseType == slackapi.ResponseTypeEphemeral {
		return msg
	}
	if a.holdsLink(msg, joinURL) {
		a.opts.Logger.Error().Msg("an in-channel reply held a personal link; sent it ephemerally instead")
		msg.ResponseType = slackapi.ResponseTypeEphemeral
	}
	return msg
}

// holdsLink reports whether msg mentions a personal join link (or cannot
// be checked).
func (a *Adapter) holdsLink(msg slackapi.Msg, joinURL string) bool {
	b, err := jsonMarshal(msg)
	linkPrefix := a.opts.Service.Config().PublicURL + "/j/"
	return err != nil || bytes.Contains(b, []byte(linkPrefix)) || joinURL != "" && bytes.Contains(b, []byte(joinURL))
}

// firstDelivery reports whether a request should run, and otherwise
// what to tell the person ("" for nothing). A repeated delivery (a Slack
// retry, or the same signed request replayed inside the window) does not
// run and is acknowledged empty, so a command never runs twice. The key
// is kind + team + trigger_id, or, when the request carries no
// trigger_id, kind + team + the key over its signed bytes; it is kept in
// Options.Store (shared by replicas) or in memory, for DedupeTTL. A retry
// whose original was never seen is not run either, because the original
// may still be on its way; the user is told so. A store that cannot
// record the key refuses the request with chatkit's sentence
// (chatkit.Dedupe.First), so it neither runs twice nor vanishes.
func (a *Adapter) firstDelivery(ctx context.Context, kind, team, trigger string, d delivery, log zerolog.Logger) (bool, string) {
	key := trigger
	if key == "" && d.signed != "" {
		key = "signed:" + d.signed
	}
	retry := d.retry
	first := true
	if key != "" {
		var err error
		if first, err = a.dedupe.First(ctx, kind+":"+team+":"+key); err != nil {
			log.Error().Err(err).Str("retry", retry).Msg("could not record a slack delivery; refused it so it cannot run twice")
			return false, core.ErrorMessage(err)
		}
	}
	switch {
	case !first:
		log.Info().Str("retry", retry).Msg("slack delivered a request again; not running it twice")
		return false, ""
	case retry != "":
		log.Warn().Str("retry", retry).Msg("slack retried a request whose first delivery was never seen; not running it")
		return false, "Slack sent this twice, so I did not run it again. Check `/meet list`, and try once more if something is missing."
	}
	return true, ""
}
