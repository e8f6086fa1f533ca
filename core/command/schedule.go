package command

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/timeparse"
)

// maxTimeTokens bounds how many words a time phrase may span ("every 2
// weeks on tue and thu at 4:30 pm" is ten), which keeps the title/time
// search linear.
const maxTimeTokens = 12

// checkTitle validates a finished title.
func checkTitle(title string, c Context, example string) error {
	if n := utf8.RuneCountInString(title); n > c.MaxTitle {
		return core.Errorf(core.EINVALID,
			"That title is too long: at most %d characters, and it has %d. Shorten it, such as %q.", c.MaxTitle, n, example)
	}
	return core.CheckTitle(title, c.MaxTitle)
}

// parseNow reads "now [title] [for <duration>] [with @people] [private]".
func parseNow(args []token, c Context) (Command, error) {
	const example = "/meet now standup"
	op := optParser{c: c}
	cmd := Command{Verb: VerbNow}
	var titleToks []token
	var o options
	var err error
	if len(args) > 0 && args[0].quoted {
		cmd.Title = args[0].text
		o, err = op.parse(args[1:], example)
	} else {
		titleToks, o, err = op.splitTitle(args, example)
		cmd.Title = join(titleToks)
	}
	if err != nil {
		return Command{}, err
	}
	if err := checkTitle(cmd.Title, c, example+" for 15m"); err != nil {
		return Command{}, err
	}
	cmd.Duration, cmd.Users, cmd.Private = o.duration, o.users, o.private
	return cmd, nil
}

// parseSchedule reads "schedule <title> <when> [options]", where <when> is
// a one-off time ("tomorrow 3pm") or a repetition with a time of day
// ("weekdays 9:30"). The title may be quoted; otherwise the time is the
// longest run of words just before the options that the time parser (or
// the repetition reader) understands completely, and the title is
// everything before it. Options may also sit between the title and the time.
func parseSchedule(args []token, c Context) (Command, error) {
	if len(args) == 0 {
		return Command{}, core.Errorf(core.EINVALID, "What and when? Give a title and a time, such as %q.", exampleSchedule)
	}
	s := &scheduleSearch{toks: args, c: c, lo: 1, op: optParser{c: c, series: true}}
	if args[0].quoted {
		s.toks, s.lo, s.quotedTitle = args[1:], 0, args[0].text
		if s.quotedTitle == "" {
			return Command{}, missingTitle("")
		}
	}
	i, k, w, err := s.find()
	if err != nil {
		return Command{}, err
	}

	// find ends the time only where options are well formed, but one of
	// them may still hold a value that cannot be used (a past "until").
	o, err := s.op.parse(s.toks[k:], exampleSchedule)
	if err != nil {
		return Command{}, err
	}
	cmd := Command{Verb: VerbSchedule}
	// Before the time of a one-off meeting "until" is title text ("wait
	// until friday tomorrow 3pm"); only a series reads it as an option.
	preOp := optParser{c: c, series: w.rep != nil}
	var pre options
	if s.quotedTitle != "" {
		cmd.Title = s.quotedTitle
		pre, err = preOp.parse(s.toks[:i], exampleSchedule)
	} else {
		var titleToks []token
		titleToks, pre, err = preOp.splitTitle(s.toks[:i], exampleSchedule)
		cmd.Title = join(titleToks)
	}
	if err == nil {
		o, err = pre.merge(o, exampleSchedule) // people in the order typed
	}
	if err != nil {
		return Command{}, untilInTitle(err, s.toks[:i], w.rep != nil && s.quotedTitle == "")
	}
	if cmd.Title == "" {
		return Command{}, missingTitle(join(s.toks[i:k]))
	}
	if err := checkTitle(cmd.Title, c, exampleSchedule); err != nil {
		return Command{}, err
	}
	if w.rep != nil {
		if err := w.rep.finish(&cmd, o, c); err != nil {
			return Command{}, untilInTitle(err, s.toks[:i], !pre.until.IsZero() && s.quotedTitle == "")
		}
	} else {
		if o.count != 0 || !o.until.IsZero() {
			return Command{}, core.Errorf(core.EINVALID,
				"\"until\" and \"for 10 times\" end a repeating meeting; say how it repeats, such as %q.", exampleSeries+" until jun 30")
		}
		if !o.from.IsZero() {
			return Command{}, core.Errorf(core.EINVALID,
				"\"from\" and \"starting\" set a repeating meeting's first day; for a single meeting give the day in the time, such as %q.", exampleSchedule)
		}
		cmd.Start, cmd.StartNote = w.one.Time, w.one.Note
	}
	cmd.Duration, cmd.Users, cmd.Private = o.duration, o.users, o.private
	return cmd, nil
}

// missingTitle is the error for a schedule command without a title. It
// reuses the user's own time in the example when there is one (callers pass
// only a time that parses, or "").
func missingTitle(when string) error {
	if when == "" || utf8.RuneCountInString(when) > 40 {
		when = "tomorrow 3pm"
	}
	return core.Errorf(core.EINVALID, "Add a title before the time, such as %q.", "/meet schedule team sync "+when)
}

