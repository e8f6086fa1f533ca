package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/command"
)

// runSeries handles the verbs that act on a meeting's time: skip, move,
// rsvp, and the calendar link.
func (h *Handler) runSeries(ctx context.Context, a core.Actor, cmd command.Command, loc *time.Location, now time.Time) Reply {
	switch cmd.Verb {
	case command.VerbSkip:
		m, occ, err := h.svc.Skip(ctx, a, cmd.MeetingID, cmd.Start)
		if err != nil {
			return failure(cmd.Verb, err)
		}
		text := fmt.Sprintf("Skipped %q on %s.", m.Title, core.ClockTime(occ.Start, loc.String(), now))
		if next := m.NextOccurrences(now, 1); len(next) > 0 {
			text += fmt.Sprintf(" The next one is %s.", core.FullTime(next[0].Start, loc.String()))
		}
		return Reply{OK: true, Text: text, Meeting: m}
	case command.VerbMove:
		m, old, err := h.svc.Move(ctx, a, cmd.MeetingID, cmd.Start, cmd.All)
		if err != nil {
			return failure(cmd.Verb, err)
		}
		what := fmt.Sprintf("Moved meeting %s, %q,", m.ID, m.Title)
		switch {
		case m.IsRecurring() && cmd.All:
			what = fmt.Sprintf("Moved the whole series %q (meeting %s)", m.Title, m.ID)
		case m.IsRecurring():
			what = fmt.Sprintf("Moved one occurrence of %q (meeting %s)", m.Title, m.ID)
		}
		text := fmt.Sprintf("%s from %s to %s. Links issued for the old time no longer work.",
			what, core.ClockTime(old.Start, loc.String(), now), core.FullTime(cmd.Start, loc.String()))
		if cmd.All && !m.IsRecurring() {
			text += " (\"all\" is for series; this meeting happens once, so the meeting itself moved.)"
		}
		if cmd.StartNote != "" {
			text += "\nNote: " + cmd.StartNote
		}
		return Reply{OK: true, Text: text, Meeting: m}
	case command.VerbRSVP:
		m, err := h.svc.RSVP(ctx, a, cmd.MeetingID, core.RSVP(cmd.RSVP))
		if err != nil {
			return failure(cmd.Verb, err)
		}
		yes, no, maybe := m.RSVPCounts()
		return Reply{OK: true, Meeting: m, Text: fmt.Sprintf("Noted: %s for %q. So far %d yes, %d no, %d maybe.", cmd.RSVP, m.Title, yes, no, maybe)}
	case command.VerbICS:
		m, err := h.svc.Info(ctx, a, cmd.MeetingID)
		if err != nil {
			return failure(cmd.Verb, err)
		}
		// Nothing to join or to plan around: no calendar file, no join hint.
		_, w := h.svc.Current(ctx, m)
		switch {
		case m.State == core.StateCancelled:
			r := failure(cmd.Verb, core.Errorf(core.EENDED, "Meeting %s, %q, was cancelled, so there is nothing to add to a calendar.", m.ID, m.Title))
			r.Meeting = m
			return r
		case m.State == core.StateEnded || w.PhaseAt(now) == core.PhaseAfter:
			r := failure(cmd.Verb, core.Errorf(core.EENDED, "Meeting %s, %q, is over, so there is nothing to add to a calendar.", m.ID, m.Title))
			r.Meeting = m
			return r
		}
		return Reply{OK: true, Meeting: m, Text: fmt.Sprintf("Add %q to your calendar: %s\nIt has no join link in it; join from chat with \"/meet join %s\".", m.Title, h.svc.CalendarURL(m), m.ID)}
	}
	return failure(cmd.Verb, core.Errorf(core.EINVALID, "I don't know that command. Try \"/meet help\"."))
}
