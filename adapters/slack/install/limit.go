package install

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Defaults of the per-address limit on install starts and callbacks. Each
// pair costs a synced store write and an oauth.v2.access call made with
// the app's client secret, and nobody needs more than a few installs a
// minute from one address.
const (
	DefaultInstallBurst = 10
	DefaultInstallEvery = 6 * time.Second
	// maxLimited bounds the addresses remembered; beyond it the rest share
	// one bucket, so a flood of addresses costs bounded memory and still
	// cannot call upstream faster than one address could.
	maxLimited = 10_000
)

// addrLimits is a token bucket per client address (golang.org/x/time/rate)
// in a bounded map whose idle entries expire once their bucket would be
// full again, which is when forgetting them changes nothing.
type addrLimits struct {
	mu       sync.Mutex
	every    rate.Limit
	burst    int
	idle     time.Duration
	buckets  map[string]*addrBucket
	overflow *rate.Limiter
}

type addrBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newAddrLimits(every time.Duration, burst int) *addrLimits {
	l := rate.Every(every)
	return &addrLimits{
		every: l, burst: burst, idle: time.Duration(burst) * every,
		buckets:  map[string]*addrBucket{},
		overflow: rate.NewLimiter(l, burst),
	}
}

// allow takes one token for addr at now. When none is left it returns
// false and how long until one is.
func (l *addrLimits) allow(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.bucket(addr, now)
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return false, l.idle
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// bucket finds or makes addr's limiter; the caller holds mu.
func (l *addrLimits) bucket(addr string, now time.Time) *rate.Limiter {
	if b, ok := l.buckets[addr]; ok {
		b.seen = now
		return b.lim
	}
	if len(l.buckets) >= maxLimited {
		for k, b := range l.buckets {
			if now.Sub(b.seen) >= l.idle {
				delete(l.buckets, k)
			}
		}
		if len(l.buckets) >= maxLimited {
			return l.overflow
		}
	}
	b := &addrBucket{lim: rate.NewLimiter(l.every, l.burst), seen: now}
	l.buckets[addr] = b
	return b.lim
}

// clientAddr is the address a request is limited by: the host of
// RemoteAddr, or, when trustProxy is set because meetbot runs behind a
// reverse proxy that appends to X-Forwarded-For, the last address in that
// header (the one the proxy saw; earlier ones are the client's own claim).
func clientAddr(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limited answers 429 with a plain page and Retry-After when r's address
// has used up its install budget, and reports whether it did.
func (h *Handler) limited(w http.ResponseWriter, r *http.Request) bool {
	ok, wait := h.limits.allow(clientAddr(r, h.o.TrustForwardedFor), h.o.Now())
	if ok {
		return false
	}
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	w.Header().Set("Cache-Control", "no-store")
	h.o.Logger.Warn().Str("route", r.URL.Path).Msg("slack install rate limit reached for a client address")
	h.page(w, http.StatusTooManyRequests, "Too many attempts",
		"Too many install attempts came from your network; wait "+strconv.Itoa(secs)+" seconds and try the install link again.")
	return true
}
