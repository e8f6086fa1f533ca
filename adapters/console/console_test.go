package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/console"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

type reply struct {
	Event   string `json:"event"`
	OK      bool   `json:"ok"`
	Text    string `json:"text"`
	JoinURL string `json:"join_url"`
	Error   *struct {
		Code        string `json:"code"`
		Message     string `json:"message"`
		OpensAt     string `json:"opens_at"`
		CancelledBy string `json:"cancelled_by"`
	} `json:"error"`
	Meeting *struct {
		ID, Title, Status, Start, End, TimeZone, Organizer string
	} `json:"meeting"`
	Meetings []json.RawMessage `json:"meetings"`
}

// run feeds input to a JSON console and returns its replies (objects
// without an "event" field), one per input line.
func run(t *testing.T, env *testenv.Env, input string) []reply {
	t.Helper()
	replies, _ := runAll(t, env, input)
	return replies
}

// runAll returns the replies and, separately, the unprompted events.
func runAll(t *testing.T, env *testenv.Env, input string) (replies, events []reply) {
	t.Helper()
	var out strings.Builder
	c := console.New(console.Options{Service: env.Service, In: strings.NewReader(input), Out: &out, JSON: true, User: "ana", Logger: zerolog.Nop()})
	env.Service.SetNotifier(c)
	if err := c.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r reply
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line is not JSON: %q", sc.Text())
		}
		if r.Event != "" {
			events = append(events, r)
		} else {
			replies = append(replies, r)
		}
	}
	return replies, events
}

func TestEveryLineGetsOneReply(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	input := "/meet now standup\n\n:user bo\n:whoami\n:bogus\n/meet join\n   \n/meet list\n"
	rs := run(t, env, input)
	if len(rs) != 8 {
		t.Fatalf("got %d replies for 8 lines", len(rs))
	}
	for i, r := range rs {
		if r.Event != "" {
			t.Fatalf("reply %d has an event field", i)
		}
	}
	if rs[4].OK || rs[4].Error == nil || rs[4].Error.Code != "invalid" {
		t.Fatalf(":bogus = %+v", rs[4])
	}
	// Ensure "/meet join" without an id finds the open meeting, for bo too.
	if !rs[5].OK || rs[5].JoinURL == "" || rs[5].Meeting == nil || rs[5].Meeting.ID != "1" {
		t.Fatalf("join = %+v", rs[5])
	}
	if rs[0].Meeting.Status != "open" || rs[0].Meeting.Organizer != "ana" {
		t.Fatalf("now = %+v", rs[0].Meeting)
	}
	// Ensure start/end carry the meeting's offset.
	if !strings.HasSuffix(rs[0].Meeting.Start, "-05:00") {
		t.Fatalf("start = %q", rs[0].Meeting.Start)
	}
}

// TestBadInputChangesNothing sends malformed, oversized and hostile lines:
// each gets one plain sentence, the store stays empty and RealtimeKit is
// never called.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	bad := []string{
		"/meet shedule standup tomorrow 3pm",
		"/meet schedule",
		"/meet schedule standup",
		"/meet schedule standup blah blah",
		"/meet schedule standup yesterday 3pm",
		"/meet schedule standup 2020-01-01 10:00",
		"/meet schedule standup tomorrow 3pm for 0m",
		"/meet schedule standup tomorrow 3pm for -5m",
		"/meet schedule standup tomorrow 3pm for 99h",
		"/meet schedule " + strings.Repeat("x", 300) + " tomorrow 3pm",
		"/meet schedule stand\x07up tomorrow 3pm",
		"/meet schedule standup tomorrow 3pm with bob",
		"/meet join 999",
		"/meet info",
		"/meet cancel nope",
		"/meet tz Mars/Base",
		"/meet tz ../../etc/passwd",
		"/meet " + strings.Repeat("a", 5000),
		":user " + strings.Repeat("z", 40),
		":channel bad channel!",
		"\xff\xfe/meet list",
	}
	rs := run(t, env, strings.Join(bad, "\n")+"\n")
	if len(rs) != len(bad) {
		t.Fatalf("got %d replies for %d lines", len(rs), len(bad))
	}
	for i, r := range rs {
		if r.OK || r.Error == nil || r.Error.Message == "" {
			t.Errorf("line %d (%.40q) was accepted: %+v", i, bad[i], r)
			continue
		}
		if strings.Contains(r.Error.Message, "\n") || len(r.Error.Message) > 400 {
			t.Errorf("line %d: message is not one short sentence: %q", i, r.Error.Message)
		}
		if r.Error.Code == string(core.EINTERNAL) {
			t.Errorf("line %d: internal error for bad input: %q", i, r.Error.Message)
		}
	}
	ms, err := env.Store.FindMeetings(context.Background(), core.MeetingFilter{Workspace: core.WorkspaceKey{Platform: core.PlatformConsole, ID: console.WorkspaceID}})
	if err != nil || len(ms) != 0 {
		t.Fatalf("store has %d meetings after bad input (%v)", len(ms), err)
	}
	if n := env.Sandbox.TotalCalls(); n != 0 {
		t.Fatalf("bad input made %d RealtimeKit calls", n)
	}
}