// maxParses bounds the time-parser calls one schedule command may cost, so a
// 2,000-byte line of time-like words stays cheap. Real commands need a few
// dozen; when the budget runs out the search reports that no time was found.
const maxParses = 500

// exhausted is the error parse returns once maxParses is spent; the search
// treats it like text that is not a time.
type exhausted struct{}

func (exhausted) Error() string { return "time search budget spent" }

// unrecognized reports whether err means "not a time here, keep looking".
func unrecognized(err error) bool {
	_, spent := err.(exhausted)
	return spent || timeparse.IsUnrecognized(err)
}

// when is what the search found: a one-off start, or a repetition whose
// first start is worked out once the options (until, for n times) are known.
type when struct {
	one timeparse.Result
	rep *repetition
	// repeating is set when the words were read as a repetition, even
	// one that could not be used ("monthly 9am").
	repeating bool
}

// scheduleSearch finds the time inside a schedule command's words.
type scheduleSearch struct {
	toks        []token
	c           Context
	op          optParser
	lo          int    // the time may start at this index or later
	quotedTitle string // set when the title was quoted (then lo is 0)
	tails       []bool // tails[k]: toks[k:] is a valid option list
	calls       int    // time-parser calls so far
	starved     bool   // a spend was refused during the current parse
	seen        map[string]parsed
}

// parsed is what reading one run of words gave, and the budget it cost.
type parsed struct {
	w     when
	err   error
	calls int
}

// spend takes one time-parser call from the budget.
func (s *scheduleSearch) spend() error {
	if s.calls >= maxParses {
		s.starved = true
		return exhausted{}
	}
	s.calls++
	return nil
}

// parse reads toks[i:k] as a repetition with a time of day or, failing
// that, as a one-off time, within the call budget.
//
// The same words are often read again at another place of the line (a
// pasted block of "tomorrow 3pm with @a" holds the same few phrases
// hundreds of times), so each reading is remembered by its words as typed.
// Reading is a pure function of the words, the context and the budget
// left, so a remembered answer is the one a fresh reading would give as
// long as the budget still covers what the first reading cost; it is
// charged that cost again, so the search stops at the same place as
// without the memo, only without the regular expressions.
func (s *scheduleSearch) parse(i, k int) (when, error) {
	if s.calls >= maxParses {
		return when{}, exhausted{}
	}
	key := memoKey(s.toks[i:k])
	if p, ok := s.seen[key]; ok && s.calls+p.calls <= maxParses {
		s.calls += p.calls
		return p.w, p.err
	}
	before := s.calls
	s.starved = false
	w, err := s.read(i, k)
	if !s.starved {
		if s.seen == nil {
			s.seen = map[string]parsed{}
		}
		s.seen[key] = parsed{w: w, err: err, calls: s.calls - before}
	}
	return w, err
}

// read is parse without the memo.
func (s *scheduleSearch) read(i, k int) (when, error) {
	if err := s.spend(); err != nil {
		return when{}, err
	}
	if rep, err := s.repetition(s.toks[i:k]); rep != nil || err != nil {
		return when{rep: rep, repeating: true}, err
	}
	r, err := timeparse.Parse(join(s.toks[i:k]), s.c.Now, s.c.Location)
	return when{one: r}, err
}

// memoKey names a run of words by how they were typed, quotes included;
// NUL, which sanitize never lets through, separates them.
func memoKey(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(t.raw)
		b.WriteByte(0)
	}
	return b.String()
}

// ends lists the indexes where the time may end: before an option word, or
// at the end, whenever everything from there on is valid options.
func (s *scheduleSearch) ends() []int {
	if s.tails == nil {
		s.tails = s.op.tails(s.toks)
	}
	var ks []int
	for k := 1; k <= len(s.toks); k++ {
		if s.tails[k] {
			ks = append(ks, k)
		}
	}
	return ks
}

// starts lists where a time ending at k may start, longest first.
func (s *scheduleSearch) starts(k int) []int {
	var is []int
	for i := max(s.lo, k-maxTimeTokens); i < k; i++ {
		is = append(is, i)
	}
	return is
}

