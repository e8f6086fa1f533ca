package command

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/recur"
	"github.com/meetbot/meetbot/core/timeparse"
)

// maxClockTokens is the most words a time of day takes ("at 10:30 am").
const maxClockTokens = 3

// repetition is a repeating time found in a schedule command: how it
// repeats and at what time of day. The first start is worked out by finish,
// once the options that end a series are known.
type repetition struct {
	rule         string // RRULE body; a raw rule may already carry COUNT or UNTIL
	hour, minute int
	note         string    // set when a word stood for the time ("morning")
	from         time.Time // a raw rule's typed date and time: start there or later; zero means now
}

// invalid turns one of recur's plain errors, whose text is already a
// sentence for the user, into the EINVALID error every adapter knows how to
// show.
func invalid(err error) error {
	return core.Errorf(core.EINVALID, "%s", err.Error())
}

// repetition reads toks as a repetition plus a time of day, in either order
// ("weekdays 9:30", "9:30 weekdays", "every monday at 10am"). It returns
// nil, nil when toks are not a repetition, so the caller can try them as a
// one-off time, and an error when they are one that cannot be used: without
// a time ("weekdays" alone), or incomplete ("monthly 9am").
func (s *scheduleSearch) repetition(toks []token) (*repetition, error) {
	n := len(toks)
	for j := max(1, n-maxClockTokens); j < n; j++ {
		if rep, ok, err := s.tryRepetition(toks[:j], toks[j:], true); ok {
			return rep, err
		}
	}
	for j := 1; j <= min(maxClockTokens, n-1); j++ {
		if rep, ok, err := s.tryRepetition(toks[j:], toks[:j], false); ok {
			return rep, err
		}
	}
	phrase := join(toks)
	_, err := recur.ParsePhrase(phrase)
	switch {
	case errors.Is(err, recur.ErrNotRecurrence):
		return nil, nil
	case err != nil:
		return nil, invalid(err)
	}
	example := exampleSeries
	if len(phrase) <= 40 && !strings.ContainsAny(phrase, `"'`) {
		example = "/meet schedule standup " + phrase + " 9:30"
	}
	return nil, core.Errorf(core.EINVALID, "At what time? Add a time of day after %s, such as %q.", short(phrase), example)
}

// tryRepetition reads rec as a repetition and clock as its time of day. ok
// is false when they are not that pair. A raw RRULE may also be followed by
// a date and time ("RRULE:FREQ=WEEKLY;BYDAY=MO 2027-01-04 9:30"), which
// sets the earliest first start.
func (s *scheduleSearch) tryRepetition(rec, clock []token, clockLast bool) (*repetition, bool, error) {
	for _, t := range rec {
		if t.quoted {
			return nil, false, nil
		}
	}
	rule, err := recur.ParsePhrase(join(rec))
	if errors.Is(err, recur.ErrNotRecurrence) || s.spend() != nil {
		return nil, false, nil
	}
	h, m, note, cerr := timeparse.ParseClock(join(clock))
	if cerr == nil {
		if err != nil {
			return nil, true, invalid(err)
		}
		return &repetition{rule: rule, hour: h, minute: m, note: note}, true, nil
	}
	if err != nil || !clockLast || len(rec) != 1 || !strings.HasPrefix(strings.ToUpper(rec[0].text), "RRULE:") {
		return nil, false, nil
	}
	r, perr := timeparse.Parse(join(clock), s.c.Now, s.c.Location)
	switch {
	case perr == nil:
		l := r.Time.In(s.c.Location)
		return &repetition{rule: rule, hour: l.Hour(), minute: l.Minute(), from: r.Time}, true, nil
	case !timeparse.IsUnrecognized(perr):
		return nil, true, perr
	}
	return nil, false, nil
}

