package command

import (
	"strings"

	"github.com/meetbot/meetbot/core"
)

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
	{VerbSchedule, "/meet schedule <title> <when> [for <duration>] [with @people] [private]", "Plan a meeting, once or repeating.",
		"/meet schedule team sync tomorrow 3pm for 45m with @ana @bo",
		[]string{
			"Repeat it by saying how, then the time of day: `/meet schedule standup weekdays 9:30 for 15m` (see `/meet help repeat`).",
			"Quote a title that ends in time-like words: `/meet schedule \"Retro 12/03\" friday 9am`",
			"\"private\" limits the meeting to the people invited."}},
	{VerbNow, "/meet now [title] [for <duration>]", "Start a meeting right away.", "/meet now standup for 15m", nil},
	{VerbList, "/meet list", "Show this channel's upcoming meetings.", "/meet list", nil},
	{VerbInfo, "/meet info <id>", "Show one meeting.", "/meet info 12", nil},
	{VerbJoin, "/meet join [<id>]", "Get your personal join link (without an id: this channel's current meeting).", "/meet join 12", nil},
	{VerbRSVP, "/meet rsvp <id> yes|no|maybe", "Say whether you are coming.", "/meet rsvp 12 yes", nil},
	{VerbSkip, "/meet skip <id> [<day>]", "Leave out one meeting of a series (without a day: the next one).", "/meet skip 12 friday", nil},
	{VerbMove, "/meet move <id> [all] to <when>", "Move a meeting; for a series, only its next meeting, or with \"all\" the whole series from then on.",
		"/meet move 12 to tomorrow 4pm", []string{"Move a whole series: `/meet move 12 all to monday 10:00`"}},
	{VerbCancel, "/meet cancel <id>", "Cancel a meeting or a whole series (organizer or workspace admin).", "/meet cancel 12", nil},
	{VerbInvite, "/meet invite <id> @people [as host]", "Add people to a meeting; with \"as host\", make them co-hosts (host role in the call, may manage the meeting).",
		"/meet invite 12 @ana @bo", []string{"Make a co-host: `/meet invite 12 @ana as host`"}},
	{VerbRemove, "/meet remove <id> @people", "Take people off a meeting; their links stop working.", "/meet remove 12 @bo", nil},
	{VerbICS, "/meet ics <id>", "Get a calendar file (.ics) for a meeting or series, to add it to your calendar.", "/meet ics 12", nil},
	{VerbSummary, "/meet summary <id>", "Show the AI summary of a meeting's last session, or say why there is none.", "/meet summary 12", nil},
	{VerbTZ, "/meet tz <zone>", "Set your time zone (an IANA name).", "/meet tz Europe/Berlin", nil},
	{VerbSettings, "/meet settings [<setting> <value>]", "Show this workspace's settings; admins change one at a time.", "/meet settings reminders 10m, 0",
		[]string{
			"`zone Europe/Berlin` (for people with no zone), `reminders 1h, 10m, 0` or `off`, `early 5m` (joining opens before the start), " +
				"`grace 10m` (stays open after the end); each also takes `default` for the operator's value.",
			"`dm on|off` (remind invitees and \"yes\" RSVPs by direct message), `schedulers everyone|admins`, " +
				"`admins add @ana` or `admins remove @ana` (meetbot admins besides the platform's).",
			"`recordings on|off` (send the organizer a link to each recording), `summaries on|off` (post the AI summary after a meeting); both off by default.",
			"`video 720p|1080p`, `frame_rate 1-30` and `screenshare_frame_rate 1-30` (camera and screen-share quality; each takes `default`). " +
				core.MediaBandwidthWarning,
			"Example: `/meet settings schedulers admins`"}},
	{VerbHelp, "/meet help [command]", "Show this text, or one command's.", "/meet help schedule", nil},
}

const (
	helpIntro = "/meet schedules video meetings. Times are read in your time zone; set it with `/meet tz Europe/Berlin`."
	helpTimes = "Times: \"tomorrow 3pm\", \"next monday 10:30\", \"friday 9am\", \"in 2 hours\", \"in 3 days\", \"dec 3 14:00\", \"2026-12-03 14:00\", \"noon\".\n" +
		"A time of day alone means its next occurrence; 2:30 AM on a day the clocks skip becomes 3:30 AM, and a time the clocks repeat uses the first one."
	helpDurations = "Durations: \"45m\", \"1h30m\", \"1.5h\", \"2 hours\"; at most 24 h."
	helpRepeat    = "Repeating: say how, then the time of day: \"weekdays 9:30\", \"every day 9am\", \"daily 9am\", \"every monday 10:00\", " +
		"\"every 2 weeks on tue,thu 16:00\", \"every month on the 1st 9:00\", \"monthly on the 15th at 5pm\", \"monthly on the last friday 16:00\".\n" +
		"End a series with \"until jun 30\" or \"for 10 times\", such as `/meet schedule standup weekdays 9:30 for 15m until jun 30`; " +
		"start it on a later day with \"from jan 11\" or \"starting 2027-01-11\", such as `/meet schedule standup every monday 10:00 from jan 11`. " +
		"The time stays the same local time when the clocks change. An iCalendar rule works too: `/meet schedule review RRULE:FREQ=MONTHLY;BYDAY=1MO 10:00`"
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
	b.WriteString("\n" + helpTimes + "\n" + helpRepeat + "\n" + helpDurations + "\n")
	return b.String()
}

// HelpTopic returns the help for one topic (a verb, "time", "duration" or
// "repeat", as Parse puts in Command.Topic), or the whole help for "" or an
// unknown topic, so a person asking about one command is not buried in all
// of them.
func HelpTopic(topic string) string {
	switch topic {
	case "":
		return Help()
	case "time":
		return helpTimes + "\n"
	case "duration":
		return helpDurations + "\n"
	case "repeat":
		return helpRepeat + "\n"
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