// find returns the time span [i, k) and its value. The earliest possible
// end wins (options follow the time), and for that end the longest phrase
// understood, so "planning for Q3 tomorrow 3pm" keeps "planning for Q3" and
// "standup every day 9am" repeats rather than becoming a one-off titled
// "standup every day". If that longest phrase is recognised but unusable
// ("yesterday 3pm", "monthly 9am"), its error is returned rather than
// quietly reading a shorter phrase ("3pm") and moving the rest into the
// title. A line that is nothing but a time is a missing title, not a title
// made of its first word ("monday 9am" must not become "monday" at 9am).
//
// Titles may hold repeat words ("Weekly sync every monday 10:00", a title
// "monthly" before "every month on the 1st 9:00"): when the longest phrase
// reads as a repetition that cannot be used, a shorter one that is a valid
// repetition wins and the words before it stay in the title. Its error is
// kept only if nothing shorter works, or if only a one-off time remains
// after title words that repeat, which the grammar cannot tell apart.
func (s *scheduleSearch) find() (i, k int, w when, err error) {
	for _, k := range s.ends() {
		from := s.starts(k)
		if s.quotedTitle == "" && k <= maxTimeTokens {
			from = append([]int{0}, from...)
		}
		var repErr error // the longest phrase was an unusable repetition
		for _, i := range from {
			w, err := s.parse(i, k)
			switch {
			case err == nil && i == 0 && s.quotedTitle == "":
				return 0, 0, w, missingTitle(join(s.toks[:k]))
			case err == nil && w.rep == nil && repErr != nil:
				rerr := s.repeatBefore(i)
				clock := join(s.toks[i:k])
				if _, _, _, cerr := timeparse.ParseClock(clock); cerr == nil {
					// "standup monthly 9am": the time of day of an
					// incomplete repetition, not a one-off time; but
					// "monthly 9am" may be a one-off titled "monthly".
					if rerr == nil {
						return 0, 0, w, quoteTitle(repErr, join(s.toks[:i]), clock)
					}
					return 0, 0, w, repErr
				}
				return i, k, w, rerr
			case err == nil && w.rep == nil:
				return i, k, w, s.repeatBefore(i)
			case err == nil:
				return i, k, w, nil
			case repErr != nil && !unrecognized(err) && w.repeating:
				repErr = err // the shortest unusable repetition names its words best
			case strings.EqualFold(join(s.toks[i:k]), "now"):
				title := s.quotedTitle
				if title == "" {
					title = join(s.toks[:i])
				}
				return 0, 0, w, core.Errorf(core.EINVALID,
					"To start a meeting right away use \"now\", such as %q.", strings.TrimSpace("/meet now "+title))
			case repErr != nil:
				// Keep looking for a shorter valid phrase.
			case !unrecognized(err) && w.repeating && s.quotedTitle == "" && i+1 < k:
				repErr = err
			case !unrecognized(err):
				return 0, 0, w, err
			}
		}
		if repErr != nil {
			return 0, 0, when{}, repErr
		}
	}
	return 0, 0, when{}, s.explain()
}

// untilInTitle adds the way out to an error caused by "until" typed
// before a series' time ("wait until friday every monday 10:00"): the
// grammar reads it as the series' last day, but it may be title text.
func untilInTitle(err error, before []token, applies bool) error {
	e, ok := core.AsError(err)
	if !ok || !applies || !slices.ContainsFunc(before, func(t token) bool { return word(t, "until") }) {
		return err
	}
	return core.Wrap(e.Code, err, e.Message+` If "until …" is part of the title, quote the title, such as "/meet schedule \"Wait until friday\" every monday 10:00".`)
}

// quoteTitle adds to a repetition's error the other reading the grammar
// cannot rule out: a one-off meeting whose title is those words, which
// quotes make plain.
func quoteTitle(err error, title, clock string) error {
	e, ok := core.AsError(err)
	if !ok {
		return err
	}
	example := fmt.Sprintf("/meet schedule %q tomorrow %s", title, clock)
	if utf8.RuneCountInString(example) > 60 {
		example = `/meet schedule "Weekly" tomorrow 9am`
	}
	return core.Wrap(e.Code, err, fmt.Sprintf("%s For a one-off meeting with that title, quote the title, such as %q.", e.Message, example))
}

// explain builds the most useful error when no time was found: bad options
// after a good time, stray words after a good time, or no time at all.
func (s *scheduleSearch) explain() error {
	// A good time followed by something that is not a valid option list.
	for j := len(s.toks) - 1; j > s.lo; j-- {
		for _, i := range s.starts(j) {
			if _, err := s.parse(i, j); err != nil {
				continue
			}
			if !s.op.keyword(s.toks[j]) {
				return core.Errorf(core.EINVALID,
					"I didn't understand %s after %s. Write times like \"3pm\" or \"15:00\" and add options like \"for 45m\", \"with @ana\" or \"private\", such as %q.",
					short(join(s.toks[j:])), short(join(s.toks[i:j])), exampleSchedule+" for 45m")
			}
			if _, err := s.op.parse(s.toks[j:], exampleSchedule); err != nil {
				return err
			}
		}
	}
	if s.quotedTitle != "" {
		return core.Errorf(core.EINVALID,
			"I couldn't find a start time after the title. Put one there, such as %q.", `/meet schedule "Team sync" tomorrow 3pm`)
	}
	return core.Errorf(core.EINVALID,
		"I couldn't find a start time at the end of %s. Put it after the title, such as \"%s\" (or \"next monday 10:30\", \"in 2 hours\").",
		short(join(s.toks)), exampleSchedule)
}
