package command

import (
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/timeparse"
)

// maxTimeTokens bounds how many words a time phrase may span ("next monday
// at 10:30 am" is five), which keeps the title/time search linear.
const maxTimeTokens = 8

// options are the trailing modifiers of schedule and now.
type options struct {
	duration time.Duration
	users    []string
	private  bool
}

// keyword reports whether t starts an option. Quoted words never do, so a
// title can always be written as "for the team".
func keyword(t token) bool {
	if t.quoted {
		return false
	}
	switch strings.ToLower(t.text) {
	case "for", "with", "private":
		return true
	}
	return false
}

// parseOptions reads toks as a sequence of "for <duration>", "with
// @people" and "private", in any order. Each option's argument runs up to the
// next option word, so no backtracking is needed.
func parseOptions(toks []token, example string) (options, error) {
	var o options
	seenFor := false
	for i := 0; i < len(toks); {
		t := toks[i]
		if !keyword(t) {
			return o, core.Errorf(core.EINVALID,
				"I didn't understand %s. You can add \"for 45m\", \"with @ana\" or \"private\", such as %q.",
				short(join(toks[i:])), example+" for 45m private")
		}
		j := i + 1
		for j < len(toks) && !keyword(toks[j]) {
			j++
		}
		arg := toks[i+1 : j]
		switch strings.ToLower(t.text) {
		case "for":
			if seenFor {
				return o, core.Errorf(core.EINVALID, "Give the duration only once, such as %q.", example+" for 45m")
			}
			seenFor = true
			if len(arg) == 0 {
				return o, core.Errorf(core.EINVALID, "How long? Put a duration after \"for\", such as %q.", example+" for 45m")
			}
			d, err := timeparse.ParseDuration(join(arg))
			if err != nil {
				return o, err
			}
			o.duration = d
		case "with":
			if len(arg) == 0 {
				return o, core.Errorf(core.EINVALID, "Who? Mention people after \"with\", such as %q.", example+" with @ana @bo")
			}
			users, err := parseUsers(arg, example+" with @ana @bo")
			if err != nil {
				return o, err
			}
			for _, u := range users {
				if !slices.Contains(o.users, u) {
					o.users = append(o.users, u)
				}
			}
		case "private":
			if len(arg) > 0 {
				return o, core.Errorf(core.EINVALID,
					"I didn't understand %s after \"private\". Try %q.", short(join(arg)), example+" private")
			}
			o.private = true
		}
		i = j
	}
	return o, nil
}

