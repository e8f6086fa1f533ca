// Package timeparse owns turning what a person types ("tomorrow 3pm",
// "next monday 10:30", "in 2 hours") into an instant in their IANA zone, and
// turning durations ("1h30m", "45 min") into time.Duration values.
//
// It exists so that every chat adapter reads times the same way and so that
// the awkward cases live in one place: whole-input matching (a half-understood
// phrase is an error, never a silent guess), wall-clock arithmetic that stays
// right across daylight-saving changes, local times that do not exist or
// happen twice, and times that have already passed.
//
// Recognition uses the English and common rules of github.com/olebedev/when.
// The meaning of each recognised piece and the wall-clock to instant step are
// ours, because the library's own arithmetic adds days as 24-hour durations
// (an hour off across a DST change when no clock time is given), reads 12am
// as noon, rolls "feb 30" into March and leaves DST gaps to time.Date.
package timeparse

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/meetbot/meetbot/core"
)

// MaxInputLen is the longest time phrase, in bytes, that Parse reads. Real
// phrases are far shorter; the cap keeps hostile input cheap to reject.
const MaxInputLen = 100

// MaxYearsAhead is how far into the future, in calendar years, Parse accepts
// a time. Anything further is almost always a typo (a wrong year), and the
// cap bounds what the scheduler has to keep.
const MaxYearsAhead = 2

// examples is the hint appended to "could not read" errors; every phrase in it
// is accepted by Parse.
const examples = `"tomorrow 3pm", "next monday 10:30", "in 2 hours" or "2026-12-03 14:00"`

// Result is a parsed start time. Note carries a decision the user should see
// and confirm, because the time is not exactly what they typed.
type Result struct {
	// Time is the instant, in the location passed to Parse.
	Time time.Time
	// Note is empty when the phrase meant exactly one instant. Otherwise it
	// is one or more plain sentences, for example that 2:30 AM does not exist
	// on that day and 3:30 AM was used, or that a bare time was moved to
	// tomorrow because it had already passed today.
	Note string
}

// unrecognizedError marks an error as "this text is not a time phrase at
// all", as opposed to a phrase that was understood but cannot be used (a time
// in the past, February 30). Callers that search a longer line for a time,
// such as the /meet grammar, need that difference.
type unrecognizedError struct{}

func (unrecognizedError) Error() string { return "not a time phrase" }

// IsUnrecognized reports whether err means the text was not recognised as a
// time at all. It is false for phrases that were understood but rejected (in
// the past, too far ahead, an impossible date), so a caller looking for where
// a time starts inside a longer line can report those problems instead of a
// vague "I couldn't read it".
func IsUnrecognized(err error) bool {
	var u unrecognizedError
	return errors.As(err, &u)
}

// unreadable builds the standard "could not read" error for input.
func unreadable(input string) error {
	return core.Wrap(core.EINVALID, unrecognizedError{},
		fmt.Sprintf("I couldn't read %q as a time. Try %s.", input, examples))
}

// invalid builds an error for a phrase that was understood but cannot be used.
func invalid(format string, args ...any) error {
	return core.Errorf(core.EINVALID, format, args...)
}

// Parse reads input as a start time relative to now, in the user's zone loc
// (UTC when loc is nil). The whole input must be understood, so a typo never
// turns into a silently different time. A result is always strictly after
// now and at most MaxYearsAhead years ahead, and Note explains any choice
// the user should check. Every error is a *core.Error with code EINVALID
// whose message is one sentence with a working example; IsUnrecognized tells
// "not a time" apart from "a time that cannot be used". The package tests
// list the accepted phrasings.
func Parse(input string, now time.Time, loc *time.Location) (Result, error) {
	if loc == nil {
		loc = time.UTC
	}
	trimmed := strings.TrimSpace(input)
	if len(trimmed) > MaxInputLen {
		return Result{}, core.Wrap(core.EINVALID, unrecognizedError{},
			fmt.Sprintf("That time is too long to read (over %d characters). Try %s.", MaxInputLen, examples))
	}
	if trimmed == "" {
		return Result{}, core.Wrap(core.EINVALID, unrecognizedError{},
			fmt.Sprintf("Tell me when, such as %s.", examples))
	}
	text, ok := normalize(trimmed)
	if !ok {
		return Result{}, core.Wrap(core.EINVALID, unrecognizedError{},
			fmt.Sprintf("That time contains characters I can't read. Try %s.", examples))
	}
	if text == "now" || text == "right now" {
		return Result{}, invalid(`"now" has already begun; give a start in the future, such as "in 5 minutes" or "tomorrow 3pm".`)
	}

	nowL := now.In(loc)
	if t, ok := parseRFC3339(text); ok {
		return check(Result{Time: t.In(loc)}, trimmed, nowL)
	}
	p, err := parseISO(text, trimmed)
	if err == nil && p == nil {
		p, err = parsePhrase(text, trimmed)
		if err != nil && IsUnrecognized(err) {
			if d, ok := parseInDuration(text); ok {
				p, err = &phrase{relative: true, instant: d}, nil
			}
		}
	}
	if err != nil {
		return Result{}, err
	}
	r, err := resolve(*p, trimmed, nowL, loc)
	if err != nil {
		return Result{}, err
	}
	return check(r, trimmed, nowL)
}

