package chat

import (
	"fmt"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/command"
)

// readsTime reports whether cmd read a time of day or a date in the
// actor's zone, so a reply to it must say which zone that was when the
// person never chose it.
func readsTime(cmd command.Command) bool {
	switch cmd.Verb {
	case command.VerbSchedule, command.VerbNow, command.VerbMove:
		return true
	case command.VerbSkip:
		return !cmd.Start.IsZero()
	}
	return false
}

// ZoneUnreadNote is what a person is told when their platform keeps a
// zone for them that could not be read for this request (a.ZoneUnread), so
// their times were read in loc, a zone they may not be in: "I could not
// read your Slack time zone, so I used Europe/Paris; /meet tz sets yours."
// It is "" when a's zone was read or they set their own (src). Unlike the
// one-time hint it is said every time, because the next lookup may work.
func ZoneUnreadNote(a core.Actor, loc *time.Location, src core.ZoneSource) string {
	if a.ZoneUnread == "" || src != core.ZoneFromWorkspace && src != core.ZoneFromConfig {
		return ""
	}
	return fmt.Sprintf("I could not read your %s time zone, so I used %s; /meet tz sets yours.", a.ZoneUnread, loc.String())
}

// addNote appends note to r as its Note and the last line of its Text.
func addNote(r *Reply, note string) {
	if note == "" {
		return
	}
	r.Note = note
	r.Text += "\n" + note
}
