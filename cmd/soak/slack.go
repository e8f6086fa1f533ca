package main

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meetbot/meetbot/internal/proctest"
)

// post is one reminder that reached the fake Slack Web API.
type post struct {
	life    int // the life of the bot that sent it (its slack.api_url)
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
	life, err := strconv.Atoi(strings.TrimPrefix(r.Prefix, "life"))
	if err != nil {
		life = -1 // not a path the harness gave out: matches no life
	}
	s.posts = append(s.posts, post{life: life, meeting: r.Meeting, ts: r.TS, at: r.At})
}

// reminders returns a copy of every reminder post so far, in arrival order.
func (s *slackAPI) reminders() []post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]post(nil), s.posts...)
}
