package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
)

// Ensure the rate limit acts out Cloudflare's: the calls within the limit
// pass, the next is answered 429 with a Retry-After of the lock-out, every
// call during the lock-out is refused too, and calls pass again after it.
func TestRateLimitLocksOut(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	srv := sandbox.New(sandbox.Options{Now: clock, RateLimit: 3, RateWindow: time.Minute, LockOut: 5 * time.Minute})
	get := func() *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, base+"/presets", nil)
		r.Header.Set("Authorization", "Bearer t")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		return w
	}
	for i := range 3 {
		if w := get(); w.Code != http.StatusOK {
			t.Fatalf("call %d within the limit: %d", i, w.Code)
		}
		advance(time.Second)
	}
	w := get()
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "300" {
		t.Fatalf("call over the limit: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	advance(2 * time.Minute) // the window has passed, the lock-out has not
	if w := get(); w.Code != http.StatusTooManyRequests {
		t.Fatalf("call during the lock-out: %d", w.Code)
	}
	advance(3 * time.Minute)
	if w := get(); w.Code != http.StatusOK {
		t.Fatalf("call after the lock-out: %d", w.Code)
	}
	if n := srv.RateLimited(); n != 2 {
		t.Fatalf("RateLimited = %d, want 2", n)
	}
}
