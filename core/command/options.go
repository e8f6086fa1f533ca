package command

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/recur"
	"github.com/meetbot/meetbot/core/timeparse"
)

// options are the trailing modifiers of schedule and now.
type options struct {
	duration time.Duration
	users    []string
	private  bool
	count    int       // "for 10 times"; series only
	until    time.Time // "until jun 30": the first instant of that local day; series only
	from     time.Time // "from jan 11", "starting 2027-01-11": likewise, the first day; series only
}

// optParser reads options for one verb. Schedule reads the series options
// ("until <day>", "from <day>", "for <n> times") as well; now does not, so
// a title such as "wait until friday" stays a title there.
type optParser struct {
	c      Context
	series bool
}

// keyword reports whether t starts an option. Quoted words never do, so a
// title can always be written as "for the team".
func (p optParser) keyword(t token) bool {
	if t.quoted {
		return false
	}
	switch strings.ToLower(t.text) {
	case "for", "with", "private":
		return true
	case "until", "from", "starting":
		return p.series
	}
	return false
}

// countWords are the words that make "for 10 times" a number of meetings
// rather than a duration.
var countWords = []string{"times", "time", "occurrences", "meetings"}

// countArg reports whether arg is "<n> times" and returns n (which may be
// out of range; the caller says so).
func countArg(arg []token) (int, bool) {
	if len(arg) != 2 || arg[0].quoted || arg[1].quoted || !slices.Contains(countWords, strings.ToLower(arg[1].text)) {
		return 0, false
	}
	w := arg[0].text
	if w == "" || len(w) > 6 || strings.Trim(w, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(w)
	return n, err == nil
}

// parse reads toks as a sequence of "for <duration>", "with @people",
// "private" and, for a series, "until <day>" and "for <n> times", in any
// order. Each option's argument runs up to the next option word, so no
// backtracking is needed.
func (p optParser) parse(toks []token, example string) (options, error) {
	var o options
	seenFor := false
	for i := 0; i < len(toks); {
		t := toks[i]
		if !p.keyword(t) {
			return o, core.Errorf(core.EINVALID,
				"I didn't understand %s. You can add \"for 45m\", \"with @ana\" or \"private\", such as %q.",
				short(join(toks[i:])), example+" for 45m private")
		}
		j := i + 1
		for j < len(toks) && !p.keyword(toks[j]) {
			j++
		}
		arg := toks[i+1 : j]
		var err error
		switch strings.ToLower(t.text) {
		case "for":
			if n, ok := countArg(arg); ok && p.series {
				err = o.setCount(n)
				break
			}
			if seenFor {
				return o, core.Errorf(core.EINVALID, "Give the duration only once, such as %q.", example+" for 45m")
			}
			seenFor = true
			if len(arg) == 0 {
				return o, core.Errorf(core.EINVALID, "How long? Put a duration after \"for\", such as %q.", example+" for 45m")
			}
			o.duration, err = timeparse.ParseDuration(join(arg))
		case "with":
			err = o.addUsers(arg, example)
		case "private":
			if len(arg) > 0 {
				return o, core.Errorf(core.EINVALID,
					"I didn't understand %s after \"private\". Try %q.", short(join(arg)), example+" private")
			}
			o.private = true
		case "until":
			err = o.setUntil(arg, p.c)
		case "from", "starting":
			err = o.setFrom(arg, p.c, strings.ToLower(t.text))
		}
		if err != nil {
			return o, err
		}
		i = j
	}
	return o, nil
}

// addUsers reads the people after "with".
func (o *options) addUsers(arg []token, example string) error {
	if len(arg) == 0 {
		return core.Errorf(core.EINVALID, "Who? Mention people after \"with\", such as %q.", example+" with @ana @bo")
	}
	users, err := parseUsers(arg, example+" with @ana @bo")
	if err != nil {
		return err
	}
	for _, u := range users {
		if !slices.Contains(o.users, u) {
			o.users = append(o.users, u)
		}
	}
	return nil
}

// exampleSeries is the example for series errors; it parses.
const exampleSeries = "/meet schedule standup weekdays 9:30"

// setCount records "for <n> times".
func (o *options) setCount(n int) error {
	if o.count != 0 {
		return core.Errorf(core.EINVALID, "Give the number of times only once, such as %q.", exampleSeries+" for 10 times")
	}
	if n < 1 || n > recur.MaxCount {
		return core.Errorf(core.EINVALID, "A series can have from 1 to %d meetings, such as %q.", recur.MaxCount, exampleSeries+" for 10 times")
	}
	o.count = n
	return nil
}

// setUntil records "until <day>": the series' last day, in the user's zone.
func (o *options) setUntil(arg []token, c Context) error {
	const example = exampleSeries + " until jun 30"
	if len(arg) == 0 {
		return core.Errorf(core.EINVALID, "Until when? Put the last day after \"until\", such as %q.", example)
	}
	if !o.until.IsZero() {
		return core.Errorf(core.EINVALID, "Give the last day only once, such as %q.", example)
	}
	day, err := readDay(arg, c, "the series' last day", "until", example)
	if err != nil {
		return err
	}
	o.until = day
	return nil
}

// setFrom records "from <day>" or "starting <day>": the series' first day,
// in the user's zone, read and checked as "until" is. "starting on monday"
// reads like "starting monday".
func (o *options) setFrom(arg []token, c Context, word string) error {
	example := exampleSeries + " " + word + " jan 11"
	if len(arg) > 0 && !arg[0].quoted && strings.EqualFold(arg[0].text, "on") {
		arg = arg[1:]
	}
	if len(arg) == 0 {
		return core.Errorf(core.EINVALID, "From when? Put the first day after %q, such as %q.", word, example)
	}
	if !o.from.IsZero() {
		return core.Errorf(core.EINVALID, "Give the first day only once, such as %q.", example)
	}
	day, err := readDay(arg, c, "the series' first day", word, example)
	if err != nil {
		return err
	}
	o.from = day
	return nil
}

// readDay reads the day after an option word (until, from): what names the
// day in errors ("the series' last day"), word is the option as typed.
// A day already past names that day and suggests a later one in the same
// spelling the user chose, with no time of day, because none was asked for.
func readDay(arg []token, c Context, what, word, example string) (time.Time, error) {
	day, err := timeparse.ParseDay(join(arg), c.Now, c.Location)
	if timeparse.IsUnrecognized(err) {
		return time.Time{}, core.Errorf(core.EINVALID, "I couldn't read %s as %s. Write a day, such as %q.", short(join(arg)), what, example)
	}
	var passed timeparse.PassedDayError
	if errors.As(err, &passed) {
		later := c.Now.In(c.Location).AddDate(0, 1, 0)
		return time.Time{}, core.Wrap(core.EINVALID, passed, fmt.Sprintf(
			"%s, %s, has already passed. Pick a later day, such as %q.",
			strings.ToUpper(what[:1])+what[1:], passed.Day.Format("Mon Jan 2 2006"),
			exampleSeries+" "+word+" "+strings.ToLower(later.Format("Jan 2"))))
	}
	if err != nil {
		return time.Time{}, err
	}
	return day, nil
}

// merge combines options given before and after the time.
func (o options) merge(p options, example string) (options, error) {
	if o.duration != 0 && p.duration != 0 {
		return o, core.Errorf(core.EINVALID, "Give the duration only once, such as %q.", example+" for 45m")
	}
	if o.count != 0 && p.count != 0 {
		return o, core.Errorf(core.EINVALID, "Give the number of times only once, such as %q.", exampleSeries+" for 10 times")
	}
	if !o.until.IsZero() && !p.until.IsZero() {
		return o, core.Errorf(core.EINVALID, "Give the last day only once, such as %q.", exampleSeries+" until jun 30")
	}
	if !o.from.IsZero() && !p.from.IsZero() {
		return o, core.Errorf(core.EINVALID, "Give the first day only once, such as %q.", exampleSeries+" from jan 11")
	}
	if o.from.IsZero() {
		o.from = p.from
	}
	o.duration = max(o.duration, p.duration)
	o.count = max(o.count, p.count)
	if o.until.IsZero() {
		o.until = p.until
	}
	o.private = o.private || p.private
	for _, u := range p.users {
		if !slices.Contains(o.users, u) {
			o.users = append(o.users, u)
		}
	}
	return o, nil
}

// splitTitle separates a title from options that follow it ("sync with @ana
// for 30m" → "sync" plus options). The options must run to the end of toks.
// A "for" or "with" inside the title that was clearly meant as an option
// ("for 0m", "with @bob,x") is reported instead of being kept as title text.
func (p optParser) splitTitle(toks []token, example string) ([]token, options, error) {
	tails := p.tails(toks)
	j := 0
	for !tails[j] {
		j++ // stops at len(toks) at the latest: the empty tail is valid
	}
	for i := 0; i < j; i++ {
		if p.attempted(toks, i) {
			if _, err := p.parse(toks[i:j], example); err != nil {
				return nil, options{}, err
			}
		}
	}
	o, err := p.parse(toks[j:], example)
	return toks[:j], o, err
}

// attempted reports whether toks[i] is an option word followed by what is
// clearly meant as its argument: duration-like words with a unit for "for"
// ("for 0m", "for 25 hours"), a mention for "with". "planning for Q3",
// "prep for 2h session" and "planning for 2027" stay titles; "sync for 0m"
// is a mistake worth naming.
func (p optParser) attempted(toks []token, i int) bool {
	if !p.keyword(toks[i]) || i+1 >= len(toks) || toks[i+1].quoted {
		return false
	}
	switch strings.ToLower(toks[i].text) {
	case "for":
		unit := false
		for _, t := range toks[i+1:] {
			if p.keyword(t) {
				break
			}
			w := strings.ToLower(t.text)
			if !durationish.MatchString(w) {
				return false
			}
			unit = unit || strings.ContainsAny(w, "abcdefghijklmnopqrstuvwxyz")
		}
		return unit
	case "with":
		next := toks[i+1].text
		return strings.HasPrefix(next, "@") || strings.HasPrefix(next, "<@")
	}
	return false
}

// durationish matches one word of a duration: a signed number with an
// optional unit ("-5m", "1.5h", "90"), a unit alone, or "and".
var durationish = regexp.MustCompile(`^(?:[-+]?[0-9]*\.?[0-9]+[a-z]*|h|hrs?|hours?|m|mins?|minutes?|d|days?|and)$`)

// tails reports, for every k, whether toks[k:] is a valid option list. It
// works backwards one option at a time, so it is linear in len(toks) where
// parsing every suffix would be quadratic.
func (p optParser) tails(toks []token) []bool {
	n := len(toks)
	ok := make([]bool, n+1)
	ok[n] = true
	durations, counts, untils, froms := 0, 0, 0, 0 // options of each kind from here on
	next := n                                      // start of the next option
	for k := n - 1; k >= 0; k-- {
		if !p.keyword(toks[k]) {
			continue
		}
		switch w := strings.ToLower(toks[k].text); {
		case w == "until":
			untils++
		case w == "from" || w == "starting":
			froms++
		case w == "for":
			if _, isCount := countArg(toks[k+1 : next]); isCount && p.series {
				counts++
			} else {
				durations++
			}
		}
		_, err := p.parse(toks[k:next], exampleSchedule)
		// A day already past is still a well-formed option: keep the
		// time's place so the user hears about that day, not a misreading.
		var passed timeparse.PassedDayError
		ok[k] = (err == nil || errors.As(err, &passed)) && ok[next] && durations <= 1 && counts <= 1 && untils <= 1 && froms <= 1
		next = k
	}
	return ok
}
