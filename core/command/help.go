package command

import "strings"

// helpEntry is one verb's line in the help: what to type, what it does and
// an example that works as written (the package tests parse every example).
type helpEntry struct {
	verb    Verb
	usage   string
	what    string
	example string
	more    []string
}

// helpEntries is the grammar, in the order help shows it.
var helpEntries = []helpEntry{
	{VerbSchedule, "/meet schedule <title> <when> [for <duration>] [with @people] [private]", "Plan a meeting.",
		"/meet schedule team sync tomorrow 3pm for 45m with @ana @bo",
		[]string{"Quote a title that ends in time-like words: `/meet schedule \"Retro 12/03\" friday 9am`", "\"private\" limits the meeting to the people invited."}},
	{VerbNow, "/meet now [title] [for <duration>]", "Start a meeting right away.", "/meet now standup for 15m", nil},
	{VerbList, "/meet list", "Show this channel's upcoming meetings.", "/meet list", nil},
	{VerbInfo, "/meet info <id>", "Show one meeting.", "/meet info 12", nil},
	{VerbJoin, "/meet join [<id>]", "Get your personal join link (without an id: this channel's current meeting).", "/meet join 12", nil},
	{VerbCancel, "/meet cancel <id>", "Cancel a meeting (organizer or workspace admin).", "/meet cancel 12", nil},
	{VerbInvite, "/meet invite <id> @people", "Add people to a meeting.", "/meet invite 12 @ana @bo", nil},
	{VerbRemove, "/meet remove <id> @people", "Take people off a meeting; their links stop working.", "/meet remove 12 @bo", nil},
	{VerbTZ, "/meet tz <zone>", "Set your time zone (an IANA name).", "/meet tz Europe/Berlin", nil},
	{VerbHelp, "/meet help [command]", "Show this text, or one command's.", "/meet help schedule", nil},
}

const (
	helpIntro = "/meet schedules video meetings. Times are read in your time zone; set it with `/meet tz Europe/Berlin`."
	helpTimes = "Times: \"tomorrow 3pm\", \"next monday 10:30\", \"friday 9am\", \"in 2 hours\", \"in 3 days\", \"dec 3 14:00\", \"2026-12-03 14:00\", \"noon\".\n" +
		"A time of day alone means its next occurrence; 2:30 AM on a day the clocks skip becomes 3:30 AM, and a time the clocks repeat uses the first one."
	helpDurations = "Durations: \"45m\", \"1h30m\", \"1.5h\", \"2 hours\"; at most 24 h."
)

func (e helpEntry) write(b *strings.Builder) {
	b.WriteString("`" + e.usage + "`\n  " + e.what + " Example: `" + e.example + "`\n")
	for _, m := range e.more {
		b.WriteString("  " + m + "\n")
	}
}

// Help returns the /meet grammar with a working example for every verb. It
// is plain text (backticks mark what to type) so every adapter can show it
// as is.
func Help() string {
	var b strings.Builder
	b.WriteString(helpIntro + "\n\n")
	for _, e := range helpEntries {
		e.write(&b)
	}
	b.WriteString("\n" + helpTimes + "\n" + helpDurations + "\n")
	return b.String()
}

// HelpTopic returns the help for one topic (a verb, "time" or "duration",
// as Parse puts in Command.Topic), or the whole help for "" or an unknown
// topic, so a person asking about one command is not buried in all of them.
func HelpTopic(topic string) string {
	switch topic {
	case "":
		return Help()
	case "time":
		return helpTimes + "\n"
	case "duration":
		return helpDurations + "\n"
	}
	for _, e := range helpEntries {
		if string(e.verb) == topic {
			var b strings.Builder
			e.write(&b)
			return b.String()
		}
	}
	return Help()
}
