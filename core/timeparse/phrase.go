package timeparse

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olebedev/when/rules"
	"github.com/olebedev/when/rules/common"
	"github.com/olebedev/when/rules/en"
)

// dateKind says which day a phrase names, before it is tied to a calendar.
type dateKind int

const (
	dateNone     dateKind = iota // no day given: a bare time such as "3pm"
	dateToday                    // "today", "tonight", "this evening"
	dateTomorrow                 // "tomorrow"
	dateWeekday                  // "friday", "next monday"
	dateMonthDay                 // "dec 3", "3rd of march": the year is chosen later
	dateExact                    // "2026-12-03": year, month and day given
	dateRelative                 // "in 3 days", "in 2 weeks": wall-clock offset from today
)

// phrase is what a time phrase says, with no calendar or zone applied yet.
// Keeping the meaning apart from the arithmetic lets resolve do all the
// calendar work in wall-clock terms and convert to an instant exactly once.
type phrase struct {
	date    dateKind
	weekday time.Weekday
	next    bool // "next monday": strictly after today
	this    bool // "this monday", "this morning": no rolling to next week or day
	tonight bool // "tonight": today, 8 PM unless a time is given

	year  int // dateExact only
	month time.Month
	day   int

	relDays, relMonths, relYears int // dateRelative

	hasClock     bool
	hour, minute int
	clockNote    string // set when the clock was inferred from a word ("morning")

	relative bool          // "in 2 hours": an exact offset from now; excludes everything else
	instant  time.Duration // the offset when relative
}

// ruleKind names the olebedev/when rule that recognised part of a phrase.
type ruleKind int

const (
	kindWeekday ruleKind = iota
	kindCasualDate
	kindCasualTime
	kindHour
	kindHourMinute
	kindDeadline
	kindPastTime
	kindMonthDate
	kindSlashDate
)

// recognizers are the en and common rules of olebedev/when. They are built
// once (each compiles a regular expression) and only read afterwards: Find
// does not modify a rule, so sharing them between goroutines is safe.
var recognizers = []struct {
	kind ruleKind
	rule rules.Rule
}{
	{kindWeekday, en.Weekday(rules.Override)},
	{kindCasualDate, en.CasualDate(rules.Override)},
	{kindCasualTime, en.CasualTime(rules.Override)},
	{kindHour, en.Hour(rules.Override)},
	{kindHourMinute, en.HourMinute(rules.Override)},
	{kindDeadline, en.Deadline(rules.Override)},
	{kindPastTime, en.PastTime(rules.Override)},
	{kindMonthDate, en.ExactMonthDate(rules.Override)},
	{kindSlashDate, common.SlashDMY(rules.Override)},
}

// piece is one recognised part of the text.
type piece struct {
	kind  ruleKind
	left  int
	right int
	caps  []string
}

// capture returns the i-th capture group of the rule's match, trimmed, or ""
// when the rule has fewer groups.
func (pc piece) capture(i int) string {
	if i < len(pc.caps) {
		return strings.TrimSpace(pc.caps[i])
	}
	return ""
}

