package install_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/slack/install"
)

// pair runs one install start and its callback from addr (with an
// X-Forwarded-For claim) and returns both statuses and the last response.
func (e *env) pair(addr, forwarded string) (int, int, *httptest.ResponseRecorder) {
	req := httptest.NewRequest("GET", install.InstallPath, nil)
	req.RemoteAddr = addr
	if forwarded != "" {
		req.Header.Set("X-Forwarded-For", forwarded)
	}
	rec := e.serve(req)
	if rec.Code != http.StatusFound {
		return rec.Code, 0, rec
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	cb := httptest.NewRequest("GET", install.CallbackPath+"?"+url.Values{"code": {"c"}, "state": {loc.Query().Get("state")}}.Encode(), nil)
	cb.RemoteAddr = addr
	if forwarded != "" {
		cb.Header.Set("X-Forwarded-For", forwarded)
	}
	for _, c := range rec.Result().Cookies() {
		cb.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	out := e.serve(cb)
	return rec.Code, out.Code, out
}

// TestInstallRateLimitedPerAddress: 100 install + callback pairs from one
// address make at most the burst of oauth.v2.access calls; the rest get
// 429 with Retry-After and one plain sentence. A forged X-Forwarded-For
// does not escape the limit, another address is not affected, and the
// budget comes back with time.
func TestInstallRateLimitedPerAddress(t *testing.T) {
	e := newEnv(t)
	var limited *httptest.ResponseRecorder
	for i := range 100 {
		s1, s2, rec := e.pair("203.0.113.7:40000", "198.51.100."+strconv.Itoa(i))
		if s1 == http.StatusTooManyRequests || s2 == http.StatusTooManyRequests {
			limited = rec
		}
	}
	if n := len(e.slack.Calls()); n == 0 || n > install.DefaultInstallBurst {
		t.Fatalf("100 pairs from one address made %d oauth.v2.access calls, want 1..%d", n, install.DefaultInstallBurst)
	}
	if limited == nil {
		t.Fatal("no request was limited")
	}
	t.Logf("100 pairs from one address: %d oauth.v2.access calls", len(e.slack.Calls()))
	body := limited.Body.String()
	if ra, err := strconv.Atoi(limited.Header().Get("Retry-After")); err != nil || ra < 1 ||
		!strings.Contains(body, "Too many install attempts") || strings.Count(body, "<p>") != 1 {
		t.Fatalf("429 page: Retry-After %q, %s", limited.Header().Get("Retry-After"), body)
	}
	calls := len(e.slack.Calls())
	if s1, s2, rec := e.pair("192.0.2.55:1", ""); s1 != http.StatusFound || s2 == http.StatusTooManyRequests {
		t.Fatalf("another address was limited too: %d %d %s", s1, s2, rec.Body)
	}
	if len(e.slack.Calls()) != calls+1 {
		t.Fatal("another address's callback made no upstream call")
	}
	e.clock.Advance(time.Duration(install.DefaultInstallBurst) * install.DefaultInstallEvery)
	if s1, s2, _ := e.pair("203.0.113.7:40001", ""); s1 != http.StatusFound || s2 == http.StatusTooManyRequests {
		t.Fatalf("the budget did not come back: %d %d", s1, s2)
	}
}

// TestForgedStateMakesNoUpstreamCall: a callback whose state does not
// verify is refused before oauth.v2.access is called.
func TestForgedStateMakesNoUpstreamCall(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		req := httptest.NewRequest("GET", install.CallbackPath+"?code=c&state=forged"+strconv.Itoa(i), nil)
		if rec := e.serve(req); rec.Code != http.StatusForbidden {
			t.Fatalf("forged state: %d", rec.Code)
		}
	}
	if n := len(e.slack.Calls()); n != 0 {
		t.Fatalf("forged states made %d upstream calls", n)
	}
}