// check enforces the two promises every result keeps: strictly after now,
// and not more than MaxYearsAhead years away.
func check(r Result, input string, now time.Time) (Result, error) {
	if !r.Time.After(now) {
		return Result{}, pastError(input, r.Time)
	}
	if limit := now.AddDate(MaxYearsAhead, 0, 0); r.Time.After(limit) {
		return Result{}, invalid("%q (%s) is more than %d years away; pick a date before %s, such as \"next monday 10:30\".",
			input, formatInstant(r.Time), MaxYearsAhead, limit.Format("Jan 2 2006"))
	}
	return r, nil
}

// pastError names the time that has passed and shows a phrase that works.
func pastError(input string, t time.Time) error {
	return invalid("%q (%s) has already passed. Give a time in the future, such as \"tomorrow 3pm\" or \"in 2 hours\".",
		input, formatInstant(t))
}

// normalize lower-cases text, turns runs of white space into one space and
// expands a few common abbreviations the rules do not know. It reports false
// for invalid UTF-8 and for control characters other than tabs.
func normalize(s string) (string, bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	for _, r := range s {
		if r != '\t' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') {
			return "", false
		}
	}
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		switch w {
		case "tues":
			words[i] = "tue"
		case "thurs":
			words[i] = "thu"
		case "tmrw", "tmw":
			words[i] = "tomorrow"
		}
	}
	return strings.Join(words, " "), true
}

// parseRFC3339 accepts a full timestamp with an explicit offset, such as
// "2026-12-03T14:00:00+01:00". Such input names an instant, so no zone rules
// apply.
func parseRFC3339(text string) (time.Time, bool) {
	up := strings.ToUpper(text)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, up); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// isoDate finds an ISO date at the start of the text, with what follows it.
var isoDate = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})(?:t| (?:at )?|$)(.*)$`)

// parseISO reads "2026-12-03 14:00", "2026-12-03T14:00", "2026-12-03" and
// "2026-12-03 at 3pm". It returns nil, nil when text does not start with an
// ISO date, so the natural-language path can try it.
func parseISO(text, input string) (*phrase, error) {
	// The full forms are read by time.ParseInLocation in UTC so that only the
	// wall-clock fields are taken; the user's zone is applied by resolveWall,
	// which handles DST gaps and overlaps correctly.
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02t15:04", "2006-01-02"} {
		t, err := time.ParseInLocation(layout, text, time.UTC)
		if err != nil {
			continue
		}
		p := &phrase{date: dateExact, year: t.Year(), month: t.Month(), day: t.Day()}
		if layout != "2006-01-02" {
			p.hasClock, p.hour, p.minute = true, t.Hour(), t.Minute()
		}
		return p, nil
	}
	m := isoDate.FindStringSubmatch(text)
	if m == nil {
		return nil, nil
	}
	d, err := time.ParseInLocation("2006-01-02", m[1], time.UTC)
	if err != nil {
		return nil, invalid("%q is not a real date. Try %s.", m[1], examples)
	}
	if strings.TrimSpace(m[2]) == "" {
		return nil, unreadable(input)
	}
	clock, err := parsePhrase(m[2], input)
	if err != nil {
		return nil, err
	}
	if !clock.hasClock || clock.date != dateNone || clock.relative {
		return nil, unreadable(input)
	}
	clock.date, clock.year, clock.month, clock.day = dateExact, d.Year(), d.Month(), d.Day()
	return clock, nil
}

// formatInstant renders t the way notes and errors show it to people.
func formatInstant(t time.Time) string {
	return t.Format("Mon Jan 2 2006 3:04 PM MST")
}

// formatClock renders a wall-clock time such as "2:30 AM".
func formatClock(hour, minute int) string {
	return time.Date(2000, 1, 1, hour, minute, 0, 0, time.UTC).Format("3:04 PM")
}
