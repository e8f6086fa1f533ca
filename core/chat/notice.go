package chat

import (
	"fmt"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

// ReminderText renders a reminder for a channel, in zone. It tells how far
// the start is, or, after downtime, how long ago it started, so a late
// reminder still reads right.
func ReminderText(r core.Reminder, zone string, now time.Time) string {
	m, occ := r.Meeting, r.Occurrence
	var when string
	switch until := occ.Start.Sub(now); {
	case r.Late > 0 && until < 0:
		when = fmt.Sprintf("started %s ago, at %s", core.HumanDuration(-until), core.ClockTime(occ.Start, zone, now))
	case until >= time.Minute:
		when = fmt.Sprintf("starts in %s, at %s", core.HumanDuration(until), core.ClockTime(occ.Start, zone, now))
	default:
		when = fmt.Sprintf("is starting now (%s)", core.ClockTime(occ.Start, zone, now))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Reminder: %s (meeting %s) %s.", quoted(m.Title), m.ID, when)
	if yes, _, maybe := m.RSVPCounts(); yes+maybe > 0 {
		fmt.Fprintf(&b, " %d going, %d maybe.", yes, maybe)
	}
	if r.Window.PhaseAt(now) == core.PhaseOpen {
		fmt.Fprintf(&b, " Joining is open: \"/meet join %s\" gives you your own link.", m.ID)
	} else {
		fmt.Fprintf(&b, " Joining opens at %s: \"/meet join %s\" then gives you your own link.", core.ClockTime(r.Window.Opens, zone, now), m.ID)
	}
	return b.String()
}

// AnnouncementText renders a change to a meeting for its channel.
func AnnouncementText(a core.Announcement, zone string, now time.Time) string {
	m := a.Meeting
	switch a.Kind {
	case "moved":
		return fmt.Sprintf("Meeting %s, %s, moved from %s to %s by @%s. Links issued for the old time no longer work.",
			m.ID, quoted(m.Title), core.ClockTime(a.Occurrence.Start, zone, now), core.FullTime(a.NewStart, zone), a.By)
	case "skipped":
		return fmt.Sprintf("Meeting %s, %s, is skipped on %s (by @%s).", m.ID, quoted(m.Title), core.ClockTime(a.Occurrence.Start, zone, now), a.By)
	case "cancelled":
		return fmt.Sprintf("Meeting %s, %s, was cancelled by @%s.", m.ID, quoted(m.Title), a.By)
	}
	return fmt.Sprintf("Meeting %s, %s, changed.", m.ID, quoted(m.Title))
}

// quoted puts a title in quotes as it is. Notices go to chat adapters that
// escape titles for their own markup first, so Go quoting (which doubles
// backslashes) would spoil that escaping.
func quoted(title string) string { return "\"" + title + "\"" }
