package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	ics "github.com/arran4/golang-ical"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/recur"
)

// localLayout is RFC 5545's DATE-TIME in local form: with a TZID parameter
// it names a wall time in that zone. (golang-ical's SetStartAt always
// writes UTC, which a TZID would then contradict.)
const localLayout = "20060102T150405"

// calendarDescription says how to join without carrying any link: the file
// is public to whoever has its URL, and join links are personal.
const calendarDescription = "Join from chat with /meet join %s; links are personal."

// meetingZone returns the meeting's zone and the TZID to write for it. A
// zone that no longer loads falls back to UTC, as core's own rendering and
// recurrence do, so the file and the bot agree.
func meetingZone(m *core.Meeting) (string, *time.Location) {
	if loc, err := core.LoadZone(m.TimeZone); err == nil {
		return m.TimeZone, loc
	}
	return "UTC", time.UTC
}

// calendarUID is the meeting's UID in every calendar: a hash of its public
// code, so it stays the same across downloads and moves, while revealing
// neither the code nor the workspace.
func calendarUID(code string) string {
	sum := sha256.Sum256([]byte("meetbot-ics-uid\x00" + code))
	return hex.EncodeToString(sum[:16]) + "@meetbot"
}

// calendarFile renders m as an iCalendar file (METHOD:PUBLISH): a
// VTIMEZONE built from Go's tzdata, one VEVENT for the meeting or series
// (RRULE, EXDATE for skipped occurrences), and one VEVENT per moved
// occurrence with the same UID and its RECURRENCE-ID. infoURL is the public
// info page; the file never holds a token or a join link.
func calendarFile(m *core.Meeting, code, infoURL string, now time.Time) (string, error) {
	tzid, loc := meetingZone(m)
	if m.IsRecurring() && !validRuleBody(m.Recurrence) {
		return "", fmt.Errorf("meeting %s: stored recurrence %q cannot be written to a calendar", m.ID, m.Recurrence)
	}
	moved, skipped := exceptionsOf(m)

	cal := ics.NewCalendarFor("meetbot")
	cal.SetProductId("-//meetbot//meetbot calendar//EN")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ics.MethodPublish)
	cal.SetXWRCalName(plainText(m.Title))
	cal.SetXPublishedTTL("PT1H") // subscribers refresh hourly: meetings move

	from, to := m.Start, m.End()
	for _, e := range slices.Concat(moved, skipped) {
		for _, t := range []time.Time{e.Original, e.Start} {
			if !t.IsZero() {
				from, to = minTime(from, t), maxTime(to, t.Add(m.Duration))
			}
		}
	}
	if m.IsRecurring() {
		to = maxTime(to, now)
	}
	cal.AddVTimezone(buildVTimezone(tzid, loc, from, to))

	uid := calendarUID(code)
	local := func(t time.Time) string { return t.In(loc).Format(localLayout) }
	ev := cal.AddEvent(uid)
	describeEvent(ev, m, infoURL, now)
	start, startWall := seriesStart(m, loc)
	ev.SetProperty(ics.ComponentPropertyDtStart, startWall, ics.WithTZID(tzid))
	ev.SetProperty(ics.ComponentPropertyDtEnd, local(start.Add(m.Duration)), ics.WithTZID(tzid))
	if m.IsRecurring() {
		ev.AddRrule(icalRule(m.Recurrence, loc))
		for _, e := range skipped {
			ev.AddExdate(local(e.Original), ics.WithTZID(tzid))
		}
	}
	for _, e := range moved {
		o := cal.AddEvent(uid)
		describeEvent(o, m, infoURL, now)
		o.SetProperty(ics.ComponentPropertyRecurrenceId, local(e.Original), ics.WithTZID(tzid))
		o.SetProperty(ics.ComponentPropertyDtStart, local(e.Start), ics.WithTZID(tzid))
		o.SetProperty(ics.ComponentPropertyDtEnd, local(e.Start.Add(m.Duration)), ics.WithTZID(tzid))
	}
	return cal.Serialize(), nil
}

