package main

import (
	"sync"
	"time"

	"github.com/meetbot/meetbot/internal/proctest"
)

// post is one reminder that reached the fake Slack Web API.
type post struct {
	meeting string
	ts      string // the message ts answered, which the bot stores as the job's post reference
	at      time.Time
}

// slackAPI is the fake Slack Web API, recording every reminder post with
// the unique ts it answered, so each post can be matched with the job
// that recorded it.
type slackAPI struct {
	*proctest.SlackAPI
	mu    sync.Mutex
	posts []post
}

func newSlackAPI() *slackAPI {
	s := &slackAPI{}
	s.SlackAPI = &proctest.SlackAPI{Team: "Soak", OnReminder: s.record}
	return s
}

// record keeps one reminder post.
func (s *slackAPI) record(r proctest.Reminder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts = append(s.posts, post{meeting: r.Meeting, ts: r.TS, at: r.At})
}

// reminders returns a copy of every reminder post so far, in arrival order.
func (s *slackAPI) reminders() []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]post(nil), s.posts...)
}
