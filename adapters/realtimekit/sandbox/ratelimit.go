package sandbox

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// rateLimiter is Cloudflare's per-token API limit as the sandbox acts it
// out: at most limit calls in any window, and a call beyond that is
// answered 429 and locks every call out for lockOut. It is off (nil) unless
// Options.RateLimit is set, so clients can be tested against a limit they
// must never reach.
type rateLimiter struct {
	limit       int
	window      time.Duration
	lockOut     time.Duration
	sent        []time.Time // accepted calls within the window, oldest first
	lockedUntil time.Time
	refused     int
}

// newRateLimiter returns the limiter opts ask for, or nil.
func newRateLimiter(opts Options) *rateLimiter {
	if opts.RateLimit <= 0 {
		return nil
	}
	r := &rateLimiter{limit: opts.RateLimit, window: opts.RateWindow, lockOut: opts.LockOut}
	if r.window <= 0 {
		r.window = 5 * time.Minute
	}
	if r.lockOut <= 0 {
		r.lockOut = 5 * time.Minute
	}
	return r
}

// admit records a call at now and reports whether it may proceed, or how
// long the caller is locked out. The caller holds the server's lock.
func (r *rateLimiter) admit(now time.Time) (time.Duration, bool) {
	if now.Before(r.lockedUntil) {
		r.refused++
		return r.lockedUntil.Sub(now), false
	}
	cut := now.Add(-r.window)
	i := 0
	for i < len(r.sent) && !r.sent[i].After(cut) {
		i++
	}
	r.sent = append(r.sent[:0], r.sent[i:]...)
	if len(r.sent) >= r.limit {
		r.lockedUntil = now.Add(r.lockOut)
		r.refused++
		return r.lockOut, false
	}
	r.sent = append(r.sent, now)
	return 0, true
}

// rateLimited applies the rate limit to one call: it answers 429 with
// Retry-After and returns true when the call is refused.
func (s *Server) rateLimited(w http.ResponseWriter) bool {
	s.mu.Lock()
	if s.limiter == nil {
		s.mu.Unlock()
		return false
	}
	wait, ok := s.limiter.admit(s.now())
	s.mu.Unlock()
	if ok {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeError(w, http.StatusTooManyRequests, "Rate limit exceeded")
	return true
}

// RateLimited returns how many calls the rate limit (Options.RateLimit)
// refused with 429, including those refused during a lock-out.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limiter == nil {
		return 0
	}
	return s.limiter.refused
}
