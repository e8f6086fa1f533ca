// Package realtimekit implements core.Conference on Cloudflare RealtimeKit
// through the official cloudflare-go v6 SDK.
//
// It owns everything about talking to RealtimeKit: setting the SDK up (only
// its realtime_kit and option packages are imported, because the root
// package more than doubles build time and binary size), the shared API
// budget that keeps the bot under Cloudflare's per-token limit, a deadline
// on every call, which calls the SDK may retry, and turning upstream
// failures into *core.Error values core and the chat adapters understand.
//
// The SDK's defaults do not fit a chat bot: it retries POSTs up to ten times
// with waits of up to 30 s, which duplicates meetings and participants and
// stalls a slash command far past Slack's 3 s. Here creating calls are sent
// once, idempotent ones may be retried a little, every call has a deadline,
// and a 429 pauses all calls instead of being hammered.
package realtimekit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/realtime_kit"
	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
)

// Defaults for Config's zero values.
const (
	DefaultBaseURL           = "https://api.cloudflare.com/client/v4/"
	DefaultCallTimeout       = 5 * time.Second
	DefaultMaxRetries        = 1
	DefaultBudget            = 1200
	DefaultBudgetWindow      = 5 * time.Minute
	DefaultBackgroundReserve = 0.25
)

// Config configures a Client. Zero values take the defaults above.
type Config struct {
	// BaseURL is the API root, e.g. https://api.cloudflare.com/client/v4/ or
	// a sandbox's URL + "/client/v4/".
	BaseURL   string
	AccountID string
	AppID     string
	// APIToken is a Cloudflare API token with the Realtime (or Realtime
	// Admin) permission. It is sent as a bearer token and never logged.
	APIToken string
	// CallTimeout bounds each upstream call, including any wait for the
	// budget and the SDK's retries; a caller's earlier deadline wins.
	CallTimeout time.Duration
	// MaxRetries is how often the SDK may retry an idempotent call (GET,
	// PATCH, DELETE) on a 5xx or a connection error. Calls that create
	// something (POST) are never retried by the SDK, because a retry after a
	// lost answer would create a duplicate. Negative means no retries.
	MaxRetries int
	// Budget is how many calls may be sent in any BudgetWindow. Cloudflare
	// allows 1,200 per 5 minutes per token and locks the token out for 5
	// minutes beyond that; lower it if other tools share the token.
	Budget       int
	BudgetWindow time.Duration
	// BackgroundReserve is the share of Budget that background calls
	// (core.PriorityBackground) may not use, so people waiting on a reply
	// are served even while provisioning runs. Zero means the default
	// 0.25; negative means no reserve.
	BackgroundReserve float64
	// HTTPClient, when set, sends the requests (tests, proxies).
	HTTPClient *http.Client
	// Observer is told of every call (operation, last HTTP status, time
	// taken), for metrics; nil means none.
	Observer core.Observer
}

// Client is core.Conference on RealtimeKit. It is safe for concurrent use;
// all its calls share one budget, so a process should have one Client per
// API token.
type Client struct {
	cfg    Config
	log    zerolog.Logger
	rtk    *realtime_kit.RealtimeKitService
	budget *budget
	// http fetches what RealtimeKit links to (summary downloads), outside
	// the API and its budget.
	http *http.Client
}

var _ core.Conference = (*Client)(nil)

// New checks cfg, fills in defaults and returns a Client. It makes no
// network call; use CheckPresets at start-up to verify credentials and
// preset names.
func New(cfg Config, logger zerolog.Logger) (*Client, error) {
	var problems []string
	if cfg.AccountID == "" {
		problems = append(problems, "account id is empty")
	}
	if cfg.AppID == "" {
		problems = append(problems, "app id is empty")
	}
	if cfg.APIToken == "" {
		problems = append(problems, "API token is empty")
	}
	if cfg.Budget < 0 || cfg.BudgetWindow < 0 || cfg.CallTimeout < 0 || cfg.BackgroundReserve >= 1 {
		problems = append(problems, "budget, budget window and call timeout must not be negative, and the background reserve must be below 1")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("realtimekit: %s", strings.Join(problems, "; "))
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	if cfg.Budget == 0 {
		cfg.Budget = DefaultBudget
	}
	if cfg.BudgetWindow == 0 {
		cfg.BudgetWindow = DefaultBudgetWindow
	}
	switch {
	case cfg.BackgroundReserve == 0:
		cfg.BackgroundReserve = DefaultBackgroundReserve
	case cfg.BackgroundReserve < 0:
		cfg.BackgroundReserve = 0
	}
	if cfg.Observer == nil {
		cfg.Observer = core.NopObserver{}
	}
	b, err := newBudget(cfg.Budget, cfg.BudgetWindow, cfg.BackgroundReserve, time.Now)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, log: logger.With().Str("component", "realtimekit").Logger(), budget: b}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		// No client-wide timeout: every call carries a context deadline.
		// Keep enough idle connections for a burst of concurrent joins: the
		// default of 2 per host makes every extra request dial (and close) a
		// fresh TLS connection, which dominated the cost of a schedule.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 128
		tr.MaxIdleConnsPerHost = 64
		tr.IdleConnTimeout = 90 * time.Second
		httpClient = &http.Client{Transport: tr}
	}
	c.http = httpClient
	c.rtk = realtime_kit.NewRealtimeKitService(
		option.WithBaseURL(cfg.BaseURL),
		option.WithAPIToken(cfg.APIToken),
		option.WithHTTPClient(httpClient),
		option.WithMaxRetries(0), // raised per call for idempotent requests
		option.WithMiddleware(c.middleware),
	)
	return c, nil
}

