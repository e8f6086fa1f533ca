// Package command owns the /meet grammar shared by every chat adapter
// (console, Slack, Discord text), turning one line such as
// "/meet schedule team sync tomorrow 3pm for 45m with @ana" into a typed
// Command.
//
// Keeping the grammar here means the adapters only deal with transport and
// rendering, every platform accepts exactly the same phrasing, and every
// mistake gets the same one-sentence answer with an example that works. All
// errors are *core.Error values with code EINVALID.
package command

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meetbot/meetbot/core"
)

// MaxInputBytes is the longest line Parse reads. A real command is far
// shorter; the cap bounds the work a hostile line can cause.
const MaxInputBytes = 2000

// DefaultMaxTitle is the title cap, in runes, when Context.MaxTitle is 0.
const DefaultMaxTitle = 200

// exampleSchedule is the example most error messages end with; it parses.
const exampleSchedule = "/meet schedule team sync tomorrow 3pm"

// Verb is what a command asks for. It is a closed set so adapters can switch
// on it exhaustively.
type Verb string

// The verbs of /meet.
const (
	VerbSchedule Verb = "schedule" // plan a meeting at a given time, once or repeating
	VerbNow      Verb = "now"      // start a meeting right away
	VerbList     Verb = "list"     // show upcoming meetings
	VerbInfo     Verb = "info"     // show one meeting
	VerbJoin     Verb = "join"     // get a personal join link
	VerbRSVP     Verb = "rsvp"     // answer whether one is coming
	VerbSkip     Verb = "skip"     // leave out one meeting of a series
	VerbMove     Verb = "move"     // move a meeting, one meeting of a series, or a whole series
	VerbCancel   Verb = "cancel"   // cancel a meeting
	VerbInvite   Verb = "invite"   // add people to a meeting
	VerbRemove   Verb = "remove"   // take people off a meeting
	VerbICS      Verb = "ics"      // get a calendar file for a meeting
	VerbTZ       Verb = "tz"       // set the user's time zone
	VerbSettings Verb = "settings" // show or change the workspace's settings
	VerbSummary  Verb = "summary"  // fetch a meeting's AI summary
	VerbHelp     Verb = "help"     // explain the grammar
)

// verbs lists every verb in the order Help shows them.
func verbs() []Verb {
	return []Verb{VerbSchedule, VerbNow, VerbList, VerbInfo, VerbJoin, VerbRSVP, VerbSkip, VerbMove,
		VerbCancel, VerbInvite, VerbRemove, VerbICS, VerbSummary, VerbTZ, VerbSettings, VerbHelp}
}

// Command is one parsed /meet line. Only the fields that belong to Verb are
// set; the rest keep their zero values.
type Command struct {
	// Verb says which command this is, and so which other fields are set.
	Verb Verb
	// Title is the meeting title (schedule, now). For now it may be empty,
	// and the caller picks a default.
	Title string
	// Start is a time in Context.Location. For schedule it is the start,
	// after Context.Now for a one-off meeting, and for a series its first
	// meeting: the first one the rule gives at or after Context.Now, whose
	// wall clock is the series' DTSTART. For move it is the new time. For
	// skip it is the meeting to leave out, or the zero time for "the next
	// one"; with DateOnly it is the first instant of the day named.
	Start time.Time
	// StartNote is the time parser's note about a choice it made (a
	// skipped DST hour, a time moved to tomorrow, months without the 31st).
	// Show it with the confirmation so the user can correct it.
	StartNote string
	// Recurrence is the RRULE body of a repeating meeting (schedule), such
	// as "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=10", evaluated in
	// Context.Location from Start's wall clock with package recur. It is
	// empty for a one-off meeting. It has already passed recur.Validate.
	Recurrence string
	// DateOnly is set for skip when a day was given without a time ("skip
	// 12 friday"): leave out that day's meeting, whatever its time.
	DateOnly bool
	// All asks move to move a whole series: Start becomes its new first
	// meeting, so the typed day and time of day hold from then on. Without
	// it only the next meeting of a series moves.
	All bool
	// RSVP is the answer to rsvp: "yes", "no" or "maybe".
	RSVP string
	// Duration is the length given with "for"; 0 means not given, and the
	// caller applies the workspace default.
	Duration time.Duration
	// Users are the user ids from mentions (with, invite, remove),
	// de-duplicated, in the order typed.
	Users []string
	// AsHost asks invite to make the people co-hosts ("invite 12 @ana as
	// host"): they get the host preset in the call and may manage the
	// meeting as the organizer can.
	AsHost bool
	// Private asks for a meeting visible to invitees only.
	Private bool
	// MeetingID names the meeting (info, join, rsvp, skip, move, cancel,
	// invite, remove, ics); for join it may be empty, meaning the channel's
	// current meeting.
	MeetingID string
	// TimeZone is a valid IANA zone name as typed (tz).
	TimeZone string
	// Setting is the change asked for by settings; nil means "show the
	// settings". Its values are checked against the core limits
	// (core.MaxReminders, core.MaxReminderLead, core.MaxJoinMargin).
	Setting *core.SettingChange
	// Topic is the optional help topic: a verb name, "time", "duration" or
	// "repeat".
	Topic string
}

