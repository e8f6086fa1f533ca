// Package sandbox is an in-process RealtimeKit API: an HTTP server that
// serves the REST subset meetbot uses with RealtimeKit's paths, envelope,
// error shape and status rules.
//
// It exists so that tests, the local (console) mode and `bot sandbox` run
// the real cloudflare-go SDK code path without a network or an account. Where
// RealtimeKit's documentation leaves behaviour open, the sandbox takes the
// stricter reading, so code that copes with the sandbox copes with either:
//
//   - adding a participant whose custom_participant_id already exists in the
//     meeting answers 409;
//   - an unknown preset_name answers 400 (the meeting exists, the request
//     names something that does not);
//   - kick-all, kick and active-session with no live session answer 404, and
//     so does kick when none of the named participants is in the session;
//   - changing a meeting's status does not end its live session, and deleting
//     a participant does not kick it (RealtimeKit's FAQ says to kick first);
//   - a token made without a name cannot join (RealtimeKit's is unusable).
//
// Paths are served under both /accounts/{account}/realtime/kit/{app}/… and
// /client/v4/accounts/{account}/realtime/kit/{app}/…, so an SDK base URL of
// either server.URL+"/" or server.URL+"/client/v4/" works. Any account and app
// id is accepted and all of them share one set of meetings.
//
// Besides the API, a Server simulates clients joining (Join, Leave, and
// per device EnterRoom, EnterRoomAs, LeaveRoom, or the browser room page of
// ClientHandler), counts calls per operation, and injects faults (status
// codes, Retry-After, delays, "applied upstream but the client saw an
// error") for tests.
//
// Like RealtimeKit it sends signed webhooks to the URLs registered through
// its webhooks API: meeting.started on the first join, participantJoined
// and participantLeft per device, meeting.ended (ALL_PARTICIPANTS_LEFT when
// the last one leaves, HOST_ENDED_MEETING on kick-all), and after the end,
// when SetAfterEnd turns them on, recording.statusUpdate UPLOADED and
// meeting.summary. Bodies are signed RSA-SHA256 (PKCS#1 v1.5) with a key
// whose public half is served at /.well-known/webhooks.json; a 5xx or a
// network error is retried with the same rtk-uuid, anything else is final.
// Registered webhooks, ended sessions, recordings and summaries live in
// memory only (a restarted meetbot registers its webhook again).
package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Operation names, as counted by Calls and matched by Fault.Op. They name the
// REST operation, not the SDK method, so they read the same in logs.
const (
	OpCreateMeeting     = "create_meeting"
	OpListMeetings      = "list_meetings"
	OpGetMeeting        = "get_meeting"
	OpUpdateMeeting     = "update_meeting"
	OpAddParticipant    = "add_participant"
	OpListParticipants  = "list_participants"
	OpGetParticipant    = "get_participant"
	OpEditParticipant   = "edit_participant"
	OpDeleteParticipant = "delete_participant"
	OpRefreshToken      = "refresh_token"
	OpGetActiveSession  = "get_active_session"
	OpKickAll           = "kick_all"
	OpKick              = "kick"
	OpListPresets       = "list_presets"

	OpCreateWebhook          = "create_webhook"
	OpListWebhooks           = "list_webhooks"
	OpGetWebhook             = "get_webhook"
	OpEditWebhook            = "edit_webhook"
	OpDeleteWebhook          = "delete_webhook"
	OpGetSessionParticipants = "get_session_participants"
	OpGetSessionSummary      = "get_session_summary"
	OpGetRecording           = "get_recording"
)

// DefaultPresets are the preset names a RealtimeKit app created in the
// dashboard is commonly seen with; the sandbox offers them unless
// Options.Presets says otherwise.
var DefaultPresets = []string{
	"group_call_host", "group_call_participant",
	"webinar_presenter", "webinar_viewer",
	"livestream_host", "livestream_viewer",
}

// maxBody is the largest request body the sandbox reads; larger ones get 413.
const maxBody = 1 << 20

// Options configure a Server. The zero value is usable.
type Options struct {
	// Logger receives one debug line per request. Tokens and the
	// Authorization header are never logged.
	Logger zerolog.Logger
	// Now tells the time for created_at/updated_at and token iat/exp; nil
	// means time.Now. Tests pass a fake clock to check token expiry.
	Now func() time.Time
	// Presets are the names GET /presets lists and add-participant accepts;
	// nil means DefaultPresets.
	Presets []string
	// APIToken, when set, is the only bearer token accepted; when empty any
	// non-empty bearer token is. Requests without one get 401 either way, so
	// a client that forgets its credentials fails in tests too.
	APIToken string
	// WebhookClient sends the webhooks; nil means a plain client. Tests
	// route it to an in-process receiver.
	WebhookClient *http.Client
	// WebhookKey signs the webhooks; nil makes a key on first use. Tests
	// pass one key to many sandboxes (RSA generation is slow).
	WebhookKey *rsa.PrivateKey
	// BaseURL is where the sandbox is reached, for the download URLs it
	// hands out; empty means SandboxBaseURL (SetBaseURL changes it).
	BaseURL string
}

