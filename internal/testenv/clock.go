package testenv

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Clock is an Env's "now" (a core.Clock). Made by NewClock it is moved
// only by hand (Set, Advance), for tests outside a bubble that just ask
// what time it is; code that waits on timers does not see it move, so such
// a test pokes that code instead (Scheduler.Wake). Made by BubbleClock,
// inside a testing/synctest bubble, it is the bubble's fake time shifted
// to start at a chosen instant, and Set and Advance sleep the calling
// goroutine: every timer in the bubble fires on the way, at its time.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	bubble bool
	shift  time.Duration  // bubble: now = time.Now() + shift
	loc    *time.Location // bubble: the start's zone, as NewClock keeps it
}

// NewClock returns a hand-moved clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// BubbleClock returns a clock that reads t now and then moves with the
// bubble's time. Call it inside synctest.Test (Bubble does).
func BubbleClock(t time.Time) *Clock {
	return &Clock{bubble: true, shift: t.Sub(time.Now()), loc: t.Location()}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	if c.bubble {
		return time.Now().Add(c.shift).In(c.loc).Round(0) // no monotonic reading, as NewClock's
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	if c.bubble {
		time.Sleep(d)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t. A bubble clock cannot go back; asked to, it
// panics, as that is a broken test.
func (c *Clock) Set(t time.Time) {
	if c.bubble {
		d := t.Sub(c.Now())
		if d < 0 {
			panic("testenv: a bubble clock cannot move back to " + t.String())
		}
		time.Sleep(d)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// SandboxURL is the made-up origin the RealtimeKit client is pointed at;
// HandlerTransport answers it without a network.
const SandboxURL = "http://sandbox.test"

// HandlerTransport is an http.RoundTripper that answers with Handler in
// the caller's goroutine: no socket, so it works inside a synctest bubble
// (a goroutine waiting on a socket is not durably blocked, and the
// bubble's time would never move) and is cheaper than loopback outside.
// Like a socket, it gives the request context's error when the context
// ends first; the answer is then dropped.
type HandlerTransport struct{ Handler http.Handler }

// RoundTrip implements http.RoundTripper.
func (tr HandlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	in := r.Clone(r.Context())
	in.RequestURI = r.URL.RequestURI()
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	tr.Handler.ServeHTTP(rec, in)
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}