// parsePhrase recognises text (already normalised) with the when rules and
// requires the recognised pieces to cover all of it, apart from the filler
// words "at" and "on". input is the user's original text, for messages.
func parsePhrase(text, input string) (*phrase, error) {
	pieces := findPieces(text)
	if !covers(text, pieces) {
		return nil, unreadable(input)
	}
	// Conflicts first: two days, two clock times, or an offset from now with
	// anything else ("in 2 hours at 3pm") are not one phrase, which matters
	// more than whether each piece alone makes sense.
	dates, clocks, offsets := 0, 0, 0
	for _, pc := range pieces {
		d, c, o := classify(pc)
		dates, clocks, offsets = dates+d, clocks+c, offsets+o
	}
	if dates > 1 || clocks > 1 || (offsets > 0 && len(pieces) > 1) {
		return nil, unreadable(input)
	}
	p := &phrase{}
	for _, pc := range pieces {
		if err := p.apply(pc, text, input); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// classify counts what a piece names: a day, a clock time, or an offset
// from now ("in 2 hours"). Each may appear once in a phrase.
func classify(pc piece) (date, clock, offset int) {
	capAt := pc.capture
	switch pc.kind {
	case kindCasualTime:
		if capAt(1) == "this" {
			return 1, 1, 0 // "this morning" is today, in the morning
		}
		return 0, 1, 0
	case kindHour, kindHourMinute:
		return 0, 1, 0
	case kindDeadline:
		unit := capAt(2)
		if strings.HasPrefix(unit, "min") || strings.HasPrefix(unit, "hour") || strings.HasPrefix(unit, "second") ||
			(strings.HasPrefix(capAt(1), "half") && strings.HasPrefix(unit, "day")) {
			return 0, 0, 1
		}
	}
	return 1, 0, 0
}

// findPieces runs every rule on text and keeps the pieces that are not
// contained in a longer one ("30am" inside "10:30am"), sorted by position.
func findPieces(text string) []piece {
	var all []piece
	for _, r := range recognizers {
		m := r.rule.Find(text)
		if m == nil || m.Left < 0 || m.Right <= m.Left || m.Right > len(text) {
			continue
		}
		all = append(all, piece{kind: r.kind, left: m.Left, right: m.Right, caps: m.Captures})
	}
	var kept []piece
	for i, a := range all {
		inside := false
		for j, b := range all {
			if i != j && b.left <= a.left && a.right <= b.right && b.right-b.left > a.right-a.left {
				inside = true
				break
			}
		}
		if !inside {
			kept = append(kept, a)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].left < kept[j].left })
	return kept
}

// covers reports whether pieces account for the whole text: no overlaps, and
// between them only spaces, commas and the words "at" and "on" (and nothing
// at all after the last piece).
func covers(text string, pieces []piece) bool {
	if len(pieces) == 0 {
		return false
	}
	pos := 0
	for _, pc := range pieces {
		if pc.left < pos {
			return false // two rules claim the same characters
		}
		for _, w := range strings.FieldsFunc(text[pos:pc.left], func(r rune) bool { return r == ' ' || r == ',' }) {
			if w != "at" && w != "on" {
				return false
			}
		}
		pos = pc.right
	}
	return strings.TrimSpace(text[pos:]) == ""
}

// apply records what one piece says in p, or returns why it cannot be used.
func (p *phrase) apply(pc piece, text, input string) error {
	capAt := pc.capture
	switch pc.kind {
	case kindWeekday: // [this|last|past|next] day [this|last|past|next week]
		return p.applyWeekday(pc.capture, input)

	case kindCasualDate: // now | today | tonight | tomorrow | yesterday | last night
		return p.applyCasualDate(pc.capture(0), input)

	case kindCasualTime: // [this] morning | afternoon | evening | noon
		return p.applyCasualTime(pc.capture, input)

	case kindHour: // 3pm, 11 a.m.
		h, err := strconv.Atoi(capAt(0))
		ampm := capAt(1)
		if err != nil || h < 1 || h > 12 || ampm == "" {
			return unreadable(input)
		}
		p.hasClock, p.hour, p.minute = true, to24(h, ampm), 0
		return nil

	case kindHourMinute: // 15:00, 10:30am
		return p.applyHourMinute(pc, text, input)

	case kindDeadline: // in 2 hours, in 3 days, in a week, in half an hour
		return p.applyDeadline(capAt(1), capAt(2), input)

	case kindPastTime: // 2 hours ago
		return pastWord(input)

	case kindMonthDate: // dec 3, 3rd of march, december 3rd
		return p.applyMonthDate(capAt(0), capAt(1), capAt(2), capAt(3), capAt(4), input)

	case kindSlashDate: // 12/03 means 12 March to some readers and December 3 to others
		return invalid("%q could be read as two different dates. Write the month as a word, such as \"dec 3 14:00\", or use \"2026-12-03 14:00\".",
			text[pc.left:pc.right])
	}
	return unreadable(input)
}

// applyWeekday handles "[this|next] friday"; "last friday" is in the past.
func (p *phrase) applyWeekday(capAt func(int) string, input string) error {
	day, ok := en.WEEKDAY_OFFSET[capAt(1)]
	if !ok || capAt(2) != "" {
		return unreadable(input) // "friday next week" is not supported
	}
	switch capAt(0) {
	case "last", "past":
		return pastWord(input)
	case "next":
		p.next = true
	case "this":
		p.this = true
	}
	p.date, p.weekday = dateWeekday, time.Weekday(day)
	return nil
}

// applyCasualDate handles today, tonight and tomorrow.
func (p *phrase) applyCasualDate(word, input string) error {
	switch w := strings.Join(strings.Fields(word), " "); w {
	case "today":
		p.date = dateToday
	case "tonight":
		p.date, p.tonight = dateToday, true
	case "tomorrow", "tmr":
		p.date = dateTomorrow
	case "yesterday", "last night":
		return pastWord(input)
	default: // "now" inside a longer phrase
		return unreadable(input)
	}
	return nil
}

// applyCasualTime handles morning, afternoon, evening and noon, saying
// which clock time a vague word was taken as.
func (p *phrase) applyCasualTime(capAt func(int) string, input string) error {
	word, h := capAt(2), 0
	switch word {
	case "morning":
		h = 8
	case "afternoon":
		h = 15
	case "evening":
		h = 18
	case "noon":
		h = 12
	default:
		return unreadable(input)
	}
	p.hasClock, p.hour, p.minute = true, h, 0
	if word != "noon" {
		p.clockNote = "I took \"" + word + "\" as " + formatClock(h, 0) + "."
	}
	if capAt(1) == "this" {
		p.date, p.this = dateToday, true
	}
	return nil
}

// applyHourMinute handles 15:00 and 10:30am.
func (p *phrase) applyHourMinute(pc piece, text, input string) error {
	capAt := pc.capture
	if strings.Contains(text[pc.left:pc.right], "-") {
		return unreadable(input) // "12-03" is a date, not 12:03
	}
	h, err1 := strconv.Atoi(capAt(0))
	m, err2 := strconv.Atoi(capAt(1))
	ampm := capAt(2)
	if err1 != nil || err2 != nil || m > 59 || h > 23 || (ampm != "" && (h < 1 || h > 12)) {
		return unreadable(input)
	}
	if ampm != "" {
		h = to24(h, ampm)
	}
	p.hasClock, p.hour, p.minute = true, h, m
	return nil
}

// applyDeadline handles "in N <unit>". Minutes and hours are exact offsets
// from now; days and longer keep the wall clock, so "in 3 days" across a DST
// change is still the same time of day.
func (p *phrase) applyDeadline(num, unit, input string) error {
	n, err := 0, error(nil)
	half := strings.HasPrefix(num, "half")
	switch {
	case half:
	case num == "a" || num == "an":
		n = 1
	case len(num) <= 5 && num != "" && num[0] >= '0' && num[0] <= '9':
		n, err = strconv.Atoi(num)
		if err != nil {
			return unreadable(input)
		}
	default:
		v, ok := en.INTEGER_WORDS[num]
		if !ok { // "a few" is too vague for a meeting
			return unreadable(input)
		}
		n = v
	}
	switch {
	case strings.HasPrefix(unit, "second"):
		return invalid("Meetings start on the minute; try \"in 1 minute\" or \"in 2 hours\".")
	case strings.HasPrefix(unit, "min") && !half:
		p.relative, p.instant = true, time.Duration(n)*time.Minute
	case strings.HasPrefix(unit, "hour") && half:
		p.relative, p.instant = true, 30*time.Minute
	case strings.HasPrefix(unit, "hour"):
		p.relative, p.instant = true, time.Duration(n)*time.Hour
	case strings.HasPrefix(unit, "day") && half:
		p.relative, p.instant = true, 12*time.Hour
	case half:
		return unreadable(input)
	case strings.HasPrefix(unit, "day"):
		p.date, p.relDays = dateRelative, n
	case strings.HasPrefix(unit, "week"):
		p.date, p.relDays = dateRelative, 7*n
	case strings.HasPrefix(unit, "month"):
		p.date, p.relMonths = dateRelative, n
	case strings.HasPrefix(unit, "year"):
		p.date, p.relYears = dateRelative, n
	default:
		return unreadable(input)
	}
	return nil
}

// applyMonthDate handles a month name with exactly one day number or ordinal.
func (p *phrase) applyMonthDate(ord1, num1, mon, ord2, num2, input string) (err error) {
	month, ok := en.MONTH_OFFSET[mon]
	if !ok {
		return unreadable(input)
	}
	given := 0
	day := 0
	for _, s := range []string{ord1, ord2} {
		if s != "" {
			given++
			day, ok = en.ORDINAL_WORDS[strings.Join(strings.Fields(s), " ")]
			if !ok {
				return unreadable(input)
			}
		}
	}
	for _, s := range []string{num1, num2} {
		if s != "" {
			given++
			if len(s) > 2 {
				return unreadable(input)
			}
			if day, err = strconv.Atoi(s); err != nil {
				return unreadable(input)
			}
		}
	}
	if given != 1 || day < 1 {
		return unreadable(input) // a month alone, or two day numbers
	}
	if day > 31 || (month == 2 && day > 29) || (day > 30 && daysIn(2001, time.Month(month)) < 31) {
		return invalid("%s has no day %d. Try %s.", time.Month(month), day, examples)
	}
	p.date, p.month, p.day = dateMonthDay, time.Month(month), day
	return nil
}

// to24 converts a 12-hour clock hour with its am/pm marker to 0-23.
// 12am is midnight and 12pm is noon.
func to24(h int, ampm string) int {
	h %= 12
	if ampm != "" && (ampm[0] == 'p' || ampm[0] == 'P') {
		h += 12
	}
	return h
}

// pastWord is the error for phrases that can only mean the past
// ("yesterday", "last monday", "2 hours ago").
func pastWord(input string) error {
	return invalid("%q is in the past. Give a time in the future, such as \"tomorrow 3pm\" or \"next monday 10:30\".", input)
}
