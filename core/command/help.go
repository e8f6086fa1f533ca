package command

// Help returns the /meet grammar with a working example for every verb. It
// is plain text (backticks mark what to type) so every adapter can show it
// as is; the package tests parse each example to keep them honest.
func Help() string {
	return `/meet schedules video meetings. Times are read in your time zone; set it with ` + "`/meet tz Europe/Berlin`" + `.

` + "`/meet schedule <title> <when> [for <duration>] [with @people] [private]`" + `
  Plan a meeting. Example: ` + "`/meet schedule team sync tomorrow 3pm for 45m with @ana @bo`" + `
  Quote a title that ends in time-like words: ` + "`/meet schedule \"Retro 12/03\" friday 9am`" + `
  "private" limits the meeting to the people invited.
` + "`/meet now [title] [for <duration>]`" + `
  Start a meeting right away. Example: ` + "`/meet now standup for 15m`" + `
` + "`/meet list`" + `
  Show the upcoming meetings. Example: ` + "`/meet list`" + `
` + "`/meet info <id>`" + `
  Show one meeting. Example: ` + "`/meet info 12`" + `
` + "`/meet join [<id>]`" + `
  Get your personal join link (without an id: this channel's current meeting). Example: ` + "`/meet join 12`" + `
` + "`/meet cancel <id>`" + `
  Cancel a meeting. Example: ` + "`/meet cancel 12`" + `
` + "`/meet invite <id> @people`" + `
  Add people to a meeting. Example: ` + "`/meet invite 12 @ana @bo`" + `
` + "`/meet remove <id> @people`" + `
  Take people off a meeting. Example: ` + "`/meet remove 12 @bo`" + `
` + "`/meet tz <zone>`" + `
  Set your time zone (an IANA name). Example: ` + "`/meet tz Europe/Berlin`" + `
` + "`/meet help [command]`" + `
  Show this text. Example: ` + "`/meet help schedule`" + `

Times: "tomorrow 3pm", "next monday 10:30", "friday 9am", "in 2 hours", "in 3 days", "dec 3 14:00", "2026-12-03 14:00", "noon".
A time of day alone means its next occurrence; 2:30 AM on a day the clocks skip becomes 3:30 AM, and a time the clocks repeat uses the first one.
Durations: "45m", "1h30m", "1.5h", "2 hours"; at most 24 h.
`
}