// repeatBefore is called when a one-off time starts at toks[i]. If the
// title ends in a repetition ("standup every monday" before "tomorrow
// 3pm"), the person almost certainly meant a series, so it says how to write
// one instead of quietly making a one-off meeting titled "standup every
// monday". At least one title word must remain, so "Daily tomorrow 9am"
// stays a one-off meeting titled "Daily".
func (s *scheduleSearch) repeatBefore(i int) error {
	for j := i - 1; j >= max(s.lo, i-maxTimeTokens); j-- {
		phrase := join(s.toks[j:i])
		if _, err := recur.ParsePhrase(phrase); !errors.Is(err, recur.ErrNotRecurrence) {
			return core.Errorf(core.EINVALID,
				"%s repeats, so give it a time of day rather than a date, such as %q; to keep those words in a one-off meeting's title, quote the title.",
				short(phrase), exampleSeries)
		}
	}
	return nil
}

// ruleEnd finds COUNT or UNTIL in a rule body.
var ruleEnd = regexp.MustCompile(`(^|;)(COUNT|UNTIL)=`)

// ruleLateDay finds a day of the month that some months lack.
var ruleLateDay = regexp.MustCompile(`(^|;)BYMONTHDAY=([0-9,-]*,)?(29|30|31)(,|;|$)`)

// finish completes a schedule command for a series: it adds the end the
// options gave, picks the first start (the first matching day at the typed
// time, not before now), checks the whole rule and writes the notes.
func (r *repetition) finish(cmd *Command, o options, c Context) error {
	rule := r.rule
	switch {
	case ruleEnd.MatchString(rule) && (o.count != 0 || !o.until.IsZero()):
		return core.Errorf(core.EINVALID, "The rule already says when the series ends; leave out \"until\" or \"for … times\", such as %q.",
			"/meet schedule standup RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10 9:30")
	case o.count != 0 && !o.until.IsZero():
		return core.Errorf(core.EINVALID, "Give either a last day or a number of times, not both, such as %q.", exampleSeries+" for 10 times")
	case o.count != 0:
		rule += fmt.Sprintf(";COUNT=%d", o.count)
	}
	// The first start is the first the rule gives at or after now, or
	// after the first day typed ("from jan 11"), whichever is later.
	from := c.Now
	if r.from.After(from) {
		from = r.from
	}
	if o.from.After(from) {
		from = o.from
	}
	first, err := recur.NextStart(rule, c.Location, from, r.hour, r.minute)
	if err != nil {
		return invalid(err)
	}
	start := first.Start
	if limit := c.Now.AddDate(timeparse.MaxYearsAhead, 0, 0); start.After(limit) {
		return core.Errorf(core.EINVALID, "The first meeting of that series would be more than %d years away. Try a repetition such as %q.",
			timeparse.MaxYearsAhead, exampleSeries)
	}
	if !o.until.IsZero() {
		u := o.until.In(c.Location)
		next, _ := recur.Date(u.Year(), u.Month(), u.Day()+1, 0, 0, 0, c.Location)
		if next.Before(start) {
			return core.Errorf(core.EINVALID, "The series would end on %s, before its first meeting on %s. Pick a later last day, such as %q.",
				u.Format("Mon Jan 2 2006"), start.In(c.Location).Format("Mon Jan 2 2006"), exampleSeries+" until jun 30")
		}
		rule += ";UNTIL=" + next.Add(-time.Second).UTC().Format("20060102T150405Z")
	}
	if err := recur.Validate(rule, start.In(c.Location)); err != nil {
		return invalid(err)
	}
	var notes []string
	if r.note != "" {
		notes = append(notes, r.note)
	}
	if n := timeparse.FoldNote(first.Fold, start.In(c.Location), r.hour, r.minute); n != "" {
		notes = append(notes, n)
	}
	if p := first.Passed; !p.IsZero() {
		p = p.In(c.Location)
		notes = append(notes, fmt.Sprintf("%s does not exist on %s in %s (clocks jump forward), so the series starts on %s; on such days later it meets at %s.",
			time.Date(2000, 1, 1, r.hour, r.minute, 0, 0, time.UTC).Format("3:04 PM"), p.Format("Mon Jan 2 2006"), c.Location,
			start.In(c.Location).Format("Mon Jan 2"), p.Format("3:04 PM")))
	}
	if ruleLateDay.MatchString(rule) {
		notes = append(notes, "Months without that day are skipped; say \"monthly on the last day\" for the end of every month.")
	}
	cmd.Start, cmd.Recurrence, cmd.StartNote = start.In(c.Location), rule, strings.Join(notes, " ")
	return nil
}
