// Package slack is meetbot's Slack app over HTTP: the /meet slash command
// and the buttons on meeting cards. Every request's signature is checked on
// the raw, size-capped body before anything is parsed; commands go through
// core/chat like every other adapter's, and replies are rendered as Slack
// mrkdwn and Block Kit with all user text escaped. Slack wants an answer
// within 3 seconds, so slow work is acknowledged at once and finished
// through the request's response_url.
package slack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
)

// DefaultResponseURLBase is the only place response_urls may point to in
// production; anything else in a payload is ignored.
const DefaultResponseURLBase = "https://hooks.slack.com/"

// Options configure an Adapter. Service and SigningSecret are required;
// zero values of the rest take the documented defaults.
type Options struct {
	Service *core.Service
	// SigningSecret is the app's signing secret. Without it every request
	// is refused.
	SigningSecret string
	Logger        zerolog.Logger
	// Now is the clock for the signature window and retry bookkeeping;
	// default time.Now. It is separate from the Service's clock so tests
	// can fake meeting time while signing with the real one.
	Now func() time.Time
	// HTTPClient posts to response_urls; default a client with a 10s timeout.
	HTTPClient *http.Client
	// ResponseURLBase is the prefix every response_url must have; default
	// DefaultResponseURLBase. Tests point it at an httptest server.
	ResponseURLBase string
	// MaxBody caps a request body; default 64 KiB. Larger bodies get 413.
	MaxBody int64
	// AckWait is how long a command may run before Slack is answered with
	// "Working on it…" and the result follows through response_url;
	// default 2.5s, inside Slack's 3s limit.
	AckWait time.Duration
	// WorkTimeout bounds a command's work once acknowledged; default 30s.
	WorkTimeout time.Duration
	// DedupeTTL is how long a delivery is remembered so a retry or replay
	// does not run twice; default 10 minutes.
	DedupeTTL time.Duration
}

// Adapter serves Slack's HTTP requests.
type Adapter struct {
	opts Options
	chat *chat.Handler
	seen *deliveries
	wg   sync.WaitGroup
}

// New returns an Adapter.
func New(o Options) *Adapter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.ResponseURLBase == "" {
		o.ResponseURLBase = DefaultResponseURLBase
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 10
	}
	if o.AckWait <= 0 {
		o.AckWait = 2500 * time.Millisecond
	}
	if o.WorkTimeout <= 0 {
		o.WorkTimeout = 30 * time.Second
	}
	if o.DedupeTTL <= 0 {
		o.DedupeTTL = 10 * time.Minute
	}
	return &Adapter{opts: o, chat: chat.New(o.Service), seen: newDeliveries(o.DedupeTTL)}
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
// clicks) has finished and been delivered. Call it on shutdown, after the
// HTTP server stopped accepting requests.
func (a *Adapter) Wait() { a.wg.Wait() }

// readSigned reads the capped body and checks its signature. On failure it
// has already answered (413 or 401) and returns false; nothing has been
// parsed or changed.
func (a *Adapter) readSigned(w http.ResponseWriter, r *http.Request) bool {
	if r.ContentLength > a.opts.MaxBody {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxBody))
	if err != nil {
		if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "could not read request body", http.StatusBadRequest)
		}
		return false
	}
	if err := Verify(a.opts.SigningSecret, r.Header, body, a.opts.Now()); err != nil {
		a.opts.Logger.Warn().Err(err).Str("route", r.URL.Path).Msg("slack request refused")
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return false
	}
	// Put the verified bytes back so slack-go's parsers can read them.
	r.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// serveCommand handles POST /slack/commands.
