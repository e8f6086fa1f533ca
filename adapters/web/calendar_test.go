package web_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// The public meeting pages: GET /meetings/{code}.ics (the calendar file) and
// GET /meetings/{code} (the info page), on the same real parts as the join
// tests. Files are parsed back with golang-ical and their recurrence
// expanded with rrule-go, so what a calendar app sees is checked against
// what core schedules.

var nyc = testenv.MustZone("America/New_York")

const weekly = "FREQ=WEEKLY;BYDAY=MO"

// series schedules a weekly Monday series as ana.
func (e *env) series(title string, start time.Time, d time.Duration, zone string, invitees ...string) *core.Meeting {
	e.tb.Helper()
	m, err := e.svc.Schedule(context.Background(), ana, core.ScheduleRequest{
		Title: title, Start: start, Duration: d, TimeZone: zone, Recurrence: weekly, Invitees: invitees,
	})
	if err != nil {
		e.tb.Fatalf("schedule series: %v", err)
	}
	return m
}

// meeting reloads m as core sees it now (after skips, moves, cancels).
func (e *env) meeting(m *core.Meeting) *core.Meeting {
	e.tb.Helper()
	got, err := e.svc.PublicMeeting(context.Background(), e.svc.CalendarCode(m))
	if err != nil {
		e.tb.Fatalf("public meeting: %v", err)
	}
	return got
}

// infoPath is the meeting's public info page on the test server.
func (e *env) infoPath(m *core.Meeting) string {
	e.tb.Helper()
	p, ok := strings.CutPrefix(e.svc.InfoURL(m), e.srv.URL)
	if !ok || !strings.HasPrefix(p, "/meetings/") {
		e.tb.Fatalf("info URL %q is not on %s/meetings/", e.svc.InfoURL(m), e.srv.URL)
	}
	if e.svc.CalendarURL(m) != e.svc.InfoURL(m)+".ics" {
		e.tb.Fatalf("calendar URL %q is not the info URL + .ics", e.svc.CalendarURL(m))
	}
	return p
}

