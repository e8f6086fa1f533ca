package main

import (
	"sync"
	"time"

	"github.com/meetbot/meetbot/internal/proctest"
)

// post is one reminder that reached the fake Slack Web API.
type post struct {
	replica string // the replica that sent it, from its API path
	at      time.Time
}

// slackAPI is the fake Slack Web API for every replica, recording the
// reminders it sees. Each replica's slack.api_url carries its name
// (/r0/api/…), so a reminder is attributed to the process that posted it.
// It keeps reminders per meeting id and wakes waiters on each one.
type slackAPI struct {
	*proctest.SlackAPI
	mu    sync.Mutex
	cond  *sync.Cond
	posts map[string][]post // meeting id → its reminder posts
	all   []post            // every reminder post, in arrival order
}

func newSlackAPI() *slackAPI {
	s := &slackAPI{posts: map[string][]post{}}
	s.cond = sync.NewCond(&s.mu)
	s.SlackAPI = &proctest.SlackAPI{Team: "Failover", OnReminder: s.record}
	return s
}

// record keeps one reminder post and wakes the waiters.
func (s *slackAPI) record(r proctest.Reminder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := post{replica: r.Prefix, at: r.At}
	s.posts[r.Meeting] = append(s.posts[r.Meeting], p)
	s.all = append(s.all, p)
	s.cond.Broadcast()
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
