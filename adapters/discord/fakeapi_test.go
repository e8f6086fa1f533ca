package discord_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// call is one request the fake Discord API received.
type call struct {
	Method, Path string
	Body         []byte
	At           time.Time
}

// fakeAPI stands in for Discord's REST API and records every call.
type fakeAPI struct {
	*httptest.Server
	mu    sync.Mutex
	calls []call
	next  int64 // the last id handed out
	// lost channels answer 403 Missing Access.
	lost map[string]bool
	// limited paths answer 429 this many times first.
	limited map[string]int
	retry   float64 // retry_after of those 429s, seconds
	global  bool    // those 429s are Discord's global limit
	// fail answers "METHOD /path" with an error until removed.
	fail map[string]apiErr
	// gateway, when set, is the URL GET /gateway answers: discordgo finds
	// its websocket through the REST API (see setGateway).
	gateway string
	// watch, when set, is told of each call as it is recorded.
	watch func(call)
}

// apiErr is an error answer of the fake API: HTTP status and JSON code.
type apiErr struct{ Status, Code int }

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{lost: map[string]bool{}, limited: map[string]int{}, fail: map[string]apiErr{}, retry: 0.2, next: 1000}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	path := strings.TrimPrefix(r.URL.Path, "/api/v10")
	f.mu.Lock()
	// Recorded with Go's HTML escapes undone, so tests read "<t:…>".
	readable := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(b))
	rec := call{Method: r.Method, Path: path, Body: []byte(readable), At: time.Now()}
	f.calls = append(f.calls, rec)
	n := f.limited[path]
	if n > 0 {
		f.limited[path] = n - 1
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	lost := len(parts) > 1 && parts[0] == "channels" && f.lost[parts[1]]
	failed, fails := f.fail[r.Method+" "+path]
	retry, global := f.retry, f.global
	gateway, watch := f.gateway, f.watch
	f.next++
	id := strconv.FormatInt(f.next, 10)
	f.mu.Unlock()
	if watch != nil {
		watch(rec)
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case n > 0:
		// As Discord sends them: a global 429 names its scope and has no
		// bucket headers.
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry))))
		if global {
			w.Header().Set("X-RateLimit-Global", "true")
			w.Header().Set("X-RateLimit-Scope", "global")
		}
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprintf(w, `{"message":"You are being rate limited.","retry_after":%g,"global":%t}`, retry, global)
		return
	case lost:
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"message":"Missing Access","code":50001}`))
		return
	case fails:
		w.WriteHeader(failed.Status)
		fmt.Fprintf(w, `{"message":"Failed","code":%d}`, failed.Code)
		return
	}
	switch {
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages":
		fmt.Fprintf(w, `{"id":%q,"channel_id":%q}`, id, parts[1])
	case r.Method == http.MethodPatch && parts[0] == "channels":
		fmt.Fprintf(w, `{"id":%q,"channel_id":%q}`, parts[3], parts[1])
	case path == "/users/@me/channels":
		var req struct {
			Recipient string `json:"recipient_id"`
		}
		_ = json.Unmarshal(b, &req)
		fmt.Fprintf(w, `{"id":"dm-%s","type":1}`, req.Recipient)
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "guilds" && parts[2] == "scheduled-events":
		fmt.Fprintf(w, `{"id":%q,"guild_id":%q,"entity_type":3,"status":1}`, "ev"+id, parts[1])
	case r.Method == http.MethodPatch && len(parts) == 4 && parts[0] == "guilds" && parts[2] == "scheduled-events":
		fmt.Fprintf(w, `{"id":%q,"guild_id":%q,"entity_type":3,"status":1}`, parts[3], parts[1])
	case r.Method == http.MethodDelete && len(parts) == 4 && parts[0] == "guilds" && parts[2] == "scheduled-events":
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodGet && (path == "/gateway" || path == "/gateway/bot") && gateway != "":
		fmt.Fprintf(w, `{"url":%q,"shards":1}`, gateway)
	case parts[0] == "interactions":
		w.WriteHeader(http.StatusNoContent)
	case parts[0] == "webhooks":
		fmt.Fprintf(w, `{"id":%q}`, id)
	case parts[0] == "applications" && r.Method == http.MethodPut:
		_, _ = w.Write(b)
	default:
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"message":"Unknown","code":0}`))
	}
}

// setLost makes posts to channel fail with Missing Access, or work again.
func (f *fakeAPI) setLost(channel string, lost bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lost[channel] = lost
}

// setGateway makes GET /gateway (and /gateway/bot) answer url, so
// Session.Open dials a fake gateway.
func (f *fakeAPI) setGateway(url string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gateway = url
}

// onCall makes fn see every later call as it is recorded, before it is
// answered; fn runs on the server's goroutine and must not block.
func (f *fakeAPI) onCall(fn func(call)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.watch = fn
}

// Calls returns the calls so far whose method and path start match.
func (f *fakeAPI) Calls(method, prefix string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if (method == "" || c.Method == method) && strings.HasPrefix(c.Path, prefix) {
			out = append(out, c)
		}
	}
	return out
}
