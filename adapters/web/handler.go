package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"

	"github.com/meetbot/meetbot/core"
)

// Options configure a Handler.
type Options struct {
	// Service answers join links and meeting pages. It is required for /j/
	// and /meetings/; without it those requests get a 503 page, so a
	// half-wired process still serves health.
	Service *core.Service
	// Logger receives one access line per request and the errors that are
	// logged at the edge (internal failures, upstream outages). It is never
	// given a join code, a join URL or a token.
	Logger zerolog.Logger
	// Sandbox replaces the RealtimeKit UI Kit with a page that shows what
	// would be joined, for local mode and tests where there is no real
	// RealtimeKit to connect to.
	Sandbox bool
	// DecodeToken reads a participant token's claims for the sandbox page.
	// Adapters must not import each other, so cmd/bot passes the sandbox's
	// decoder in; nil shows the page without claims.
	DecodeToken func(token string) (map[string]any, error)
	// Ready reports whether the process can serve (for /readyz), typically
	// the store's Ping; nil means always ready.
	Ready func(ctx context.Context) error
	// Replica, when set, makes /readyz answer JSON that says which store
	// driver this replica runs on, its id, whether the store answers and
	// whether it leads, so an operator of several replicas sees at a
	// glance which one runs the scheduler. Nil keeps the plain answer.
	Replica *Replica
	// Webhooks, when set, is RealtimeKit's webhook endpoint (the
	// realtimekit/webhook receiver), served at POST /realtimekit/webhooks
	// wherever this handler runs, console included, so local mode and
	// tests receive the sandbox's webhooks too.
	Webhooks http.Handler
	// UIKitBaseURL is where the meeting page loads the pinned RealtimeKit
	// packages from (web.ui_kit_base_url): a URL under which
	// "@cloudflare/realtimekit@<v>/…" and "@cloudflare/realtimekit-ui@<v>/…"
	// are served, as on the CDN. Empty means DefaultUIKitBaseURL. The
	// meeting page's CSP admits exactly that prefix.
	UIKitBaseURL string
	// Now tells the time for countdowns. Nil means the Service's clock (the
	// wall clock unless a test injected one), so the countdown agrees with
	// the window check that core just made.
	Now func() time.Time
	// Observe, when set, is told of every request: the route pattern that
	// matched ("-" for none; never the path, which for a join link is the
	// credential), the status and the time taken, for metrics.
	Observe func(route string, status int, took time.Duration)
}

// Replica describes this process for /readyz.
type Replica struct {
	// Driver is the store driver (bolt or etcd).
	Driver string
	// ID is the replica id (storage.replica_id).
	ID string
	// Leading reports whether this replica runs the scheduler now; nil
	// means never.
	Leading func() bool
}

// Handler is meetbot's HTTP surface. It is an http.Handler; cmd/bot serves
// it and mounts the chat adapters' routes on it with Handle, so all of them
// share the access log, request ids and panic recovery.
type Handler struct {
	svc         *core.Service
	log         zerolog.Logger
	sandbox     bool
	decodeToken func(string) (map[string]any, error)
	ready       func(context.Context) error
	replica     *Replica
	now         func() time.Time
	kit         *uiKit
	observe     func(route string, status int, took time.Duration)
	roomPages   *roomPageCache // rendered meeting pages (roomcache.go)
	mux         *http.ServeMux
	root        http.Handler
	// allow lists the methods Handle mounted per path, for the 405 answer.
	allowMu sync.Mutex
	allow   map[string][]string
}

var _ http.Handler = (*Handler)(nil)

// WebhooksPath is where Options.Webhooks is served.
const WebhooksPath = "/realtimekit/webhooks"

// readyTimeout bounds a readiness probe, so a wedged store answers "not
// ready" before the orchestrator's own probe timeout fires.
const readyTimeout = 2 * time.Second