// Context is what Parse needs to know about the person typing.
type Context struct {
	// Now is the current instant; times are resolved relative to it.
	Now time.Time
	// Location is the user's zone; nil means UTC.
	Location *time.Location
	// MaxTitle caps titles, in runes; 0 means DefaultMaxTitle.
	MaxTitle int
}

// Parse reads one /meet line. The leading "/meet" is optional; an empty line
// or "/meet" alone asks for help. Every error is a *core.Error with code
// EINVALID and a one-line message that names the problem and shows a
// command that works. Parse never panics and keeps no state.
func Parse(text string, c Context) (Command, error) {
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.MaxTitle <= 0 {
		c.MaxTitle = DefaultMaxTitle
	}
	clean, err := sanitize(text)
	if err != nil {
		return Command{}, err
	}
	toks, err := tokenize(clean)
	if err != nil {
		return Command{}, err
	}
	if len(toks) > 0 && !toks[0].quoted && strings.EqualFold(toks[0].text, "/meet") {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return Command{Verb: VerbHelp}, nil
	}
	word, args := strings.ToLower(toks[0].text), toks[1:]
	if toks[0].quoted {
		word = toks[0].raw
	}
	switch Verb(word) {
	case VerbSchedule:
		return parseSchedule(args, c)
	case VerbNow:
		return parseNow(args, c)
	case VerbList:
		return Command{Verb: VerbList}, noMore(VerbList, args, "/meet list")
	case VerbInfo, VerbCancel, VerbICS, VerbSummary:
		return parseWithID(Verb(word), args)
	case VerbSkip:
		return parseSkip(args, c)
	case VerbMove:
		return parseMove(args, c)
	case VerbRSVP:
		return parseRSVP(args)
	case VerbJoin:
		if len(args) == 0 {
			return Command{Verb: VerbJoin}, nil
		}
		return parseWithID(VerbJoin, args)
	case VerbInvite, VerbRemove:
		return parsePeople(Verb(word), args)
	case VerbTZ:
		return parseTZ(args)
	case VerbSettings:
		return parseSettings(args)
	case VerbHelp, "?":
		return parseHelp(args)
	}
	return Command{}, unknownVerb(word, toks, c)
}

// noMore returns an error when a verb got arguments it does not take.
func noMore(v Verb, extra []token, example string) error {
	if len(extra) == 0 {
		return nil
	}
	return core.Errorf(core.EINVALID, "Unexpected %s after \"/meet %s\". Try %q.", short(join(extra)), v, example)
}

// unknownVerb explains an unknown first word. When the whole line would be a
// valid schedule command, it says so, because "/meet team sync tomorrow 3pm"
// is the most likely slip.
func unknownVerb(word string, toks []token, c Context) error {
	if v, ok := closestVerb(word); ok {
		return core.Errorf(core.EINVALID, "Unknown command %s. Did you mean %q? Try \"/meet help\".", short(word), "/meet "+string(v))
	}
	if _, err := parseSchedule(toks, c); err == nil {
		example := "/meet schedule " + join(toks)
		if utf8.RuneCountInString(example) > 80 {
			example = exampleSchedule
		}
		return core.Errorf(core.EINVALID,
			"Unknown command %s. To plan a meeting start with \"schedule\", such as %q.", short(word), example)
	}
	return core.Errorf(core.EINVALID, "Unknown command %s. Try \"/meet help\".", short(word))
}

// closestVerb finds the verb word was probably meant to be: one typo away
// for short verbs, two for longer ones, counting a swap of neighbouring
// letters as one typo ("lsit" → "list").
func closestVerb(word string) (Verb, bool) {
	if utf8.RuneCountInString(word) > 12 {
		return "", false
	}
	best, bestDist := Verb(""), 3
	for _, v := range verbs() {
		allowed := 1
		if len(v) > 4 {
			allowed = 2
		}
		if d := editDistance(word, string(v)); d <= allowed && d < bestDist {
			best, bestDist = v, d
		}
	}
	return best, best != ""
}

// editDistance is the optimal-string-alignment distance between two short
// strings: insertions, deletions, substitutions and adjacent swaps each cost 1.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
