package timeparse

import (
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the DST cases must not depend on the machine's zone files

	"github.com/meetbot/meetbot/core"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

// at reads a test clock: RFC 3339 when it has an offset (needed for instants
// inside a fall-back hour), otherwise a local wall time in loc.
func at(t testing.TB, s string, loc *time.Location) time.Time {
	t.Helper()
	if v, err := time.Parse(time.RFC3339, s); err == nil {
		return v.In(loc)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

const (
	ny      = "America/New_York"
	berlin  = "Europe/Berlin"
	anyNote = "*"
)

type parseCase struct {
	zone string
	now  string // local wall time, or RFC 3339
	in   string
	want string // RFC 3339 with the offset the result must carry
	note string // "" = Note must be empty; anyNote = must be set; else a substring of Note
	err  string // non-empty = must fail with EINVALID and this substring
}

var parseCases = []parseCase{
	// The everyday phrases, reference Wed 2026-11-25 (as in the library notes).
	{zone: ny, now: "2026-11-25 10:00", in: "tomorrow 3pm", want: "2026-11-26T15:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "tomorrow at 15:00", want: "2026-11-26T15:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "  TOMORROW   3PM ", want: "2026-11-26T15:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "next monday 10:30", want: "2026-11-30T10:30:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "in 2 hours", want: "2026-11-25T12:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "in 90 minutes", want: "2026-11-25T11:30:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "in 1h30m", want: "2026-11-25T11:30:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "in half an hour", want: "2026-11-25T10:30:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "in 3 days", want: "2026-11-28T10:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "friday 9am", want: "2026-11-27T09:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "on friday at 9:30 am", want: "2026-11-27T09:30:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "dec 3 14:00", want: "2026-12-03T14:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "december 3 at 2pm", want: "2026-12-03T14:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "3rd of december 2pm", want: "2026-12-03T14:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "2026-12-03 14:00", want: "2026-12-03T14:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "2026-12-03T14:00", want: "2026-12-03T14:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "2026-12-03 at 3pm", want: "2026-12-03T15:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "2026-12-03T14:00:00Z", want: "2026-12-03T09:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "3pm", want: "2026-11-25T15:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "15:00", want: "2026-11-25T15:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "noon", want: "2026-11-25T12:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "today 5pm", want: "2026-11-25T17:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "tonight 8pm", want: "2026-11-25T20:00:00-05:00"},
	{zone: ny, now: "2026-11-25 10:00", in: "tonight", want: "2026-11-25T20:00:00-05:00", note: "8:00 PM"},
	{zone: ny, now: "2026-11-25 10:00", in: "tomorrow morning", want: "2026-11-26T08:00:00-05:00", note: "8:00 AM"},
	{zone: ny, now: "2026-11-25 10:00", in: "monday", want: "2026-11-30T10:00:00-05:00", note: "current time"},
	{zone: ny, now: "2026-11-25 10:00", in: "12am", want: "2026-11-26T00:00:00-05:00", note: "tomorrow"},
	{zone: ny, now: "2026-11-25 10:00", in: "12:30pm", want: "2026-11-25T12:30:00-05:00"},
	{zone: ny, now: "2026-12-20 10:00", in: "jan 5 9am", want: "2027-01-05T09:00:00-05:00", note: "2027"},

	// A bare time that has passed means tomorrow; a weekday that is today but
	// past means next week; anything else in the past is an error.
	{zone: ny, now: "2026-11-25 16:00", in: "3pm", want: "2026-11-26T15:00:00-05:00", note: "tomorrow"},
	{zone: ny, now: "2026-11-25 16:00", in: "5pm", want: "2026-11-25T17:00:00-05:00"},
	{zone: ny, now: "2026-11-30 10:00", in: "monday 9am", want: "2026-12-07T09:00:00-05:00", note: "next Monday"},
	{zone: ny, now: "2026-11-30 10:00", in: "monday 11am", want: "2026-11-30T11:00:00-05:00"},
	{zone: ny, now: "2026-11-30 10:00", in: "next monday 11am", want: "2026-12-07T11:00:00-05:00"},
	{zone: ny, now: "2026-11-30 10:00", in: "today 9am", err: "already passed"},
	{zone: ny, now: "2026-11-30 10:00", in: "this monday 9am", err: "already passed"},
	{zone: ny, now: "2026-11-30 10:00", in: "2020-01-01 10:00", err: "already passed"},
	{zone: ny, now: "2026-11-30 10:00", in: "yesterday 3pm", err: "in the past"},
	{zone: ny, now: "2026-11-30 10:00", in: "last friday", err: "in the past"},
	{zone: ny, now: "2026-11-30 10:00", in: "2 hours ago", err: "in the past"},
	{zone: ny, now: "2026-11-30 10:00", in: "now", err: "in 5 minutes"},
	{zone: ny, now: "2026-11-30 10:00", in: "today", err: "today 5pm"},
	{zone: ny, now: "2026-11-30 10:00", in: "in 3 years", err: "2 years"},
	{zone: ny, now: "2026-11-30 10:00", in: "2029-01-01 10:00", err: "2 years"},
	{zone: ny, now: "2026-11-30 10:00", in: "12/03 14:00", err: "dec 3 14:00"},
	{zone: ny, now: "2026-11-30 10:00", in: "feb 30 10am", err: "no day 30"},
	{zone: ny, now: "2026-11-30 10:00", in: "2026-02-30 10:00", err: "not a real date"},
	{zone: ny, now: "2026-11-30 10:00", in: "in 30 seconds", err: "minute"},

	// New York, spring forward: Sun 2027-03-14 02:00 EST -> 03:00 EDT.
	{zone: ny, now: "2027-03-13 10:00", in: "tomorrow 9am", want: "2027-03-14T09:00:00-04:00"},
	{zone: ny, now: "2027-03-13 10:00", in: "sunday 9am", want: "2027-03-14T09:00:00-04:00"},
	{zone: ny, now: "2027-03-13 20:00", in: "in 1 day", want: "2027-03-14T20:00:00-04:00"},
	{zone: ny, now: "2027-03-13 12:00", in: "in 24 hours", want: "2027-03-14T13:00:00-04:00"},
	{zone: ny, now: "2027-03-14 01:30", in: "in 2 hours", want: "2027-03-14T04:30:00-04:00"},
	{zone: ny, now: "2027-03-13 10:00", in: "tomorrow 2:30am", want: "2027-03-14T03:30:00-04:00",
		note: "2:30 AM does not exist on Sun Mar 14 2027 in America/New_York (clocks jump forward); using 3:30 AM EDT."},
	{zone: ny, now: "2027-03-13 10:00", in: "2027-03-14 02:30", want: "2027-03-14T07:30:00Z", note: "does not exist"},
	{zone: ny, now: "2027-03-13 10:00", in: "2027-03-14 02:00", want: "2027-03-14T03:00:00-04:00", note: "does not exist"},
	{zone: ny, now: "2027-03-13 10:00", in: "2027-03-14 01:59", want: "2027-03-14T01:59:00-05:00"},
	{zone: ny, now: "2027-03-13 10:00", in: "2027-03-14 03:00", want: "2027-03-14T03:00:00-04:00"},
	{zone: ny, now: "2027-03-13 10:00", in: "2:30am", want: "2027-03-14T03:30:00-04:00", note: "tomorrow"},

	// New York, fall back: Sun 2027-11-07 02:00 EDT -> 01:00 EST.
	{zone: ny, now: "2027-11-06 10:00", in: "tomorrow 9am", want: "2027-11-07T09:00:00-05:00"},
	{zone: ny, now: "2027-11-06 22:00", in: "in 1 day", want: "2027-11-07T22:00:00-05:00"},
	{zone: ny, now: "2027-11-07 00:30", in: "in 2 hours", want: "2027-11-07T01:30:00-05:00"},
	{zone: ny, now: "2027-11-06 10:00", in: "tomorrow 1:30am", want: "2027-11-07T05:30:00Z",
		note: "1:30 AM happens twice on Sun Nov 7 2027 in America/New_York (clocks fall back); using the first (EDT)."},
	{zone: ny, now: "2027-11-06 10:00", in: "2027-11-07 01:00", want: "2027-11-07T01:00:00-04:00", note: "twice"},
	{zone: ny, now: "2027-11-06 10:00", in: "2027-11-07 02:30", want: "2027-11-07T02:30:00-05:00"},
	{zone: ny, now: "2027-11-07T06:15:00Z", in: "3am", want: "2027-11-07T03:00:00-05:00"},

	// Berlin, spring forward: Sun 2027-03-28 02:00 CET -> 03:00 CEST.
	{zone: berlin, now: "2027-03-27 10:00", in: "tomorrow 9am", want: "2027-03-28T09:00:00+02:00"},
	{zone: berlin, now: "2027-03-27 10:00", in: "tomorrow 2:30am", want: "2027-03-28T01:30:00Z",
		note: "2:30 AM does not exist on Sun Mar 28 2027 in Europe/Berlin (clocks jump forward); using 3:30 AM CEST."},
	{zone: berlin, now: "2027-03-28 01:30", in: "in 2 hours", want: "2027-03-28T04:30:00+02:00"},
	{zone: berlin, now: "2027-03-24 10:00", in: "next monday 10:30", want: "2027-03-29T10:30:00+02:00"},
	{zone: berlin, now: "2027-03-27 18:00", in: "in 2 days", want: "2027-03-29T18:00:00+02:00"},

	// Berlin, fall back: Sun 2027-10-31 03:00 CEST -> 02:00 CET.
	{zone: berlin, now: "2027-10-30 10:00", in: "tomorrow 9am", want: "2027-10-31T09:00:00+01:00"},
	{zone: berlin, now: "2027-10-30 10:00", in: "sunday 10:00", want: "2027-10-31T10:00:00+01:00"},
	{zone: berlin, now: "2027-10-30 10:00", in: "tomorrow 2:30am", want: "2027-10-31T00:30:00Z",
		note: "2:30 AM happens twice on Sun Oct 31 2027 in Europe/Berlin (clocks fall back); using the first (CEST)."},
	{zone: berlin, now: "2027-10-30 10:00", in: "2027-10-31T02:00", want: "2027-10-31T02:00:00+02:00", note: "twice"},
	{zone: berlin, now: "2027-10-31 01:00", in: "in 3 hours", want: "2027-10-31T03:00:00+01:00"},
	{zone: berlin, now: "2027-10-30 18:00", in: "in 2 days", want: "2027-11-01T18:00:00+01:00"},
	{zone: berlin, now: "2027-10-30 10:00", in: "31 oct 3pm", want: "2027-10-31T15:00:00+01:00"},

	// Garbage: all EINVALID, none silently half-read.
	{zone: ny, now: "2026-11-25 10:00", in: "blah", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "", err: "Tell me when"},
	{zone: ny, now: "2026-11-25 10:00", in: "   ", err: "Tell me when"},
	{zone: ny, now: "2026-11-25 10:00", in: "25:99", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "tomorrow 25:99", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "tomorrow\x00 3pm", err: "characters"},
	{zone: ny, now: "2026-11-25 10:00", in: "tomorrow \xff3pm", err: "characters"},
	{zone: ny, now: "2026-11-25 10:00", in: strings.Repeat("tomorrow ", 1200), err: "too long"},
	{zone: ny, now: "2026-11-25 10:00", in: "tonight at 8", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "3pm 4pm", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "monday friday", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "12-03", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "in 2 hours at 3pm", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "tomorrow at", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "13pm", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "friday next week", err: "couldn't read"},
	{zone: ny, now: "2026-11-25 10:00", in: "december", err: "couldn't read"},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.zone+"/"+tc.now+"/"+tc.in, func(t *testing.T) {
			loc := mustLoad(t, tc.zone)
			now := at(t, tc.now, loc)
			got, err := Parse(tc.in, now, loc)
			if tc.err != "" {
				assertUserError(t, err, tc.err)
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tc.in, err)
			}
			want, perr := time.Parse(time.RFC3339, tc.want)
			if perr != nil {
				t.Fatalf("bad want %q: %v", tc.want, perr)
			}
			if !got.Time.Equal(want) {
				t.Errorf("Parse(%q) = %s, want %s", tc.in, got.Time.Format(time.RFC3339), want.In(loc).Format(time.RFC3339))
			}
			if got.Time.Location() != loc {
				t.Errorf("Parse(%q) location = %v, want %v", tc.in, got.Time.Location(), loc)
			}
			_, gotOff := got.Time.Zone()
			_, wantOff := want.In(loc).Zone()
			if gotOff != wantOff {
				t.Errorf("Parse(%q) offset = %d, want %d", tc.in, gotOff, wantOff)
			}
			switch {
			case tc.note == "" && got.Note != "":
				t.Errorf("Parse(%q) unexpected note %q", tc.in, got.Note)
			case tc.note == anyNote && got.Note == "":
				t.Errorf("Parse(%q) wants a note", tc.in)
			case tc.note != "" && tc.note != anyNote && !strings.Contains(got.Note, tc.note):
				t.Errorf("Parse(%q) note = %q, want it to contain %q", tc.in, got.Note, tc.note)
			}
		})
	}
}

