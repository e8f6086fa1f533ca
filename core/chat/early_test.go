package chat_test

import (
	"strings"
	"testing"

	"github.com/meetbot/meetbot/internal/testenv"
)

// TestEarlyJoinGetsTheLinkAndTheTime: "/meet join" a few minutes before
// the window gives the personal link at once (private), and the reply
// still says when the meeting opens; a day and more ahead it is only the
// time.
func TestEarlyJoinGetsTheLinkAndTheTime(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	if r := handle(t, env, "ana", "/meet schedule Standup today 14:15"); !r.OK {
		t.Fatalf("schedule: %+v", r)
	}
	r := handle(t, env, "bo", "/meet join 1")
	if !r.OK || !r.Private || r.JoinURL == "" || !strings.Contains(r.Text, r.JoinURL) {
		t.Fatalf("early join: %+v", r)
	}
	for _, want := range []string{"opens at 14:10", "in 10 min", "joins by itself"} {
		if !strings.Contains(r.Text, want) {
			t.Errorf("early join reply lacks %q:\n%s", want, r.Text)
		}
	}
	if r := handle(t, env, "ana", "/meet schedule Offsite in 3 days"); !r.OK {
		t.Fatalf("schedule: %+v", r)
	}
	r = handle(t, env, "bo", "/meet join 2")
	if r.OK || r.JoinURL != "" || !strings.Contains(r.Text, "opens at") {
		t.Fatalf("join 3 days early: %+v", r)
	}
}