func (a *Adapter) serveCommand(w http.ResponseWriter, r *http.Request) {
	if !a.readSigned(w, r) {
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
	log := a.opts.Logger.With().Str("team", sc.TeamID).Str("user", sc.UserID).Logger()
	if !a.firstDelivery(w, r, sc.TeamID, sc.TriggerID, log) {
		return
	}
	actor := core.Actor{
		User:    core.UserKey{Workspace: core.WorkspaceKey{Platform: core.PlatformSlack, ID: sc.TeamID}, UserID: sc.UserID},
		Name:    sc.UserName,
		Channel: sc.ChannelID,
	}
	if actor.Name == "" {
		actor.Name = sc.UserID
	}
	done := make(chan slackapi.Msg, 1)
	base := context.WithoutCancel(r.Context()) // the work outlives the request
	a.wg.Go(func() {
		ctx, cancel := context.WithTimeout(base, a.opts.WorkTimeout)
		defer cancel()
		done <- a.runCommand(ctx, actor, sc.Text, log)
	})
	timer := time.NewTimer(a.opts.AckWait)
	defer timer.Stop()
	select {
	case msg := <-done:
		a.writeMsg(w, msg)
	case <-timer.C:
		a.writeMsg(w, slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: "Working on it…"})
		url := sc.ResponseURL
		a.wg.Go(func() {
			msg := <-done
			ctx, cancel := context.WithTimeout(context.Background(), a.opts.WorkTimeout)
			defer cancel()
			if err := a.respond(ctx, url, msg); err != nil {
				log.Error().Err(err).Msg("could not deliver a slow command's reply")
			}
		})
	}
}

// runCommand runs one /meet line and renders the reply.
func (a *Adapter) runCommand(ctx context.Context, actor core.Actor, text string, log zerolog.Logger) slackapi.Msg {
	rep := a.chat.Handle(ctx, actor, text)
	if rep.Err != nil && rep.Err.Code == core.EINTERNAL {
		log.Error().Err(rep.Err.Err).Str("verb", string(rep.Verb)).Msg("command failed")
	}
	return a.guard(message(rep, actor.Name, a.opts.Service.Now()), rep.JoinURL)
}

// guard makes sure nothing holding a personal link is shown to a channel:
// a message that is not ephemeral and mentions a join link is made
// ephemeral (a card replaced in place then fails to post, which is the
// safe way to fail).
func (a *Adapter) guard(msg slackapi.Msg, joinURL string) slackapi.Msg {
	if msg.ResponseType == slackapi.ResponseTypeEphemeral {
		return msg
	}
	b, err := jsonMarshal(msg)
	linkPrefix := a.opts.Service.Config().PublicURL + "/j/"
	if err != nil || bytes.Contains(b, []byte(linkPrefix)) || joinURL != "" && bytes.Contains(b, []byte(joinURL)) {
		a.opts.Logger.Error().Msg("an in-channel reply held a personal link; sent it ephemerally instead")
		msg.ResponseType = slackapi.ResponseTypeEphemeral
	}
	return msg
}

// firstDelivery answers a repeated delivery (a Slack retry, or the same
// signed request replayed inside the window) with an empty 200 and returns
// false, so a command never runs twice. The key is team + trigger_id, kept
// in memory for DedupeTTL. A retry whose original this process never saw
// is not run either, because the original may have reached another
// replica; the user is told so.
func (a *Adapter) firstDelivery(w http.ResponseWriter, r *http.Request, team, trigger string, log zerolog.Logger) bool {
	retry := r.Header.Get(HeaderRetryNum)
	first := trigger == "" || a.seen.first(team+"\x00"+trigger, a.opts.Now())
	switch {
	case !first:
		log.Info().Str("retry", retry).Msg("slack delivered a request again; not running it twice")
		w.WriteHeader(http.StatusOK)
		return false
	case retry != "":
		log.Warn().Str("retry", retry).Msg("slack retried a request this process never saw; not running it")
		a.writeMsg(w, slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral,
			Text: "Slack sent this twice, so I did not run it again. Check `/meet list`, and try once more if something is missing."})
		return false
	}
	return true
}

// deliveries remembers recent delivery keys.
type deliveries struct {
	mu   sync.Mutex
	ttl  time.Duration
	keys map[string]time.Time
}

// maxDeliveries bounds the memory a flood of distinct keys can take.
const maxDeliveries = 100_000

func newDeliveries(ttl time.Duration) *deliveries {
	return &deliveries{ttl: ttl, keys: map[string]time.Time{}}
}

// first records key at now and reports whether it was not seen within ttl.
func (d *deliveries) first(key string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if at, ok := d.keys[key]; ok && now.Sub(at) < d.ttl {
		return false
	}
	if len(d.keys) >= maxDeliveries {
		for k, at := range d.keys {
			if now.Sub(at) >= d.ttl {
				delete(d.keys, k)
			}
		}
		if len(d.keys) >= maxDeliveries {
			clear(d.keys)
		}
	}
	d.keys[key] = now
	return true
}