// assertUserError checks the promises every error keeps: a *core.Error with
// EINVALID and a one-line message that contains want and a working example.
func assertUserError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got none", want)
	}
	e, ok := core.AsError(err)
	if !ok || e.Code != core.EINVALID {
		t.Fatalf("want *core.Error EINVALID, got %#v", err)
	}
	msg := e.Message
	if msg == "" || strings.ContainsAny(msg, "\n\r") {
		t.Errorf("message must be one non-empty line: %q", msg)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("message %q does not contain %q", msg, want)
	}
	if !strings.Contains(msg, `"`) || !(strings.Contains(msg, "Try") || strings.Contains(msg, "such as") || strings.Contains(msg, "try")) {
		t.Errorf("message %q has no example", msg)
	}
	if len(msg) > 400 {
		t.Errorf("message too long (%d bytes): %q", len(msg), msg)
	}
}

func TestIsUnrecognized(t *testing.T) {
	loc := mustLoad(t, ny)
	now := at(t, "2026-11-25 10:00", loc)
	for in, want := range map[string]bool{
		"blah":           true,
		"tomorrow 25:99": true,
		"":               true,
		"yesterday 3pm":  false,
		"today 9am":      false,
		"feb 30 10am":    false,
		"12/03":          false,
	} {
		_, err := Parse(in, now, loc)
		if err == nil {
			t.Fatalf("Parse(%q) should fail", in)
		}
		if got := IsUnrecognized(err); got != want {
			t.Errorf("IsUnrecognized(Parse(%q)) = %v, want %v", in, got, want)
		}
	}
	if IsUnrecognized(nil) {
		t.Error("IsUnrecognized(nil) = true")
	}
}

