package chat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
	"github.com/meetbot/meetbot/internal/testenv"
)

var ny = testenv.MustZone("America/New_York")

func handle(t *testing.T, env *testenv.Env, user, line string) chat.Reply {
	t.Helper()
	return chat.New(env.Service).Handle(context.Background(), testenv.Actor(user), line)
}

// TestScheduleReplyStatesResolvedTime checks that the reply names the exact
// instant, with zone and offset, and says what was chosen for a local time
// that does not exist or exists twice.
func TestScheduleReplyStatesResolvedTime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, line string
		now        time.Time
		start      time.Time
		inText     []string
	}{
		{
			name:   "plain",
			line:   "/meet schedule Design review tomorrow 3pm for 45m",
			now:    time.Date(2026, 11, 25, 10, 0, 0, 0, ny),
			start:  time.Date(2026, 11, 26, 15, 0, 0, 0, ny),
			inText: []string{"Thu Nov 26 2026 at 15:00 EST", "America/New_York", "UTC-05:00", "45 min"},
		},
		{
			name:   "spring-forward gap",
			line:   "/meet schedule Early call tomorrow 2:30am",
			now:    time.Date(2027, 3, 13, 12, 0, 0, 0, ny),
			start:  time.Date(2027, 3, 14, 7, 30, 0, 0, time.UTC), // 03:30 EDT, RFC 5545
			inText: []string{"03:30 EDT", "Note:", "does not exist"},
		},
		{
			name:   "fall-back overlap",
			line:   "/meet schedule Night shift tomorrow 1:30am",
			now:    time.Date(2027, 11, 6, 12, 0, 0, 0, ny),
			start:  time.Date(2027, 11, 7, 5, 30, 0, 0, time.UTC), // first 01:30, EDT
			inText: []string{"01:30 EDT", "Note:"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := testenv.New(t, testenv.Options{Start: tc.now})
			r := handle(t, env, "ana", tc.line)
			if !r.OK {
				t.Fatalf("reply: %+v", r)
			}
			if !r.Meeting.Start.Equal(tc.start) {
				t.Fatalf("start = %v, want %v", r.Meeting.Start, tc.start)
			}
			for _, s := range tc.inText {
				if !strings.Contains(r.Text, s) {
					t.Errorf("reply lacks %q:\n%s", s, r.Text)
				}
			}
		})
	}
}

// TestUserZoneIsUsed checks that "/meet tz" changes how that user's times
// are read, and only theirs.
func TestUserZoneIsUsed(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{Start: time.Date(2026, 11, 25, 10, 0, 0, 0, ny)})
	if r := handle(t, env, "bo", "/meet tz Europe/Berlin"); !r.OK {
		t.Fatalf("tz: %+v", r)
	}
	r := handle(t, env, "bo", "/meet schedule Sync tomorrow 9am")
	want := time.Date(2026, 11, 26, 9, 0, 0, 0, testenv.MustZone("Europe/Berlin"))
	if !r.OK || !r.Meeting.Start.Equal(want) || r.Meeting.TimeZone != "Europe/Berlin" {
		t.Fatalf("bo's meeting: %+v", r)
	}
	r = handle(t, env, "ana", "/meet schedule Sync tomorrow 9am")
	if !r.OK || !r.Meeting.Start.Equal(time.Date(2026, 11, 26, 9, 0, 0, 0, ny)) {
		t.Fatalf("ana's meeting: %+v", r)
	}
	// Ensure ana sees bo's meeting in her own zone in the list.
	r = handle(t, env, "ana", "/meet list")
	if !r.OK || !strings.Contains(r.Text, "03:00 EST") {
		t.Fatalf("list: %s", r.Text)
	}
}

// TestJoinReplyIsPrivate checks that a link is marked for the actor only and
// that the join text never carries the participant token.
func TestJoinReplyIsPrivate(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	handle(t, env, "ana", "/meet now standup")
	r := handle(t, env, "bo", "/meet join 1")
	if !r.OK || !r.Private || r.JoinURL == "" || !strings.Contains(r.Text, r.JoinURL) {
		t.Fatalf("join: %+v", r)
	}
	p, err := env.Store.FindParticipant(context.Background(), testenv.Workspace, "1", "bo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Text, p.Token) || strings.Contains(r.JoinURL, p.Token) {
		t.Fatal("the participant token leaked into the reply")
	}
	// Ensure schedule and list replies are not private (they go to the channel).
	if r := handle(t, env, "ana", "/meet list"); r.Private {
		t.Fatal("list marked private")
	}
}

// TestInternalErrorsAreGeneric checks that an unexpected failure shows the
// generic sentence and keeps the cause for the log.
func TestInternalErrorsAreGeneric(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	if env.Driver == testenv.Etcd {
		// The test makes its internal error by closing the store; a closed
		// etcd client is an unreachable store (its own plain sentence).
		t.Skip("closing an etcd store makes it unreachable (EUNAVAILABLE), not an internal error")
	}
	if err := env.Store.Close(); err != nil {
		t.Fatal(err)
	}
	r := handle(t, env, "ana", "/meet list")
	if r.OK || r.Err == nil || r.Err.Code != core.EINTERNAL || r.Err.Err == nil {
		t.Fatalf("reply: %+v", r)
	}
	if strings.Contains(r.Text, "bolt") || strings.Contains(r.Text, "closed") {
		t.Fatalf("internal detail shown to the user: %q", r.Text)
	}
}
