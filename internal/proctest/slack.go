package proctest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Reminder is one reminder post that reached the fake Slack Web API.
type Reminder struct {
	// Prefix is the API path before "/api/": a harness that runs several
	// replicas gives each its own slack.api_url (/r0/api/…), so a post is
	// attributed to the process that made it.
	Prefix  string
	Meeting string
	// TS is the message ts answered (unique per post), which the bot
	// stores as the job's post reference.
	TS string
	At time.Time
}

// SlackAPI stands in for https://slack.com/api/. It answers the calls
// meetbot's Slack adapter makes and hands every reminder post to
// OnReminder; other calls are only counted.
type SlackAPI struct {
	// Team is the team name auth.test answers.
	Team string
	// OnReminder is called for each reminder post, outside the API's lock.
	OnReminder func(Reminder)

	mu    sync.Mutex
	seq   int
	other int
}

var reminderRe = regexp.MustCompile(`^Reminder: .*\(meeting (\d+)\)`)

// ServeHTTP answers the Web API methods meetbot's Slack adapter calls.
func (s *SlackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	prefix, method, _ := strings.Cut(r.URL.Path, "/api/")
	prefix = strings.TrimPrefix(prefix, "/")
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	out := map[string]any{"ok": true}
	reminder := false
	switch method {
	case "auth.test":
		out = map[string]any{"ok": true, "team_id": "T1", "team": s.Team, "user_id": "UBOT", "bot_id": "BBOT"}
	case "users.info":
		id := form.Get("user")
		out = map[string]any{"ok": true, "user": map[string]any{"id": id, "name": strings.ToLower(id), "real_name": "User " + id, "tz": "UTC"}}
	case "chat.postMessage":
		ts := s.nextTS()
		out = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": ts}
		if m := reminderRe.FindStringSubmatch(form.Get("text")); m != nil && s.OnReminder != nil {
			reminder = true
			s.OnReminder(Reminder{Prefix: prefix, Meeting: m[1], TS: ts, At: now})
		}
	case "chat.update":
		out = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts")}
	}
	if !reminder {
		s.mu.Lock()
		s.other++
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// Other is the number of calls that were not reminder posts (cards,
// updates, auth.test, users.info).
func (s *SlackAPI) Other() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.other
}

// nextTS returns a message ts no other post has.
func (s *SlackAPI) nextTS() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("1700000000.%06d", s.seq)
}
