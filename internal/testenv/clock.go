package testenv

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Clock is a hand-moved core.Clock: Now says what Set and Advance last
// made it, and nothing else moves it. It exists for the tests a
// testing/synctest bubble cannot hold, those on etcd: the etcd client talks
// gRPC over loopback, and a goroutine blocked on a socket never lets a
// bubble's time move. Code that waits on timers does not see this clock
// move, so such a test pokes that code instead (Scheduler.Wake). Tests on
// bbolt that need time to pass for timers run in a bubble (Options.Bubble)
// and sleep; their Env has no Clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

var _ core.Clock = (*Clock)(nil)

// NewClock returns a hand-moved clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// BubbleTime is the clock of an Env built inside a bubble (call it in one):
// the bubble's fake time, moved to read start at the moment it is called, in
// start's zone and without a monotonic reading, as a Clock's times are. The
// bubble's time moves only while every goroutine in it is blocked, so a
// test makes time pass by sleeping.
func BubbleTime(start time.Time) core.Clock {
	shift, loc := start.Sub(time.Now()), start.Location()
	return core.ClockFunc(func() time.Time { return time.Now().Add(shift).In(loc).Round(0) })
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
