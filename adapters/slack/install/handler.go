package install

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
)

// The routes this package serves. The manifest test checks that
// slack-app-manifest.yaml points Slack at these paths.
const (
	InstallPath  = "/slack/install"
	CallbackPath = "/slack/oauth/callback"
	EventsPath   = "/slack/events"
)

// DefaultAuthorizeURL is Slack's OAuth v2 consent page.
const DefaultAuthorizeURL = "https://slack.com/oauth/v2/authorize"

// Defaults of Options.
const (
	// DefaultStateTTL is how long an install link stays usable: Slack's
	// authorization code lives 10 minutes too.
	DefaultStateTTL = 10 * time.Minute
	// DefaultDedupeTTL is how long an event id is remembered. Slack retries
	// a failed delivery three times within about five minutes.
	DefaultDedupeTTL = time.Hour
	// DefaultMaxBody caps an events request body; larger ones get 413.
	DefaultMaxBody = 64 << 10
)

// MinStateKey is the shortest accepted OAuth state key.
const MinStateKey = 32

// Options configure a Handler. Tokens and Once are required. The install
// routes are served when ClientID is set; the events route when
// SigningSecret is set.
type Options struct {
	// Tokens stores the tokens OAuth installs produce and forgets them on
	// uninstall.
	Tokens *Tokens
	// Once makes OAuth states single-use and event deliveries act once,
	// across replicas. The store behind Tokens usually serves both.
	Once core.OnceStore

	// ClientID and ClientSecret are the app's OAuth credentials (Basic
	// Information → App Credentials). With ClientID empty the install
	// routes are not mounted.
	ClientID     string
	ClientSecret string
	// StateKey signs OAuth states: at least MinStateKey random bytes that
	// every replica shares (cmd/bot derives it from the store's secrets).
	StateKey []byte
	// PublicURL is how browsers and Slack reach meetbot, such as
	// https://meetbot.example.com; the redirect URI is PublicURL +
	// CallbackPath and must be listed in the app's redirect URLs. With an
	// https URL the state cookie is Secure.
	PublicURL string
	// AuthorizeURL is Slack's consent page; default DefaultAuthorizeURL.
	AuthorizeURL string
	// APIURL is the Web API base for oauth.v2.access (default slack-go's
	// https://slack.com/api/), so tests and proxies can stand in.
	APIURL string
	// HTTPClient calls oauth.v2.access; default a client with a 10s timeout.
	HTTPClient *http.Client

	// SigningSecret checks the signature of every events request. With it
	// empty the events route is not mounted.
	SigningSecret string
	// OnUninstall, when set, is called after a workspace's token was
	// forgotten (app_uninstalled, tokens_revoked), so other parts can drop
	// what they cached for it. It runs before Slack is answered, so it must
	// be quick.
	OnUninstall func(ctx context.Context, team string)

	// StateTTL is how long an install link works; default DefaultStateTTL.
	StateTTL time.Duration
	// DedupeTTL is how long an event id is remembered; default
	// DefaultDedupeTTL.
	DedupeTTL time.Duration
	// MaxBody caps an events body; default DefaultMaxBody.
	MaxBody int64
	// InstallEvery and InstallBurst limit install starts and OAuth
	// callbacks per client address, each pair costing a store write and an
	// oauth.v2.access call: a burst of InstallBurst, then one per
	// InstallEvery (defaults DefaultInstallBurst, DefaultInstallEvery).
	InstallEvery time.Duration
	InstallBurst int
	// TrustForwardedFor takes the client address from the last entry of
	// X-Forwarded-For instead of the connection. Set it only behind a
	// reverse proxy that appends that header; otherwise anyone could
	// claim any address and escape the limit.
	TrustForwardedFor bool
	// Now is the clock for signatures, states and dedupe; default time.Now.
	Now    func() time.Time
	Logger zerolog.Logger
}

// Handler serves the install flow and the Events API endpoint.
type Handler struct {
	o           Options
	redirectURI string
	secure      bool
	limits      *addrLimits
}

// New checks the options and returns a Handler.
func New(o Options) (*Handler, error) {
	if o.Tokens == nil {
		return nil, errors.New("install: Options.Tokens is required")
	}
	if o.Once == nil {
		return nil, errors.New("install: Options.Once is required (single-use OAuth states, event dedupe)")
	}
	h := &Handler{}
	if o.ClientID != "" {
		if o.ClientSecret == "" {
			return nil, errors.New("install: slack.client_secret is required with slack.client_id")
		}
		if len(o.StateKey) < MinStateKey {
			return nil, errors.New("install: the OAuth state key must be at least 32 bytes")
		}
		if o.Tokens.Static() {
			return nil, errors.New("install: OAuth installs cannot store tokens while slack.bot_token is set")
		}
		u, err := url.Parse(strings.TrimRight(o.PublicURL, "/"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, errors.New("install: http.public_url must be an absolute http(s) URL for OAuth installs")
		}
		o.PublicURL = u.String()
		h.redirectURI = o.PublicURL + CallbackPath
		h.secure = u.Scheme == "https"
	}
	if o.AuthorizeURL == "" {
		o.AuthorizeURL = DefaultAuthorizeURL
	}
	o.APIURL, o.HTTPClient = apiDefaults(o.APIURL, o.HTTPClient)
	if o.StateTTL <= 0 {
		o.StateTTL = DefaultStateTTL
	}
	if o.DedupeTTL <= 0 {
		o.DedupeTTL = DefaultDedupeTTL
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.InstallEvery <= 0 {
		o.InstallEvery = DefaultInstallEvery
	}
	if o.InstallBurst <= 0 {
		o.InstallBurst = DefaultInstallBurst
	}
	h.limits = newAddrLimits(o.InstallEvery, o.InstallBurst)
	h.o = o
	return h, nil
}

// Routes returns the handlers by Go 1.22 mux pattern: the install routes
// when OAuth is configured, the events route when a signing secret is.
func (h *Handler) Routes() map[string]http.Handler {
	r := map[string]http.Handler{}
	if h.o.ClientID != "" {
		r["GET "+InstallPath] = http.HandlerFunc(h.serveInstall)
		r["GET "+CallbackPath] = http.HandlerFunc(h.serveCallback)
	}
	if h.o.SigningSecret != "" {
		r["POST "+EventsPath] = http.HandlerFunc(h.serveEvents)
	}
	return r
}

// Register mounts the routes with handle, for example web.Handler.Handle,
// like adapters/slack's Adapter.Register.
func (h *Handler) Register(handle func(pattern string, h http.Handler)) {
	for p, hh := range h.Routes() {
		handle(p, hh)
	}
}