// merge combines options given before and after the time.
func (o options) merge(p options, example string) (options, error) {
	if o.duration != 0 && p.duration != 0 {
		return o, core.Errorf(core.EINVALID, "Give the duration only once, such as %q.", example+" for 45m")
	}
	o.duration = max(o.duration, p.duration)
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
func splitTitle(toks []token, example string) ([]token, options, error) {
	tails := optionTails(toks)
	j := 0
	for !tails[j] {
		j++ // stops at len(toks) at the latest: the empty tail is valid
	}
	for p := 0; p < j; p++ {
		if attempted(toks, p) {
			if _, err := parseOptions(toks[p:j], example); err != nil {
				return nil, options{}, err
			}
		}
	}
	o, err := parseOptions(toks[j:], example)
	return toks[:j], o, err
}

// attempted reports whether toks[p] is an option word followed by what is
// clearly meant as its argument: duration-like words with a unit for "for"
// ("for 0m", "for 25 hours"), a mention for "with". "planning for Q3",
// "prep for 2h session" and "planning for 2027" stay titles; "sync for 0m"
// is a mistake worth naming.
func attempted(toks []token, p int) bool {
	if !keyword(toks[p]) || p+1 >= len(toks) || toks[p+1].quoted {
		return false
	}
	switch strings.ToLower(toks[p].text) {
	case "for":
		unit := false
		for _, t := range toks[p+1:] {
			if keyword(t) {
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
		next := toks[p+1].text
		return strings.HasPrefix(next, "@") || strings.HasPrefix(next, "<@")
	}
	return false
}

// durationish matches one word of a duration: a signed number with an
// optional unit ("-5m", "1.5h", "90"), a unit alone, or "and".
var durationish = regexp.MustCompile(`^(?:[-+]?[0-9]*\.?[0-9]+[a-z]*|h|hrs?|hours?|m|mins?|minutes?|d|days?|and)$`)

// checkTitle validates a finished title.
func checkTitle(title string, c Context, example string) error {
	if n := utf8.RuneCountInString(title); n > c.MaxTitle {
		return core.Errorf(core.EINVALID,
			"That title is too long: at most %d characters, and it has %d. Shorten it, such as %q.", c.MaxTitle, n, example)
	}
	return nil
}

// parseNow reads "now [title] [for <duration>] [with @people] [private]".
func parseNow(args []token, c Context) (Command, error) {
	const example = "/meet now standup"
	cmd := Command{Verb: VerbNow}
	var titleToks []token
	var o options
	var err error
	if len(args) > 0 && args[0].quoted {
		cmd.Title = args[0].text
		o, err = parseOptions(args[1:], example)
	} else {
		titleToks, o, err = splitTitle(args, example)
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

// parseSchedule reads "schedule <title> <when> [options]". The title may be
// quoted; otherwise the time is the longest run of words just before the
// options that the time parser understands completely, and the title is
// everything before it. Options may also sit between the title and the time.
func parseSchedule(args []token, c Context) (Command, error) {
	if len(args) == 0 {
		return Command{}, core.Errorf(core.EINVALID, "What and when? Give a title and a time, such as %q.", exampleSchedule)
	}
	s := &scheduleSearch{toks: args, c: c, lo: 1}
	if args[0].quoted {
		s.toks, s.lo, s.quotedTitle = args[1:], 0, args[0].text
		if s.quotedTitle == "" {
			return Command{}, missingTitle("")
		}
	}
	i, k, r, err := s.find()
	if err != nil {
		return Command{}, err
	}

	cmd := Command{Verb: VerbSchedule, Start: r.Time, StartNote: r.Note}
	o, err := parseOptions(s.toks[k:], exampleSchedule)
	if err != nil { // cannot happen: find only ends the time where options parse
		return Command{}, err
	}
	var pre options
	if s.quotedTitle != "" {
		cmd.Title = s.quotedTitle
		pre, err = parseOptions(s.toks[:i], exampleSchedule)
	} else {
		var titleToks []token
		titleToks, pre, err = splitTitle(s.toks[:i], exampleSchedule)
		cmd.Title = join(titleToks)
	}
	if err == nil {
		o, err = pre.merge(o, exampleSchedule) // people in the order typed
	}
	if err != nil {
		return Command{}, err
	}
	if cmd.Title == "" {
		return Command{}, missingTitle(join(s.toks[i:k]))
	}
	if err := checkTitle(cmd.Title, c, exampleSchedule); err != nil {
		return Command{}, err
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

// scheduleSearch finds the time inside a schedule command's words.
type scheduleSearch struct {
	toks        []token
	c           Context
	lo          int    // the time may start at this index or later
	quotedTitle string // set when the title was quoted (then lo is 0)
	tails       []bool // tails[k]: toks[k:] is a valid option list
	calls       int    // time-parser calls so far
}

// parse runs the time parser on toks[i:k], within the call budget.
func (s *scheduleSearch) parse(i, k int) (timeparse.Result, error) {
	if s.calls >= maxParses {
		return timeparse.Result{}, exhausted{}
	}
	s.calls++
	return timeparse.Parse(join(s.toks[i:k]), s.c.Now, s.c.Location)
}

// ends lists the indexes where the time may end: before an option word, or
// at the end, whenever everything from there on is valid options.
func (s *scheduleSearch) ends() []int {
	if s.tails == nil {
		s.tails = optionTails(s.toks)
	}
	var ks []int
	for k := 1; k <= len(s.toks); k++ {
		if s.tails[k] {
			ks = append(ks, k)
		}
	}
	return ks
}

// optionTails reports, for every k, whether toks[k:] is a valid option list.
// It works backwards one option at a time, so it is linear in len(toks)
// where calling parseOptions on every suffix would be quadratic.
func optionTails(toks []token) []bool {
	n := len(toks)
	ok := make([]bool, n+1)
	ok[n] = true
	fors, next := 0, n // "for" options from here on; start of the next option
	for k := n - 1; k >= 0; k-- {
		if !keyword(toks[k]) {
			continue
		}
		if strings.EqualFold(toks[k].text, "for") {
			fors++
		}
		_, err := parseOptions(toks[k:next], exampleSchedule)
		ok[k] = err == nil && ok[next] && fors <= 1
		next = k
	}
	return ok
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
// the time parser recognises, so "planning for Q3 tomorrow 3pm" keeps
// "planning for Q3". If that longest phrase is recognised but unusable
// ("yesterday 3pm"), its error is returned rather than quietly reading a
// shorter phrase ("3pm") and moving "yesterday" into the title. A line that
// is nothing but a time is a missing title, not a title made of its first
// word ("monday 9am" must not become "monday" at 9am).
func (s *scheduleSearch) find() (i, k int, r timeparse.Result, err error) {
	for _, k := range s.ends() {
		from := s.starts(k)
		if s.quotedTitle == "" && k <= maxTimeTokens {
			from = append([]int{0}, from...)
		}
		for _, i := range from {
			r, err := s.parse(i, k)
			switch {
			case err == nil && i == 0 && s.quotedTitle == "":
				return 0, 0, r, missingTitle(join(s.toks[:k]))
			case err == nil:
				return i, k, r, nil
			case strings.EqualFold(join(s.toks[i:k]), "now"):
				title := s.quotedTitle
				if title == "" {
					title = join(s.toks[:i])
				}
				return 0, 0, r, core.Errorf(core.EINVALID,
					"To start a meeting right away use \"now\", such as %q.", strings.TrimSpace("/meet now "+title))
			case !unrecognized(err):
				return 0, 0, r, err
			}
		}
	}
	return 0, 0, timeparse.Result{}, s.explain()
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
			if !keyword(s.toks[j]) {
				return core.Errorf(core.EINVALID,
					"I didn't understand %s after %s. Write times like \"3pm\" or \"15:00\" and add options like \"for 45m\", \"with @ana\" or \"private\", such as %q.",
					short(join(s.toks[j:])), short(join(s.toks[i:j])), exampleSchedule+" for 45m")
			}
			if _, err := parseOptions(s.toks[j:], exampleSchedule); err != nil {
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