func TestParseNilLocationIsUTC(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	got, err := Parse("tomorrow 3pm", now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC); !got.Time.Equal(want) || got.Time.Location() != time.UTC {
		t.Errorf("got %v, want %v", got.Time, want)
	}
}

// TestParseIgnoresProcessZone checks that the result depends on loc only,
// never on time.Local or on the zone of now.
func TestParseIgnoresProcessZone(t *testing.T) {
	loc := mustLoad(t, berlin)
	now := at(t, "2027-03-27 10:00", loc)
	want, _ := time.Parse(time.RFC3339, "2027-03-28T09:00:00+02:00")
	for _, n := range []time.Time{now, now.UTC(), now.In(mustLoad(t, "Asia/Tokyo"))} {
		got, err := Parse("tomorrow 9am", n, loc)
		if err != nil || !got.Time.Equal(want) {
			t.Errorf("now in %v: got %v, %v; want %v", n.Location(), got.Time, err, want)
		}
	}
}

// TestParseConcurrent shares the rule table between goroutines; run with -race.
func TestParseConcurrent(t *testing.T) {
	loc := mustLoad(t, ny)
	now := at(t, "2026-11-25 10:00", loc)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if _, err := Parse("next monday 10:30", now, loc); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestResolveWallMatchesTimeDateOutsideTransitions(t *testing.T) {
	for _, name := range []string{ny, berlin, "Australia/Lord_Howe", "Asia/Kolkata", "UTC"} {
		loc := mustLoad(t, name)
		day := civil(2027, 1, 1)
		for i := 0; i < 365; i += 3 {
			d := day.AddDate(0, 0, i)
			got, note := resolveWall(d, 12, 15, loc)
			want := time.Date(d.Year(), d.Month(), d.Day(), 12, 15, 0, 0, loc)
			if !got.Equal(want) || note != "" {
				t.Fatalf("%s %s: got %v (%q), want %v", name, d.Format("2006-01-02"), got, note, want)
			}
		}
	}
}

// TestResolveWallLordHowe covers a zone whose DST shift is 30 minutes, so the
// gap and overlap logic does not assume whole hours.
func TestResolveWallLordHowe(t *testing.T) {
	loc := mustLoad(t, "Australia/Lord_Howe")
	// 2027-10-03 02:00 +10:30 -> 02:30 +11:00.
	got, note := resolveWall(civil(2027, 10, 3), 2, 15, loc)
	if want := time.Date(2027, 10, 2, 15, 45, 0, 0, time.UTC); !got.Equal(want) || !strings.Contains(note, "does not exist") {
		t.Errorf("gap: got %v (%q), want %v", got.UTC(), note, want)
	}
	// 2027-04-04 02:00 +11:00 -> 01:30 +10:30.
	got, note = resolveWall(civil(2027, 4, 4), 1, 45, loc)
	if want := time.Date(2027, 4, 3, 14, 45, 0, 0, time.UTC); !got.Equal(want) || !strings.Contains(note, "twice") {
		t.Errorf("overlap: got %v (%q), want %v", got.UTC(), note, want)
	}
}