// New builds the handler and its routes:
//
//	GET|HEAD /j/{code}             a personal join link (see serveJoin)
//	GET|HEAD /meetings/{code}      a meeting's public info page (see serveMeeting)
//	GET|HEAD /meetings/{code}.ics  its calendar file (see serveMeeting)
//	GET|HEAD /r/{code}             a personal recording link: a redirect (see serveRecording)
//	GET|HEAD /favicon.ico          meetbot's icon (an SVG), so browsers get no 404
//	GET|HEAD /healthz              200 "ok" while the process runs
//	GET|HEAD /readyz               200, or 503 when Options.Ready fails (JSON with Options.Replica)
//	POST /realtimekit/webhooks     Options.Webhooks, when set
//	anything else                  404
func New(opts Options) *Handler {
	h := &Handler{
		svc:         opts.Service,
		log:         opts.Logger,
		sandbox:     opts.Sandbox,
		decodeToken: opts.DecodeToken,
		ready:       opts.Ready,
		replica:     opts.Replica,
		now:         opts.Now,
		kit:         newUIKit(opts.UIKitBaseURL),
		observe:     opts.Observe,
		roomPages:   newRoomPageCache(),
		mux:         http.NewServeMux(),
	}
	if h.now == nil {
		h.now = time.Now
		if h.svc != nil {
			h.now = h.svc.Now
		}
	}
	// The /j routes take every method so that a wrong method still gets the
	// join pages' headers and a 405 page from us rather than the mux's bare
	// text. "/j/" catches codes with a slash (never valid) and "/j" stops the
	// mux from redirecting to "/j/".
	h.mux.HandleFunc("/j/{code}", h.serveJoin)
	h.mux.HandleFunc("/j/", h.serveJoin)
	h.mux.HandleFunc("/j", h.serveJoin)
	h.mux.HandleFunc(meetingRoute, h.serveMeeting)
	h.mux.HandleFunc("/r/{code}", h.serveRecording)
	h.mux.HandleFunc("/favicon.ico", serveFavicon)
	h.mux.Handle("GET "+roomScript.Path, roomScript)
	h.mux.Handle("GET "+roomStyle.Path, roomStyle)
	h.mux.Handle("GET "+h.kit.mapScript.Path, h.kit.mapScript)
	h.mux.HandleFunc("/healthz", h.serveHealth)
	h.mux.HandleFunc("/readyz", h.serveReady)
	h.mux.HandleFunc("/", h.serveNotFound)
	if opts.Webhooks != nil {
		h.Handle("POST "+WebhooksPath, opts.Webhooks)
	}

	var root http.Handler = recoverer(protectJoinPaths(h.mux))
	root = hlog.AccessHandler(h.logAccess)(root)
	root = hlog.RequestIDHandler("request_id", "X-Request-Id")(root)
	root = hlog.NewHandler(h.log)(root)
	h.root = root
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.root.ServeHTTP(w, r)
}

// Handle mounts another adapter's handler on the same mux (Go 1.22 pattern
// syntax), so it is served behind the same access log and recovery. Like
// http.ServeMux.Handle it panics on a pattern that conflicts with one
// already registered, which is a wiring bug caught at startup.
//
// A pattern with a method ("POST /slack/commands") also gets its path
// answered for every other method with 405 and an Allow header naming the
// methods mounted there; without that the catch-all 404 would answer,
// which tells a client the route does not exist.
func (h *Handler) Handle(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, handler)
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || strings.ContainsAny(method, "/{") || path == "" {
		return
	}
	h.allowMu.Lock()
	defer h.allowMu.Unlock()
	if h.allow == nil {
		h.allow = map[string][]string{}
	}
	first := h.allow[path] == nil
	h.allow[path] = append(h.allow[path], method)
	if method == http.MethodGet {
		h.allow[path] = append(h.allow[path], http.MethodHead)
	}
	if first {
		h.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			h.allowMu.Lock()
			allowed := slices.Clone(h.allow[path])
			h.allowMu.Unlock()
			slices.Sort(allowed)
			w.Header().Set("Allow", strings.Join(slices.Compact(allowed), ", "))
			writePlain(w, http.StatusMethodNotAllowed, "method not allowed\n")
		})
	}
}

// Mux returns the underlying mux for callers that need more than Handle.
// Routes added to it are served through the Handler's middleware too.
func (h *Handler) Mux() *http.ServeMux { return h.mux }

// logAccess writes the access line. It logs the route pattern the mux
// matched, never the request path: for a join link the path is the
// credential itself.
func (h *Handler) logAccess(r *http.Request, status, size int, d time.Duration) {
	method := r.Method
	if len(method) > 16 {
		method = method[:16]
	}
	route := r.Pattern
	if route == "" {
		route = "-" // unmatched: the mux redirected or rejected it
	}
	if h.observe != nil {
		h.observe(route, status, d)
	}
	hlog.FromRequest(r).Info().
		Str("method", method).
		Str("route", route).
		Int("status", status).
		Int("size", size).
		Dur("duration", d).
		Msg("http request")
}