// Fault makes the server misbehave for matching requests, to test how a
// client copes with a busy or flaky upstream.
type Fault struct {
	// Op is the operation to affect (one of the Op constants); "" means any.
	Op string
	// Status is the HTTP status to answer with (429, 500, 503, …); 0 answers
	// normally after Delay.
	Status int
	// RetryAfter, when positive, is sent as a Retry-After header in whole
	// seconds (rounded up).
	RetryAfter time.Duration
	// Delay is slept before answering. The sleep ends early when the client
	// gives up; the operation is then not performed unless AfterApply is set.
	Delay time.Duration
	// AfterApply performs the operation first and only then delays and
	// fails: the "created upstream but the client saw a timeout or 5xx" case
	// that makes blind retries create duplicates.
	AfterApply bool
	// Times is how many requests the fault affects; 0 means until
	// ClearFaults.
	Times int
}

// Server is an in-process RealtimeKit API. It is safe for concurrent use.
type Server struct {
	log      zerolog.Logger
	now      func() time.Time
	apiToken string
	key      []byte // HS256 key for participant tokens, random per server
	mux      *http.ServeMux

	// statePath is the file Open keeps the state in; "" keeps it in
	// memory only. saveMu orders writes of it.
	statePath string
	saveMu    sync.Mutex

	mu       sync.Mutex
	meetings map[string]*meeting
	presets  []preset
	calls    map[string]int
	total    int
	faults   []*Fault
	latency  time.Duration

	// Room life: every session by id (live and ended), registered
	// webhooks, recordings and summaries of ended sessions, download URLs.
	sessions   map[string]sessionRef
	webhooks   []*webhookCfg
	recordings map[string]*recording
	summaries  map[string]string
	downloads  map[string]download
	record     bool
	summarize  bool
	baseURL    string

	hookState
}

// New returns a Server with no meetings. Each server signs tokens with its
// own random key, so a token from one server does not verify on another.
func New(opts Options) *Server {
	s := &Server{
		log:      opts.Logger,
		now:      opts.Now,
		apiToken: opts.APIToken,
		key:      make([]byte, 32),
		meetings: map[string]*meeting{},
		calls:    map[string]int{},

		sessions:   map[string]sessionRef{},
		recordings: map[string]*recording{},
		summaries:  map[string]string{},
		downloads:  map[string]download{},
		baseURL:    strings.TrimSuffix(opts.BaseURL, "/"),
	}
	s.hookClient = opts.WebhookClient
	if s.hookClient == nil {
		s.hookClient = &http.Client{Timeout: deliveryTimeout}
	}
	s.whKey = opts.WebhookKey
	s.idle = make(chan struct{})
	if s.now == nil {
		s.now = time.Now
	}
	if _, err := rand.Read(s.key); err != nil {
		panic("sandbox: crypto/rand failed: " + err.Error())
	}
	names := opts.Presets
	if names == nil {
		names = DefaultPresets
	}
	created := s.now().UTC()
	for _, n := range names {
		s.presets = append(s.presets, preset{ID: newUUID(), Name: n, CreatedAt: created, UpdatedAt: created})
	}
	s.mux = http.NewServeMux()
	for _, prefix := range []string{"", "/client/v4"} {
		s.routes(prefix + "/accounts/{account}/realtime/kit/{app}")
	}
	s.mux.HandleFunc("GET /.well-known/webhooks.json", s.serveWellKnown)
	s.mux.HandleFunc("GET /sandbox/downloads/{token}", s.serveDownload)
	s.mux.Handle("/sandbox/rtk/", s.ClientHandler())
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.countTotal()
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return s
}