func TestOverlongLineIsAnsweredNotBuffered(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	rs := run(t, env, "/meet list\n"+strings.Repeat("y", 70*1024)+"\n/meet list\n")
	if len(rs) != 2 || !rs[0].OK || rs[1].OK || rs[1].Error == nil || !strings.Contains(rs[1].Error.Message, "too long") {
		t.Fatalf("replies = %+v", rs)
	}
}

func TestPermissionsThroughTheConsole(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	input := strings.Join([]string{
		"/meet schedule review tomorrow 3pm",
		":user bo",
		"/meet cancel 1",
		":admin on",
		"/meet cancel 1",
		"/meet join 1",
	}, "\n") + "\n"
	rs, events := runAll(t, env, input)
	// Ensure the cancel was also announced, as its own event object.
	if len(events) != 1 || events[0].Event != "cancelled" || events[0].Meeting == nil || events[0].Meeting.ID != "1" {
		t.Fatalf("events = %+v", events)
	}
	if rs[2].OK || rs[2].Error.Code != "forbidden" {
		t.Fatalf("non-admin cancel = %+v", rs[2])
	}
	if !rs[4].OK || rs[4].Meeting.Status != "cancelled" {
		t.Fatalf("admin cancel = %+v", rs[4])
	}
	if rs[5].OK || rs[5].Error.Code != "ended" || rs[5].Error.CancelledBy != "bo" {
		t.Fatalf("join after cancel = %+v", rs[5])
	}
}

func TestTooEarlyCarriesOpensAt(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	rs := run(t, env, "/meet schedule review tomorrow 3pm\n/meet join 1\n")
	e := rs[1].Error
	if e == nil || e.Code != "too_early" {
		t.Fatalf("join = %+v", rs[1])
	}
	opens, err := time.Parse(time.RFC3339, e.OpensAt)
	want := time.Date(2026, 11, 26, 14, 55, 0, 0, testenv.MustZone("America/New_York"))
	if err != nil || !opens.Equal(want) || !strings.HasSuffix(e.OpensAt, "-05:00") {
		t.Fatalf("opens_at = %q, want %v", e.OpensAt, want)
	}
	if !strings.Contains(e.Message, "14:55 EST") {
		t.Fatalf("message = %q", e.Message)
	}
}

// TestReminderIsAnEventObject checks the console as a Notifier: a reminder
// is printed as its own object with "event":"reminder", the meeting, and a
// text that never holds a link.
func TestReminderIsAnEventObject(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	m := env.Schedule(testenv.Actor("ana"), "Standup", env.Clock.Now().Add(10*time.Minute), 15*time.Minute)
	var out strings.Builder
	c := console.New(console.Options{Service: env.Service, In: strings.NewReader(""), Out: &out, JSON: true, Logger: zerolog.Nop()})
	occ := core.Occurrence{Start: m.Start, End: m.End(), Original: m.Start}
	ref, err := c.Remind(context.Background(), core.Reminder{Meeting: m, Occurrence: occ, Window: core.WindowOf(occ, 5*time.Minute, 5*time.Minute), Lead: 10 * time.Minute})
	if err != nil || ref == "" {
		t.Fatalf("Remind = %q, %v", ref, err)
	}
	var r reply
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("not one JSON object: %q", out.String())
	}
	if r.Event != "reminder" || !r.OK || r.Meeting == nil || r.Meeting.ID != m.ID || !strings.Contains(r.Text, "starts in 10 min") || strings.Contains(r.Text, "/j/") {
		t.Fatalf("reminder event = %+v", r)
	}
}
