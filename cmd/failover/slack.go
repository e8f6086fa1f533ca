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
	replica string // the replica that sent it, from its API path
	at      time.Time
}

// slackAPI stands in for https://slack.com/api/ for every replica. Each
// replica's slack.api_url carries its name (/r0/api/…), so a reminder is
// attributed to the process that posted it. It records reminders per
// meeting id and wakes waiters on each one.
type slackAPI struct {
	mu    sync.Mutex
	cond  *sync.Cond
	posts map[string][]post // meeting id → its reminder posts
	all   []post            // every reminder post, in arrival order
	other int               // other calls (cards, updates, users.info…)
}

func newSlackAPI() *slackAPI {
	s := &slackAPI{posts: map[string][]post{}}
	s.cond = sync.NewCond(&s.mu)
	return s
}

var reminderRe = regexp.MustCompile(`^Reminder: .*\(meeting (\d+)\)`)

// ServeHTTP answers the Web API methods meetbot's Slack adapter calls.
func (s *slackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	replica, method, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/api/")
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	out := map[string]any{"ok": true}
	switch method {
	case "auth.test":
		out = map[string]any{"ok": true, "team_id": "T1", "team": "Failover", "user_id": "UBOT", "bot_id": "BBOT"}
	case "users.info":
		id := form.Get("user")
		out = map[string]any{"ok": true, "user": map[string]any{"id": id, "name": strings.ToLower(id), "real_name": "User " + id, "tz": "UTC"}}
	case "chat.postMessage":
		out = map[string]any{"ok": true, "channel": form.Get("channel"), "ts": fmt.Sprintf("%d.%06d", now.Unix(), now.Nanosecond()/1000)}
		if m := reminderRe.FindStringSubmatch(form.Get("text")); m != nil {
			s.mu.Lock()
			p := post{replica: replica, at: now}
			s.posts[m[1]] = append(s.posts[m[1]], p)
			s.all = append(s.all, p)
			s.cond.Broadcast()
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

func (s *slackAPI) count() {
	s.mu.Lock()
	s.other++
	s.mu.Unlock()
}

// firstPostAfter waits until a reminder posted at or after t by a replica
// other than not arrives, and returns it; ok is false after limit.
func (s *slackAPI) firstPostAfter(t time.Time, not string, limit time.Duration) (post, bool) {
	deadline := time.Now().Add(limit)
	stop := time.AfterFunc(limit, func() { s.mu.Lock(); s.cond.Broadcast(); s.mu.Unlock() })
	defer stop.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := 0
	for {
		for _, p := range s.all[seen:] {
			if !p.at.Before(t) && p.replica != not {
				return p, true
			}
		}
		seen = len(s.all)
		if !time.Now().Before(deadline) {
			return post{}, false
		}
		s.cond.Wait()
	}
}

// leads are the reminder lead times every meeting of a run has.
var leads = []time.Duration{50 * time.Second, 40 * time.Second, 30 * time.Second, 20 * time.Second, 10 * time.Second, 0}

// waitingAt counts the reminders due at or before t (from each meeting's
// start and the leads) that had no post yet at t.
func (s *slackAPI) waitingAt(starts map[string]time.Time, t time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	waiting := 0
	for id, start := range starts {
		due := 0
		for _, l := range leads {
			if !start.Add(-l).After(t) {
				due++
			}
		}
		posted := 0
		for _, p := range s.posts[id] {
			if p.at.Before(t) {
				posted++
			}
		}
		waiting += max(due-posted, 0)
	}
	return waiting
}

// postsOf returns a copy of meeting id's reminder posts.
func (s *slackAPI) postsOf(id string) []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]post(nil), s.posts[id]...)
}