// seriesStart returns the first start to write as DTSTART, as an instant
// and as the local wall time to write. For a series it is the rule's first
// start: core (like rrule-go) counts the stored start only when the rule
// matches it, while RFC 5545 leaves an unmatched DTSTART undefined and
// most calendar apps would show it as an extra occurrence. The wall time
// keeps the stored start's clock, so a first start inside a spring-forward
// gap is written as the rule says (02:30) and read as core reads it.
func seriesStart(m *core.Meeting, loc *time.Location) (time.Time, string) {
	wall := m.Start.In(loc).Format(localLayout)
	if !m.IsRecurring() {
		return m.Start, wall
	}
	firsts, err := recur.Between(m.Recurrence, m.Start, loc, m.Start, m.Start.AddDate(200, 0, 0), 1)
	if err != nil || len(firsts) == 0 || firsts[0].Equal(m.Start) {
		return m.Start, wall
	}
	return firsts[0], firsts[0].In(loc).Format("20060102") + m.Start.In(loc).Format("T150405")
}

// icalRule writes the stored rule for a DTSTART with a TZID. RFC 5545 then
// wants UNTIL as a UTC instant, while core also accepts a local wall time
// ("20270630T235959") and a date ("20270630", the whole local day); both
// become the instant core compares against, read with recur.Date.
func icalRule(rule string, loc *time.Location) string {
	parts := strings.Split(strings.ToUpper(strings.TrimSpace(rule)), ";")
	out := parts[:0]
	for _, p := range parts {
		if v, ok := strings.CutPrefix(p, "UNTIL="); ok {
			if t, err := time.Parse(localLayout, v); err == nil {
				at, _ := recur.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), loc)
				p = "UNTIL=" + at.UTC().Format(localLayout+"Z")
			} else if t, err := time.Parse("20060102", v); err == nil {
				at, _ := recur.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, loc)
				p = "UNTIL=" + at.UTC().Format(localLayout+"Z")
			}
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ";")
}

// exceptionsOf splits a series' exceptions into moves and skips. A move is
// kept only when core applies it (its Original is one of the rule's
// starts), so the file never overrides an occurrence the rule doesn't have;
// a stray skip is harmless (an EXDATE matching nothing is ignored).
func exceptionsOf(m *core.Meeting) (moved, skipped []core.Exception) {
	if !m.IsRecurring() {
		return nil, nil
	}
	for _, e := range m.Exceptions {
		switch {
		case e.Skipped:
			skipped = append(skipped, e)
		case !e.Start.IsZero() && !e.Start.Equal(e.Original):
			// Ask for a range holding both ends of the move, so the answer
			// does not depend on how far core widens its rule scan.
			lo, hi := minTime(e.Start, e.Original), maxTime(e.Start, e.Original)
			for _, o := range m.OccurrencesBetween(lo, hi.Add(time.Nanosecond), 0) {
				if o.Original.Equal(e.Original) && o.Start.Equal(e.Start) {
					moved = append(moved, e)
					break
				}
			}
		}
	}
	return moved, skipped
}

// describeEvent sets what the series and each moved occurrence share.
func describeEvent(ev *ics.VEvent, m *core.Meeting, infoURL string, now time.Time) {
	ev.SetDtStampTime(now)
	title := plainText(m.Title)
	if title == "" {
		title = "Meeting " + m.ID
	}
	ev.SetSummary(title)
	if m.State == core.StateCancelled {
		ev.SetDescription("This meeting was cancelled.") // nothing to join
	} else {
		ev.SetDescription(fmt.Sprintf(calendarDescription, plainText(m.ID)))
	}
	if strings.HasPrefix(infoURL, "https://") || strings.HasPrefix(infoURL, "http://") {
		ev.SetURL(infoURL) // a relative URL (no public_url configured) means nothing in a calendar
	}
	// Version only grows, which is all SEQUENCE asks for, so a re-imported
	// file replaces the older copy.
	ev.SetSequence(int(min(max(m.Version, 0), math.MaxInt32)))
	if !m.CreatedAt.IsZero() {
		ev.SetCreatedTime(m.CreatedAt)
	}
	if !m.UpdatedAt.IsZero() {
		ev.SetModifiedAt(m.UpdatedAt)
	}
	if m.State == core.StateCancelled {
		ev.SetStatus(ics.ObjectStatusCancelled)
	} else {
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
}

// validRuleBody reports whether rule can go into an RRULE line verbatim:
// only the characters of RFC 5545's recur grammar, so a stored value can
// never end the line and inject a property.
func validRuleBody(rule string) bool {
	if rule == "" || len(rule) > 1024 {
		return false
	}
	for _, r := range rule {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("=;,+-", r)) {
			return false
		}
	}
	return true
}

// plainText replaces control characters with spaces. Core already refuses
// them in titles; this keeps a stored value from ever breaking a line.
func plainText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// fileSafe keeps only characters that need no quoting in a
// Content-Disposition filename.
func fileSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, s)
	if s == "" {
		return "meeting"
	}
	return s
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
