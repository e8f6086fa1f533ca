package main

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

// post is one reminder that reached the fake Slack Web API.
type post struct {
	meeting string
	ts      string // the message ts answered, which the bot stores as the job's post reference
	at      time.Time
}

// slackAPI stands in for https://slack.com/api/: it answers the calls the
// Slack adapter makes and records every reminder post with a unique ts,
// so each post can be matched with the job that recorded it.
type slackAPI struct {
	mu    sync.Mutex
	seq   int
	posts []post
	other int // every other call: cards, updates, auth.test, users.info
}

var reminderRe = regexp.MustCompile(`^Reminder: .*\(meeting (\d+)\)`)

// ServeHTTP answers the Web API methods the Slack adapter calls.
func (s *slackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, method, _ := strings.Cut(r.URL.Path, "/api/")
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	out := map[string]any{"ok": true}
	switch method {
	case "auth.test":
		out = map[string]any{"ok": true, "team_id": "T1", "team": "Soak", "user_id": "UBOT", "bot_id": "BBOT"}
	case "users.info":
		id := form.Get("user")
		out = map[string]any{"ok": true, "user": map[string]any{"id": id, "name": strings.ToLower(id), "real_name": "User " + id, "tz": "UTC"}}
	case "chat.postMessage":
		ts := s.nextTS()
		out = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": ts}
		if m := reminderRe.FindStringSubmatch(form.Get("text")); m != nil {
			s.mu.Lock()
			s.posts = append(s.posts, post{meeting: m[1], ts: ts, at: time.Now()})
			s.mu.Unlock()
			break
		}
		s.count()
	case "chat.update":
		out = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": form.Get("ts")}
		s.count()
	default:
		s.count()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(out)
}

// nextTS returns a message ts no other post has.
func (s *slackAPI) nextTS() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return fmt.Sprintf("1700000000.%06d", s.seq)
}

func (s *slackAPI) count() {
	s.mu.Lock()
	s.other++
	s.mu.Unlock()
}

// reminders returns a copy of every reminder post so far, in arrival order.
func (s *slackAPI) reminders() []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]post(nil), s.posts...)
}