// fetchCalendar GETs the meeting's .ics, checks its headers and parses it.
func (e *env) fetchCalendar(t *testing.T, m *core.Meeting) (*ics.Calendar, response) {
	t.Helper()
	r := e.get(e.infoPath(m) + ".ics")
	wantStatus(t, r, http.StatusOK)
	for k, v := range map[string]string{
		"Content-Type":        "text/calendar; charset=utf-8",
		"Content-Disposition": web.ICSDisposition(m),
		"Cache-Control":       "no-store",
		"Referrer-Policy":     "no-referrer",
	} {
		if got := r.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	cal, err := ics.ParseCalendar(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse .ics: %v\n%s", err, r.body)
	}
	return cal, r
}

func prop(t *testing.T, c *ics.ComponentBase, p ics.ComponentProperty) *ics.IANAProperty {
	t.Helper()
	v := c.GetProperty(p)
	if v == nil {
		t.Fatalf("no %s", p)
	}
	return v
}

// wantLocal checks a DATE-TIME property is a wall time with the zone's TZID.
func wantLocal(t *testing.T, c *ics.ComponentBase, p ics.ComponentProperty, tzid, wall string) {
	t.Helper()
	v := prop(t, c, p)
	if got := v.ICalParameters["TZID"]; len(got) != 1 || got[0] != tzid {
		t.Errorf("%s TZID = %v, want %s", p, got, tzid)
	}
	if v.Value != wall {
		t.Errorf("%s = %q, want %q", p, v.Value, wall)
	}
}

func calProp(cal *ics.Calendar, name ics.Property) string {
	for _, p := range cal.CalendarProperties {
		if p.IANAToken == string(name) {
			return p.Value
		}
	}
	return ""
}

func TestCalendarFileDescribesSeries(t *testing.T) {
	e := newEnv(t, envOpts{})
	start := time.Date(2027, 3, 1, 10, 0, 0, 0, nyc)
	m := e.series("Team sync; weekly, all hands", start, 30*time.Minute, "America/New_York")
	cal, r := e.fetchCalendar(t, m)

	if got := calProp(cal, ics.PropertyMethod); got != "PUBLISH" {
		t.Errorf("METHOD = %q", got)
	}
	if got := calProp(cal, ics.PropertyProductId); !strings.Contains(got, "meetbot") {
		t.Errorf("PRODID = %q", got)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	ev := &evs[0].ComponentBase
	uid := ev.Id()
	if !strings.HasSuffix(uid, "@meetbot") || strings.Contains(uid, e.svc.CalendarCode(m)) {
		t.Errorf("UID = %q", uid)
	}
	wantLocal(t, ev, ics.ComponentPropertyDtStart, "America/New_York", "20270301T100000")
	wantLocal(t, ev, ics.ComponentPropertyDtEnd, "America/New_York", "20270301T103000")
	if s, err := ev.GetStartAt(); err != nil || !s.Equal(start) {
		t.Errorf("DTSTART parses to %v (%v), want %v", s, err, start)
	}
	for p, want := range map[ics.ComponentProperty]string{
		ics.ComponentPropertyRrule:       weekly,
		ics.ComponentPropertySummary:     "Team sync; weekly, all hands",
		ics.ComponentPropertyDescription: "Join from chat with /meet join " + m.ID + "; links are personal.",
		ics.ComponentPropertyUrl:         e.svc.InfoURL(m),
		ics.ComponentPropertyStatus:      "CONFIRMED",
	} {
		if got := prop(t, ev, p).Value; got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if ev.GetProperty(ics.ComponentPropertyExdate) != nil || ev.GetProperty(ics.ComponentPropertyDtstamp) == nil {
		t.Error("want a DTSTAMP and no EXDATE")
	}
	if tzs := cal.Timezones(); len(tzs) != 1 || prop(t, &tzs[0].ComponentBase, ics.ComponentPropertyTzid).Value != "America/New_York" {
		t.Errorf("want one VTIMEZONE for America/New_York")
	}
	// Same UID on every download: calendars update the event, not add one.
	again, _ := e.fetchCalendar(t, m)
	if again.Events()[0].Id() != uid {
		t.Error("UID changed between downloads")
	}
	wantNotInBody(t, r, "/j/") // the info URL (with its public code) is the only link

	h := e.do(http.MethodHead, e.infoPath(m)+".ics")
	wantStatus(t, h, http.StatusOK)
	if h.body != "" || h.header.Get("Content-Type") != "text/calendar; charset=utf-8" || h.header.Get("Content-Length") == "" {
		t.Errorf("HEAD: body %q, headers %v", h.body, h.header)
	}
}

func TestCalendarFileOfCancelledMeeting(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	m := e.series("Weekly sync", time.Date(2027, 2, 22, 10, 0, 0, 0, nyc), 30*time.Minute, "America/New_York")
	if _, _, err := e.svc.Move(ctx, ana, m.ID, time.Date(2027, 2, 23, 9, 0, 0, 0, nyc), false); err != nil {
		t.Fatalf("move: %v", err)
	}
	if _, err := e.svc.Cancel(ctx, ana, m.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	cal, _ := e.fetchCalendar(t, m)
	if len(cal.Events()) != 2 {
		t.Fatalf("%d events, want 2", len(cal.Events()))
	}
	for _, ev := range cal.Events() {
		if got := prop(t, &ev.ComponentBase, ics.ComponentPropertyStatus).Value; got != "CANCELLED" {
			t.Errorf("STATUS = %q, want CANCELLED", got)
		}
		if got := prop(t, &ev.ComponentBase, ics.ComponentPropertyDescription).Value; strings.Contains(got, "/meet join") {
			t.Errorf("DESCRIPTION of a cancelled meeting offers joining: %q", got)
		}
	}
	r := e.get(e.infoPath(m))
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "This meeting was cancelled.", "Cancelled")
	wantNotInBody(t, r, "Next occurrences", "Join from chat", "/meet join", "Add to your calendar")
}

// TestPublicPagesCarryNoSecrets: after people joined, neither page holds a
// token, a join link or an invitee, and a one-off meeting has no RRULE.
func TestPublicPagesCarryNoSecrets(t *testing.T) {
	e := newEnv(t, envOpts{})
	m, err := e.svc.Schedule(context.Background(), ana, core.ScheduleRequest{
		Title: "Quick sync", Start: t0.Add(2 * time.Minute), Duration: 30 * time.Minute,
		TimeZone: "America/New_York", Invitees: []string{"invitee-zed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	link := e.join(ana, m.ID)
	joinCode := strings.TrimPrefix(link, "/j/")
	secrets := []string{e.token(wsLocal, m.ID, "ana"), joinCode, "/j/", "invitee-zed"}

	cal, r := e.fetchCalendar(t, m)
	wantNotInBody(t, r, secrets...)
	ev := &cal.Events()[0].ComponentBase
	if ev.GetProperty(ics.ComponentPropertyRrule) != nil || len(cal.Events()) != 1 {
		t.Error("a one-off meeting has an RRULE or more than one event")
	}
	wantLocal(t, ev, ics.ComponentPropertyDtStart, "America/New_York", t0.Add(2*time.Minute).Format("20060102T150405"))

	info := e.get(e.infoPath(m))
	wantStatus(t, info, http.StatusOK)
	wantJoinHeaders(t, info)
	wantNotInBody(t, info, secrets...)
	wantBody(t, info, "Quick sync", "/meet join "+m.ID, "30 min", e.infoPath(m)+".ics", "America/New_York")
	if got := info.header.Get("X-Robots-Tag"); !strings.Contains(got, "noindex") {
		t.Errorf("X-Robots-Tag = %q", got)
	}
	if !strings.Contains(info.body, `<meta name="robots" content="noindex, nofollow">`) {
		t.Error("info page lacks the robots meta")
	}
	if strings.Contains(info.body, "<script") {
		t.Error("info page has a script")
	}
}

func TestInfoPageListsNextOccurrences(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	start := time.Date(2027, 3, 1, 10, 0, 0, 0, nyc)
	m := e.series("Weekly sync", start, time.Hour, "America/New_York")
	if _, _, err := e.svc.Skip(ctx, ana, m.ID, time.Date(2027, 3, 15, 0, 0, 0, 0, nyc)); err != nil {
		t.Fatalf("skip: %v", err)
	}
	if _, _, err := e.svc.Move(ctx, ana, m.ID, time.Date(2027, 3, 2, 16, 0, 0, 0, nyc), false); err != nil {
		t.Fatalf("move: %v", err)
	}
	r := e.get(e.infoPath(m))
	wantStatus(t, r, http.StatusOK)
	wantJoinHeaders(t, r)
	wantBody(t, r, "Weekly sync", "Next occurrences", "1 h", "Scheduled", "/meet join "+m.ID)
	items := regexp.MustCompile(`<li>([^<]*)</li>`).FindAllStringSubmatch(r.body, -1)
	var got []string
	for _, it := range items {
		got = append(got, it[1])
	}
	// The move comes first at its new time; Mar 15 is named as skipped
	// among the five listed.
	want := []string{
		"Tue Mar 2 2027, 16:00 EST (moved from Mon Mar 1 2027, 10:00 EST)",
		"Mon Mar 8 2027, 10:00 EST",
		"Mon Mar 15 2027, 10:00 EDT (skipped)",
		"Mon Mar 22 2027, 10:00 EDT",
		"Mon Mar 29 2027, 10:00 EDT",
		"Mon Apr 5 2027, 10:00 EDT",
	}
	if !slices.Equal(got, want) {
		t.Errorf("next occurrences:\n got %q\nwant %q", got, want)
	}

	h := e.do(http.MethodHead, e.infoPath(m))
	wantStatus(t, h, http.StatusOK)
	if h.body != "" || !strings.HasPrefix(h.header.Get("Content-Type"), "text/html") {
		t.Errorf("HEAD: body %q, Content-Type %q", h.body, h.header.Get("Content-Type"))
	}

	// Once everything is over, the page says so.
	one := e.schedule(ana, "One-off", t0.Add(time.Hour), 30*time.Minute)
	e.clock.Set(t0.Add(2 * time.Hour))
	over := e.get(e.infoPath(one))
	wantBody(t, over, "Over")
	wantNotInBody(t, over, "Join from chat", "Add to your calendar")
}

// TestBadCalendarCodes: forged, tampered, oversized and join-link codes
// are a plain 404 with the protective headers, on both routes; a calendar
// code is no join link either.
func TestBadCalendarCodes(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	p := e.infoPath(m)
	code := strings.TrimPrefix(p, "/meetings/")
	joinCode := strings.TrimPrefix(e.join(ana, m.ID), "/j/")
	flipped := []byte(code)
	flipped[len(flipped)/2] ^= 1 // a character still in the base64url alphabet
	if flipped[len(flipped)/2] == '-'^1 || flipped[len(flipped)/2] == '_'^1 {
		flipped[len(flipped)/2] = 'A'
	}
	if len(code) > 60 {
		t.Errorf("public code %q is %d characters; it must stay short enough for a Discord event location", code, len(code))
	}

	for _, c := range []string{
		"abc", "not.a-code", code[:len(code)-2], string(flipped), joinCode,
		code + "x", code + ".ics.ics", strings.Repeat("A", 1100), "%00", "..%2F..%2Fetc",
	} {
		for _, suffix := range []string{"", ".ics"} {
			r := e.get("/meetings/" + c + suffix)
			if r.status != http.StatusNotFound {
				t.Errorf("%.40s%s: status %d, want 404", c, suffix, r.status)
				continue
			}
			wantJoinHeaders(t, r)
			wantBody(t, r, "Calendar link not found")
			wantNotInBody(t, r, "Weekly sync")
		}
	}
	// A calendar code does not open the join route.
	if r := e.get("/j/" + code); r.status == http.StatusOK {
		t.Errorf("calendar code accepted as a join link: %d", r.status)
	}
	// The route takes GET and HEAD only; anything else, and paths that
	// can't hold a code, fall through to the protected 404 page.
	for _, req := range [][2]string{
		{http.MethodPost, p + ".ics"}, {http.MethodDelete, p},
		{http.MethodGet, "/meetings"}, {http.MethodGet, "/meetings/"}, {http.MethodGet, p + "/x"},
	} {
		r := e.do(req[0], req[1])
		if r.status != http.StatusNotFound {
			t.Errorf("%s %s: status %d, want 404", req[0], req[1], r.status)
		}
		wantJoinHeaders(t, r)
		wantNotInBody(t, r, "Weekly sync")
	}
}

// TestCalendarRoutesLogNoCode: the access log names the route pattern, not
// the path, so a calendar code (or half of one) never reaches it.
func TestCalendarRoutesLogNoCode(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.series("Weekly sync", time.Date(2027, 3, 1, 10, 0, 0, 0, nyc), 30*time.Minute, "America/New_York")
	p := e.infoPath(m)
	wantStatus(t, e.get(p), http.StatusOK)
	wantStatus(t, e.get(p+".ics"), http.StatusOK)
	wantStatus(t, e.do(http.MethodHead, p+".ics"), http.StatusOK)
	wantStatus(t, e.get(p+"AAAA.ics"), http.StatusNotFound)

	logs := e.logs.String()
	code := strings.TrimPrefix(p, "/meetings/")
	for _, s := range []string{code, code[:len(code)/2], code[len(code)/2:], p} {
		if strings.Contains(logs, s) {
			t.Errorf("logs contain a calendar code or part of one: %q", s)
		}
	}
	if !strings.Contains(logs, `"route":"GET /meetings/{code}"`) {
		t.Errorf("access log does not name the meeting route:\n%s", logs)
	}
}

// TestICSFileNameFromTitle: the download is named after the meeting, with
// the exact title as the UTF-8 name when a slug had to drop characters.
func TestICSFileNameFromTitle(t *testing.T) {
	for title, want := range map[string]string{
		"Design review":    `attachment; filename="design-review.ics"`,
		"Q3 / planning!!":  `attachment; filename="q3-planning.ics"`,
		"Réunion d'équipe": `attachment; filename="r-union-d-quipe.ics"; filename*=UTF-8''R%C3%A9union%20d%27%C3%A9quipe.ics`,
		"会議":               `attachment; filename="meeting-7.ics"; filename*=UTF-8''%E4%BC%9A%E8%AD%B0.ics`,
	} {
		if got := web.ICSDisposition(&core.Meeting{ID: "7", Title: title}); got != want {
			t.Errorf("title %q: Content-Disposition %s, want %s", title, got, want)
		}
	}
}
