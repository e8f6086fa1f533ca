package chat

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/recur"
)

// statusWord names where a meeting stands at now, for lists and info: the
// words people read for Status's machine-readable values.
func statusWord(m *core.Meeting, w core.Window, now time.Time) string {
	switch st := Status(m, w, now); st {
	case "open":
		return "open now"
	case "scheduled":
		return "upcoming"
	default:
		return st
	}
}

// Status is the machine-readable status of a meeting at now: "scheduled",
// "open", "ended" or "cancelled". The console's JSON uses it.
func Status(m *core.Meeting, w core.Window, now time.Time) string {
	switch {
	case m.State == core.StateCancelled:
		return "cancelled"
	case m.State == core.StateEnded:
		return "ended"
	case w.PhaseAt(now) == core.PhaseOpen:
		return "open"
	case w.PhaseAt(now) == core.PhaseAfter:
		return "ended"
	default:
		return "scheduled"
	}
}

func scheduledText(m *core.Meeting, loc *time.Location, now time.Time, w core.Window) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Scheduled %q as meeting %s: %s, for %s.", m.Title, m.ID, core.FullTime(m.Start, loc.String()), core.HumanDuration(m.Duration))
	if m.IsRecurring() {
		fmt.Fprintf(&b, " Repeats %s.", recur.Describe(m.Recurrence, loc))
	}
	if w.PhaseAt(now) == core.PhaseOpen {
		fmt.Fprintf(&b, " It is open now: \"/meet join %s\" gives you your link.", m.ID)
	} else {
		fmt.Fprintf(&b, " Joining opens at %s; then \"/meet join %s\" gives each person their own link.", core.ClockTime(w.Opens, loc.String(), now), m.ID)
	}
	if len(m.Invitees) > 0 {
		fmt.Fprintf(&b, " Invited: %s.", mentions(m.Invitees))
	}
	if m.Private {
		b.WriteString(" Private: only invitees can join.")
	}
	return b.String()
}

// listText renders the channel's meetings one a line, with the id and time
// columns aligned (text/tabwriter) however wide the ids grow. Private
// meetings are marked; List only returns them to people who may see them.
func listText(ms []*core.Meeting, loc *time.Location, now time.Time) string {
	if len(ms) == 0 {
		return "No upcoming meetings in this channel. Schedule one with \"/meet schedule Weekly sync tomorrow 3pm\"."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Upcoming meetings in this channel (times in %s):\n", loc.String())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, m := range ms {
		occ := m.CurrentOccurrence(now, 0, 0)
		state := "upcoming"
		if !now.Before(occ.Start) && now.Before(occ.End) {
			state = "running"
		}
		if m.Private {
			state += ", private"
		}
		if m.IsRecurring() {
			state += ", repeats " + recur.Describe(m.Recurrence, loc)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%q, %s, by @%s (%s)\n", m.ID, core.ClockTime(occ.Start, loc.String(), now), m.Title, core.HumanDuration(m.Duration), organizer(m), state)
	}
	_ = tw.Flush() // writes to a strings.Builder, which never fails
	return strings.TrimRight(b.String(), "\n")
}

// infoText renders one meeting. "When" is the occurrence that matters now
// (open, or the next to come; never a skipped one), "Next" the ones after
// it, and skipped dates among them are named so a gap is not a surprise.
// A cancelled or ended meeting shows no join window and no next dates.
func infoText(m *core.Meeting, occ core.Occurrence, w core.Window, loc *time.Location, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Meeting %s: %q (%s)\n", m.ID, m.Title, statusWord(m, w, now))
	fmt.Fprintf(&b, "  When: %s, for %s\n", core.FullTime(occ.Start, loc.String()), core.HumanDuration(m.Duration))
	if loc.String() != m.TimeZone {
		fmt.Fprintf(&b, "        (written as %s)\n", core.FullTime(occ.Start, m.TimeZone))
	}
	live := m.State != core.StateCancelled && m.State != core.StateEnded && w.PhaseAt(now) != core.PhaseAfter
	if m.IsRecurring() {
		fmt.Fprintf(&b, "  Repeats: %s\n", recur.Describe(m.Recurrence, loc))
	}
	if m.IsRecurring() && live {
		next := m.NextOccurrences(occ.Start.Add(time.Nanosecond), 5)
		if len(next) > 0 {
			b.WriteString("  Next: " + clockList(next, loc, now) + "\n")
		}
		to := now.AddDate(5, 0, 0)
		if len(next) > 0 {
			to = next[len(next)-1].Start
		}
		if skipped := m.SkippedBetween(now, to); len(skipped) > 0 {
			var when []string
			for _, t := range skipped {
				when = append(when, core.ClockTime(t, loc.String(), now))
			}
			b.WriteString("  Skipped: " + strings.Join(when, ", ") + "\n")
		}
	}
	if live {
		fmt.Fprintf(&b, "  Join window: %s to %s\n", core.ClockTime(w.Opens, loc.String(), now), core.ClockTime(w.Closes, loc.String(), now))
	}
	if yes, no, maybe := m.RSVPCounts(); yes+no+maybe > 0 {
		fmt.Fprintf(&b, "  RSVPs: %d yes, %d no, %d maybe\n", yes, no, maybe)
	}
	fmt.Fprintf(&b, "  Organizer: @%s\n", organizer(m))
	if len(m.CoHosts) > 0 {
		fmt.Fprintf(&b, "  Co-hosts: %s\n", mentions(m.CoHosts))
	}
	if len(m.Invitees) > 0 {
		fmt.Fprintf(&b, "  Invited: %s\n", mentions(m.Invitees))
	}
	if m.Private {
		b.WriteString("  Private: only invitees can join\n")
	}
	if m.State == core.StateCancelled {
		fmt.Fprintf(&b, "  Cancelled by @%s\n", m.CancelledBy)
	}
	return strings.TrimRight(b.String(), "\n")
}

// clockList renders occurrences' starts as a comma-separated list.
func clockList(occs []core.Occurrence, loc *time.Location, now time.Time) string {
	parts := make([]string, len(occs))
	for i, o := range occs {
		parts[i] = core.ClockTime(o.Start, loc.String(), now)
	}
	return strings.Join(parts, ", ")
}

func organizer(m *core.Meeting) string {
	if m.OrganizerName != "" {
		return m.OrganizerName
	}
	return m.Organizer
}
