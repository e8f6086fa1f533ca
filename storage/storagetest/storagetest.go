// Package storagetest is the conformance suite for core.Store. Every storage
// backend (bbolt now, etcd later) runs it from its own tests, so core can
// rely on one behaviour whatever the deployment: tenancy by workspace, ids
// that are never reused, no lost updates, and values that are copies.
//
// The suite only uses the core.Store interface. A backend's test calls Run
// with a function that returns a fresh, empty store, and RunPersistence with
// one that opens the store kept in a given directory.
package storagetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Run runs the behaviour tests, each against a fresh store from open. The
// suite closes every store it opens, so open need not register a cleanup for
// Close (it should for anything else it creates, such as temp dirs).
//
// The tests run in parallel (t.Parallel), since each has a store of its own
// and a networked backend spends most of a test waiting on round trips: open
// is called from several goroutines at once and must be safe for that, and
// the stores it returns must not share data (a fresh temp dir, a fresh key
// prefix).
func Run(t *testing.T, open func(t *testing.T) core.Store) {
	t.Helper()
	fresh := func(t *testing.T) core.Store {
		t.Helper()
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	runMeetingTests(t, fresh)
	runPlannedCreateTests(t, fresh)
	runMeetingQueryTests(t, fresh)
	runParticipantTests(t, fresh)
	runSettingsTests(t, fresh)
	runJobTests(t, fresh)
	runInstallTests(t, fresh)
	runInboxTests(t, fresh)
	runAttendanceTests(t, fresh)
}

// Test fixtures. wsC shares wsA's workspace id on another platform, so a
// backend that keys by workspace id alone fails the tenancy tests.
var (
	wsA = core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T0001"}
	wsB = core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T0002"}
	wsC = core.WorkspaceKey{Platform: core.PlatformDiscord, ID: "T0001"}

	// zone is a non-UTC zone with an odd offset; base has nanoseconds. A
	// backend that drops either fails the round-trip tests.
	zone = time.FixedZone("X+0530", 5*3600+30*60)
	base = time.Date(2031, time.March, 30, 9, 30, 15, 123456789, zone)
)

// newMeeting returns a meeting with every field set.
func newMeeting(ws core.WorkspaceKey, channel string, start time.Time, d time.Duration) *core.Meeting {
	return &core.Meeting{
		Workspace:     ws,
		Channel:       channel,
		Title:         "Weekly sync — ünïcode \"quoted\"",
		Organizer:     "U1",
		OrganizerName: "Ada",
		CoHosts:       []string{"U2", "U3"},
		Start:         start,
		TimeZone:      "Europe/Berlin",
		Duration:      d,
		Recurrence:    "FREQ=WEEKLY;BYDAY=MO",
		Private:       true,
		Invitees:      []string{"U4"},
		Removed:       []string{"U5"},
		Exceptions: []core.Exception{
			{Original: start.Add(7 * 24 * time.Hour), Skipped: true},
			{Original: start.Add(14 * 24 * time.Hour), Start: start.Add(14*24*time.Hour + 90*time.Minute + 7)},
		},
		RSVPs:         map[string]core.RSVP{"U4": core.RSVPYes, "U6": core.RSVPNo, "U7": core.RSVPMaybe},
		State:         core.StateScheduled,
		CancelledAt:   time.Time{},
		RoomID:        "bbb1c2d3-room",
		RoomTag:       "mb-7f3a",
		RoomStatus:    core.RoomInactive,
		Abandoned:     true,
		RoomAttempts:  2,
		RoomAttemptAt: base.Add(-2 * time.Minute),
		Card:          core.MessageRef{Channel: "C1", ID: "1700000000.000100"},
		Mirror:        core.MessageRef{Channel: "G1", ID: "1234567890"},
		CreatedAt:     base.Add(-time.Hour),
		UpdatedAt:     base.Add(-time.Minute),
	}
}

// create stores m and fails the test on error.
func create(t *testing.T, s core.Store, m *core.Meeting) *core.Meeting {
	t.Helper()
	if err := s.CreateMeeting(t.Context(), m); err != nil {
		t.Fatalf("CreateMeeting: %v", err)
	}
	return m
}

// find fetches a meeting and fails the test on error.
func find(t *testing.T, s core.Store, ws core.WorkspaceKey, id string) *core.Meeting {
	t.Helper()
	m, err := s.FindMeetingByID(t.Context(), ws, id)
	if err != nil {
		t.Fatalf("FindMeetingByID(%s, %q): %v", ws, id, err)
	}
	return m
}

// wantCode fails the test unless err carries code.
func wantCode(t *testing.T, err error, code core.Code, what string) {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("%s: error code %q (%v), want %q", what, got, err, code)
	}
}

// idLess orders ids short-first, then bytewise: the order of decimal (or
// any base) counters without leading zeros. "Increasing ids" means this.
func idLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// sameMeeting fails unless got equals want field by field. Times compare
// with Equal (a backend may change the location, not the instant) and a nil
// slice equals an empty one.
func sameMeeting(t *testing.T, got, want *core.Meeting) {
	t.Helper()
	g, w := got.Clone(), want.Clone()
	for _, f := range []struct {
		name string
		g, w *time.Time
	}{
		{"Start", &g.Start, &w.Start},
		{"CancelledAt", &g.CancelledAt, &w.CancelledAt},
		{"CreatedAt", &g.CreatedAt, &w.CreatedAt},
		{"UpdatedAt", &g.UpdatedAt, &w.UpdatedAt},
		{"RoomAttemptAt", &g.RoomAttemptAt, &w.RoomAttemptAt},
	} {
		sameTime(t, "meeting "+want.ID+" "+f.name, *f.g, *f.w)
		*f.g, *f.w = time.Time{}, time.Time{}
	}
	if len(g.Exceptions) != len(w.Exceptions) {
		t.Fatalf("meeting %s has %d exceptions, want %d: %+v", want.ID, len(g.Exceptions), len(w.Exceptions), g.Exceptions)
	}
	for i := range w.Exceptions {
		ge, we := &g.Exceptions[i], &w.Exceptions[i]
		sameTime(t, fmt.Sprintf("meeting %s exception %d Original", want.ID, i), ge.Original, we.Original)
		sameTime(t, fmt.Sprintf("meeting %s exception %d Start", want.ID, i), ge.Start, we.Start)
		ge.Original, we.Original, ge.Start, we.Start = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	}
	for _, p := range []*[]string{&g.CoHosts, &w.CoHosts, &g.Invitees, &w.Invitees, &g.Removed, &w.Removed} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	for _, p := range []*[]core.Exception{&g.Exceptions, &w.Exceptions} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	for _, p := range []*map[string]core.RSVP{&g.RSVPs, &w.RSVPs} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("meeting differs:\n got %+v\nwant %+v", g, w)
	}
}

// sameTime fails unless the instants are equal and zero stays zero.
func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || got.IsZero() != want.IsZero() {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// ids returns the ids of ms in order.
func ids(ms []*core.Meeting) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// sameIDs fails unless ms has exactly the ids want, in that order.
func sameIDs(t *testing.T, what string, ms []*core.Meeting, want ...string) {
	t.Helper()
	if got := ids(ms); !slices.Equal(got, want) {
		t.Fatalf("%s: ids %q, want %q", what, got, want)
	}
}
