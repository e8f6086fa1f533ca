package realtimekit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudflare/cloudflare-go/v6/realtime_kit"

	"github.com/meetbot/meetbot/core"
)

// defaultRetryAfter is what a busy answer suggests when upstream said
// nothing about when to come back.
const defaultRetryAfter = 5 * time.Second

// mapError turns what the SDK returned into a *core.Error, keeping the SDK
// error as the cause for logs. It branches on the HTTP status, never on
// error text.
func (c *Client) mapError(st *callState, err error) error {
	if be, ok := errors.AsType[*budgetError](err); ok {
		return busy(be.wait, err)
	}
	if apiErr, ok := errors.AsType[*realtime_kit.Error](err); ok {
		var ra time.Duration
		if apiErr.Response != nil {
			ra, _ = retryAfter(apiErr.Response.Header)
		}
		switch code := apiErr.StatusCode; {
		case code == http.StatusTooManyRequests, code == http.StatusRequestTimeout, code >= 500:
			return busy(ra, err)
		case code == http.StatusNotFound:
			return core.Wrap(core.ENOTFOUND, err, "The video room no longer exists.")
		case code == http.StatusConflict:
			return core.Wrap(core.ECONFLICT, err, "The video service reported a conflict; please try again.")
		case code == http.StatusUnauthorized, code == http.StatusForbidden:
			return core.Wrap(core.EINTERNAL, err, fmt.Sprintf(
				"RealtimeKit rejected the API token (HTTP %d); check the token and its Realtime permission.", code))
		default:
			return core.Wrap(core.EINTERNAL, err, "The video service refused the request.")
		}
	}
	// A timeout, a cancelled caller, a refused or dropped connection: the
	// service is unreachable for now. So is a 5xx whose body was not the
	// JSON the SDK expected (a proxy's HTML page, for instance).
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.As(err, &netErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		st.status == http.StatusTooManyRequests, st.status >= 500:
		return busy(st.retryAfter, err)
	}
	return core.Wrap(core.EINTERNAL, err, "The video service gave an unexpected answer.")
}

// busy builds the EUNAVAILABLE error shown when RealtimeKit is down, slow
// or rate-limiting us, with a concrete time to try again.
func busy(after time.Duration, cause error) *core.Error {
	if after <= 0 {
		after = defaultRetryAfter
	}
	after = after.Round(time.Second)
	if after < time.Second {
		after = time.Second
	}
	e := core.Wrap(core.EUNAVAILABLE, cause,
		"The video service is busy right now; please try again in "+humanWait(after)+".")
	e.RetryAfter = after
	return e
}

// humanWait renders a wait as "N s" or, from two minutes on, "N min".
func humanWait(d time.Duration) string {
	if d < 2*time.Minute {
		return fmt.Sprintf("%d s", int(math.Ceil(d.Seconds())))
	}
	return fmt.Sprintf("%d min", int(math.Ceil(d.Minutes())))
}

// retryAfter reads how long upstream asked us to wait: Retry-After-Ms, or
// Retry-After in seconds or as an HTTP date (the forms the SDK honours).
func retryAfter(h http.Header) (time.Duration, bool) {
	if h == nil {
		return 0, false
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t)), true
	}
	return 0, false
}

// statusOf returns the HTTP status of an upstream error answer, or 0.
func statusOf(err error) int {
	if apiErr, ok := errors.AsType[*realtime_kit.Error](err); ok {
		return apiErr.StatusCode
	}
	return 0
}

// upstreamMessage extracts RealtimeKit's error message
// ({"error":{"message":…}}) for logs. Error bodies carry no tokens; success
// bodies, which do, are never logged.
func upstreamMessage(err error) string {
	apiErr, ok := errors.AsType[*realtime_kit.Error](err)
	if !ok {
		// Budget refusals, timeouts and transport errors: their text holds
		// at most a URL with ids, never a token or the Authorization header.
		if ce, ok := core.AsError(err); ok && ce.Err != nil {
			return ce.Err.Error()
		}
		return err.Error()
	}
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(apiErr.JSON.RawJSON()), &body) == nil && body.Error.Message != "" {
		return body.Error.Message
	}
	return http.StatusText(apiErr.StatusCode)
}
