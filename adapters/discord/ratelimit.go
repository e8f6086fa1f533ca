package discord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// globalLimit holds every REST call while Discord's global rate limit is
// in force. discordgo blocks all its buckets only when a global 429
// carries X-RateLimit-Reset-After, and Discord's global 429s carry just
// Retry-After and X-RateLimit-Global; without this every other route
// would keep calling and collect 429s of its own, which count toward
// Discord's ban for invalid requests. A call made inside the limit gets
// a 429 answered here, with the time left, so Adapter.rest waits it out
// or reports it like any other 429. Interaction responses and follow-ups
// are not under the global limit and always go through.
type globalLimit struct {
	inner http.RoundTripper
	now   func() time.Time
	mu    sync.Mutex
	until time.Time
}

// RoundTrip sends req unless the global limit holds it, and notes a
// global 429 in the answer.
func (g *globalLimit) RoundTrip(req *http.Request) (*http.Response, error) {
	p := req.URL.Path
	exempt := strings.Contains(p, "/interactions/") || strings.Contains(p, "/webhooks/")
	if !exempt {
		g.mu.Lock()
		wait := g.until.Sub(g.now())
		g.mu.Unlock()
		if wait > 0 {
			return heldResponse(req, wait), nil
		}
	}
	resp, err := g.inner.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-RateLimit-Global") == "" {
		return resp, err
	}
	if wait := retryAfter(resp); wait > 0 {
		g.mu.Lock()
		if t := g.now().Add(wait); t.After(g.until) {
			g.until = t
		}
		g.mu.Unlock()
	}
	return resp, nil
}

// retryAfter reads a 429's wait: retry_after of the JSON body (seconds,
// with decimals), else the Retry-After header. The body is put back for
// discordgo.
func retryAfter(resp *http.Response) time.Duration {
	secs := 0.0
	if resp.Body != nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
		var v struct {
			RetryAfter float64 `json:"retry_after"`
		}
		if json.Unmarshal(b, &v) == nil {
			secs = v.RetryAfter
		}
	}
	if secs <= 0 {
		secs, _ = strconv.ParseFloat(resp.Header.Get("Retry-After"), 64)
	}
	if secs <= 0 {
		return 0
	}
	return time.Duration(secs * float64(time.Second))
}

// heldResponse is the 429 a call held by the global limit gets: the shape
// Discord sends, with the time left.
func heldResponse(req *http.Request, wait time.Duration) *http.Response {
	body := fmt.Sprintf(`{"message":"Held by meetbot: Discord's global rate limit is in force.","retry_after":%.3f,"global":true}`, wait.Seconds())
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
	h.Set("X-RateLimit-Global", "true")
	return &http.Response{
		Status: "429 Too Many Requests", StatusCode: http.StatusTooManyRequests,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}
}