// recoverer turns a panic into a logged 500 instead of a dropped
// connection, so a bug in one page can't look like a network failure and
// the stack reaches the log once, tagged with the request id.
func recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			hlog.FromRequest(r).Error().
				Str("panic", fmt.Sprint(v)).
				Bytes("stack", debug.Stack()).
				Msg("panic while serving a request")
			writePlain(w, http.StatusInternalServerError, "internal error\n")
		}()
		next.ServeHTTP(w, r)
	})
}

// serveHealth answers liveness: the process is up and serving HTTP.
func (h *Handler) serveHealth(w http.ResponseWriter, r *http.Request) {
	if !allowGetHead(w, r) {
		return
	}
	writePlain(w, http.StatusOK, "ok\n")
}

// serveReady answers readiness: the store (or whatever Ready checks) can
// serve. The error itself stays in the log, not the body, because probes
// are often reachable from outside; with Options.Replica the JSON body
// carries only the plain sentence a person would see.
func (h *Handler) serveReady(w http.ResponseWriter, r *http.Request) {
	if !allowGetHead(w, r) {
		return
	}
	var err error
	if h.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err = h.ready(ctx); err != nil {
			hlog.FromRequest(r).Warn().Err(err).Msg("not ready")
		}
	}
	status := http.StatusOK
	if err != nil {
		status = http.StatusServiceUnavailable
	}
	if h.replica == nil {
		if err != nil {
			writePlain(w, status, "not ready\n")
			return
		}
		writePlain(w, status, "ready\n")
		return
	}
	body := readyBody{Driver: h.replica.Driver, Replica: h.replica.ID, Store: "ok"}
	if err != nil {
		body.Store = storeSentence(err)
	}
	if h.replica.Leading != nil {
		body.Leading = h.replica.Leading()
	}
	raw, _ := json.Marshal(body)
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(raw, '\n'))
}

// readyBody is /readyz's JSON answer when Options.Replica is set.
type readyBody struct {
	Driver  string `json:"driver"`
	Replica string `json:"replica"`
	// Store is "ok", or the sentence saying why the store cannot serve.
	Store   string `json:"store"`
	Leading bool   `json:"leading"`
}

// storeSentence is the plain reason a store is not ready: the coded
// message when it has one ("meetbot cannot reach its store; ..."), never
// an internal error's text.
func storeSentence(err error) string {
	if e, ok := core.AsError(err); ok && e.Code != core.EINTERNAL && e.Message != "" {
		return e.Message
	}
	return "the store cannot serve requests; the log says why"
}

// serveNotFound is the answer for every unknown path: a short page with the
// same protective headers as the join pages.
func (h *Handler) serveNotFound(w http.ResponseWriter, r *http.Request) {
	nonce := newNonce()
	setStaticHeaders(w.Header())
	w.Header().Set("Content-Security-Policy", pageCSP(nonce))
	h.renderMessage(w, r, nonce, http.StatusNotFound, "Not found", "There is nothing at this address; meetbot's join links start with /j/.")
}

// allowGetHead answers 405 for anything but GET and HEAD and reports
// whether the request may go on.
func allowGetHead(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	writePlain(w, http.StatusMethodNotAllowed, "method not allowed\n")
	return false
}

// writePlain writes a short text answer that no cache keeps and no browser
// sniffs into something else.
func writePlain(w http.ResponseWriter, status int, body string) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// favicon is meetbot's icon: a rounded square with a camera, in SVG, which
// every current browser accepts at /favicon.ico.
const favicon = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d4ed8"/><rect x="6" y="10" width="14" height="12" rx="2" fill="#fff"/><path d="M21 14l5-3v10l-5-3z" fill="#fff"/></svg>`

// serveFavicon answers /favicon.ico, cacheable for a day.
func serveFavicon(w http.ResponseWriter, r *http.Request) {
	if !allowGetHead(w, r) {
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "image/svg+xml")
	hdr.Set("Cache-Control", "public, max-age=86400")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", lockedCSP)
	_, _ = w.Write([]byte(favicon))
}