// callState follows one logical call through the SDK's attempts. The
// middleware runs synchronously inside the SDK call, so it needs no lock.
type callState struct {
	attempts   int
	status     int           // HTTP status of the last attempt, 0 if none
	retryAfter time.Duration // upstream Retry-After of the last attempt
}

type callStateKey struct{}

// call runs one SDK request under the per-call deadline. retry says whether
// the SDK may retry it (idempotent requests only). The returned error is a
// *core.Error.
func (c *Client) call(ctx context.Context, op string, retry bool, fn func(ctx context.Context, opts ...option.RequestOption) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.CallTimeout)
	defer cancel()
	st := &callState{}
	ctx = context.WithValue(ctx, callStateKey{}, st)
	retries := 0
	if retry {
		retries = c.cfg.MaxRetries
	}
	start := time.Now()
	err := fn(ctx, option.WithMaxRetries(retries))
	if err != nil {
		err = c.mapError(st, err)
	}
	// Only metadata is logged: never a request or response body, which may
	// carry a participant token.
	ev := c.log.Debug().Str("op", op).Str("priority", priorityName(core.PriorityFrom(ctx))).
		Int("attempts", st.attempts).Int("status", st.status).Dur("took", time.Since(start))
	if err != nil {
		ev = ev.Str("code", string(core.ErrorCode(err))).Str("upstream", upstreamMessage(err))
	}
	ev.Msg("realtimekit call")
	status := "error" // no answer at all: refused by the budget, a timeout, no connection
	if st.status > 0 {
		status = strconv.Itoa(st.status)
	}
	c.cfg.Observer.ConferenceCall(op, status, time.Since(start))
	return err
}

// BudgetLeft is how many calls of priority p could be sent now without
// waiting: what is left of the limit (or of the background share) in the
// current window, 0 while paused after a 429. It reads the in-memory log
// only, so a metrics scrape may call it.
func (c *Client) BudgetLeft(p core.Priority) int { return c.budget.left(p) }

func priorityName(p core.Priority) string {
	if p == core.PriorityBackground {
		return "background"
	}
	return "interactive"
}

// middleware runs around every HTTP attempt the SDK makes, retries
// included: each one takes a slot from the budget, and the answer decides
// whether the SDK may retry.
func (c *Client) middleware(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
	ctx := req.Context()
	st, _ := ctx.Value(callStateKey{}).(*callState)
	if st == nil {
		st = &callState{} // a request made outside call; still budgeted
	}
	if err := c.budget.acquire(ctx, core.PriorityFrom(ctx)); err != nil {
		return nil, err
	}
	st.attempts++
	res, err := next(req)
	if err != nil {
		// The SDK retries transport errors after a back-off of its own;
		// when that back-off would outlast the deadline, give up now
		// instead of sleeping into the timeout.
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(sdkBackoff(st.attempts)).After(dl) {
			return res, &giveUpError{err: err}
		}
		return res, err
	}
	if res == nil {
		return nil, errors.New("realtimekit: HTTP client returned neither response nor error")
	}
	st.status = res.StatusCode
	st.retryAfter, _ = retryAfter(res.Header)
	switch code := res.StatusCode; {
	case code == http.StatusTooManyRequests:
		d := st.retryAfter
		if d <= 0 {
			d = defaultRetryAfter
		}
		c.budget.pause(d)
		c.log.Warn().Dur("retry_after", d).Str("path", req.URL.Path).
			Msg("RealtimeKit rate limit hit; pausing all calls")
		// Never let the SDK sleep through a 429 and try again: the pause
		// above holds every call, and this one fails with RetryAfter set.
		res.Header.Set("x-should-retry", "false")
	case code == http.StatusConflict:
		// A conflict does not go away by asking again; AddParticipant
		// resolves it by looking the participant up.
		res.Header.Set("x-should-retry", "false")
	case code == http.StatusRequestTimeout || code >= 500:
		// Let the SDK retry only if its wait ends before our deadline;
		// otherwise fail now and keep the status for the error.
		wait := st.retryAfter
		if wait <= 0 {
			wait = sdkBackoff(st.attempts)
		}
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
			res.Header.Set("x-should-retry", "false")
		}
	}
	return res, nil
}

// giveUpError carries a transport error the SDK must not retry: to the SDK
// it reads as context.DeadlineExceeded (retrying would outlast the
// deadline), to errors.As the original error is still there.
type giveUpError struct{ err error }

func (e *giveUpError) Error() string { return e.err.Error() }
func (e *giveUpError) Unwrap() error { return e.err }
func (e *giveUpError) Is(target error) bool {
	return target == context.DeadlineExceeded
}

// sdkBackoff is the longest the SDK waits before retry number n (1-based)
// when the server sends no Retry-After: 2 s doubling, capped at 30 s.
func sdkBackoff(n int) time.Duration {
	d := 2 * time.Second << max(0, n-1)
	return min(d, 30*time.Second)
}

// pathID guards ids put into request paths: the SDK formats them in with
// %s, unescaped, so an id with a slash or a query would reach another
// endpoint. RealtimeKit's ids are UUIDs; anything outside a conservative
// alphabet is a bug on our side.
func pathID(kind, id string) error {
	ok := id != ""
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			ok = false
			break
		}
	}
	if ok {
		return nil
	}
	return core.Wrap(core.EINTERNAL, fmt.Errorf("realtimekit: malformed %s id %q", kind, id),
		"The video room reference is invalid.")
}