func (s *Server) routes(base string) {
	m := base + "/meetings"
	p := m + "/{meeting}/participants"
	a := m + "/{meeting}/active-session"
	handle := func(method, path, op string, h http.HandlerFunc) {
		s.mux.Handle(method+" "+path, s.wrap(op, h))
	}
	handle("POST", m, OpCreateMeeting, s.createMeeting)
	handle("GET", m, OpListMeetings, s.listMeetings)
	handle("GET", m+"/{meeting}", OpGetMeeting, s.getMeeting)
	handle("PATCH", m+"/{meeting}", OpUpdateMeeting, s.updateMeeting)
	handle("POST", p, OpAddParticipant, s.addParticipant)
	handle("GET", p, OpListParticipants, s.listParticipants)
	handle("GET", p+"/{participant}", OpGetParticipant, s.getParticipant)
	handle("PATCH", p+"/{participant}", OpEditParticipant, s.editParticipant)
	handle("DELETE", p+"/{participant}", OpDeleteParticipant, s.deleteParticipant)
	handle("POST", p+"/{participant}/token", OpRefreshToken, s.refreshToken)
	handle("GET", a, OpGetActiveSession, s.getActiveSession)
	handle("POST", a+"/kick-all", OpKickAll, s.kickAll)
	handle("POST", a+"/kick", OpKick, s.kick)
	handle("GET", base+"/presets", OpListPresets, s.listPresets)
	wh := base + "/webhooks"
	handle("POST", wh, OpCreateWebhook, s.createWebhook)
	handle("GET", wh, OpListWebhooks, s.listWebhooks)
	handle("GET", wh+"/{webhook}", OpGetWebhook, s.getWebhook)
	handle("PATCH", wh+"/{webhook}", OpEditWebhook, s.editWebhook)
	handle("PUT", wh+"/{webhook}", OpEditWebhook, s.editWebhook)
	handle("DELETE", wh+"/{webhook}", OpDeleteWebhook, s.deleteWebhook)
	handle("GET", base+"/sessions/{session}/participants", OpGetSessionParticipants, s.getSessionParticipants)
	handle("GET", base+"/sessions/{session}/summary", OpGetSessionSummary, s.getSessionSummary)
	handle("GET", base+"/recordings/{recording}", OpGetRecording, s.getRecording)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	s.mux.ServeHTTP(rec, r)
	s.log.Debug().Str("method", r.Method).Str("path", r.URL.Path).
		Int("status", rec.status).Dur("took", time.Since(start)).Msg("sandbox request")
}

// wrap counts the call, checks credentials, then applies latency and
// faults around the operation.
func (s *Server) wrap(op string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.countOp(op)
		if !s.authorized(r) {
			writeError(w, http.StatusUnauthorized, "missing or invalid API token")
			return
		}
		// Read the whole body first: net/http notices a client hanging up
		// only once the body has been consumed, and delays below must end
		// when the client gives up.
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
				return
			}
			writeError(w, http.StatusBadRequest, "could not read request body")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		f, latency := s.takeFault(op)
		if !sleepCtx(r.Context(), latency) {
			return
		}
		defer s.saveAfter(r)
		if f == nil {
			h(w, r)
			return
		}
		var applied *bufferWriter
		if f.AfterApply {
			// Apply the operation for real and hold its answer back.
			applied = &bufferWriter{header: http.Header{}, status: http.StatusOK}
			h(applied, r)
		}
		if !sleepCtx(r.Context(), f.Delay) {
			return
		}
		switch {
		case f.Status != 0:
			if f.RetryAfter > 0 {
				secs := int(math.Ceil(f.RetryAfter.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(secs))
			}
			writeError(w, f.Status, faultMessage(f.Status))
		case applied != nil:
			applied.replay(w)
		default:
			h(w, r)
		}
	})
}

func faultMessage(status int) string {
	if status == http.StatusTooManyRequests {
		return "Rate limit exceeded"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "injected fault"
}

func (s *Server) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(tok) == "" {
		return false
	}
	return s.apiToken == "" || tok == s.apiToken
}

// sleepCtx sleeps d, returning false if ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Server) countOp(op string) {
	s.mu.Lock()
	s.calls[op]++
	s.total++
	s.mu.Unlock()
}

func (s *Server) countTotal() {
	s.mu.Lock()
	s.total++
	s.mu.Unlock()
}

// takeFault picks the first fault matching op, uses up one of its Times,
// and returns it (nil if none) with the global latency.
func (s *Server) takeFault(op string) (*Fault, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.Op != "" && f.Op != op {
			continue
		}
		picked := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return &picked, s.latency
	}
	return nil, s.latency
}

// AddFault makes matching requests misbehave as f describes. Faults are
// tried in the order they were added; one request triggers at most one.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// SetLatency delays every request by d before it is handled (0 turns it
// off), to test client deadlines against a slow upstream.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Calls returns how many requests reached operation op (one of the Op
// constants), including ones that failed authentication or a fault.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// TotalCalls returns how many requests reached the server, routed or not.
// Tests use it to prove that a client refused a call without sending it.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// ResetCalls zeroes every counter, so a test can count only what follows.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
	s.total = 0
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// bufferWriter holds the answer of an operation applied under an
// AfterApply fault until the fault's delay has passed.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.body.Write(p) }
func (b *bufferWriter) WriteHeader(code int)        { b.status = code }

func (b *bufferWriter) replay(w http.ResponseWriter) {
	for k, v := range b.header {
		w.Header()[k] = v
	}
	w.WriteHeader(b.status)
	_, _ = w.Write(b.body.Bytes())
}
