package chat

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/command"
)

// maxInfoPeople caps the people listed per occurrence in "/meet info", so
// a big meeting's info stays readable; the count is always given.
const maxInfoPeople = 25

// roomsText renders the rooms of a meeting's last occurrences for "/meet
// info": the live state, then who came to each occurrence with their first
// join and total time.
func roomsText(m *core.Meeting, rooms []core.RoomState, loc *time.Location, now time.Time) string {
	if len(rooms) == 0 {
		return ""
	}
	zone := loc.String()
	var b strings.Builder
	at := func(t time.Time) string { return core.ClockTime(t, zone, now) }
	for i, r := range rooms {
		if i == 0 && r.Live {
			for _, l := range r.CardLines(func(s string) string { return s }, at, false) {
				b.WriteString("  " + l + "\n")
			}
		}
	}
	b.WriteString("  Attendance:\n")
	for _, r := range rooms {
		state := fmt.Sprintf("%d attended, %s", len(r.People), core.HumanDuration(r.Length))
		if r.Live {
			state = fmt.Sprintf("live, %d in the room", r.InRoom)
		}
		fmt.Fprintf(&b, "    %s (%s)", core.ClockTime(r.Occurrence.Start, zone, now), state)
		if len(m.RSVPs) > 0 && r.Ended {
			b.WriteString(": " + r.RSVP.Line())
		}
		b.WriteString("\n")
		for j, p := range r.People {
			if j == maxInfoPeople {
				fmt.Fprintf(&b, "      …and %d more\n", len(r.People)-j)
				break
			}
			who := p.Name
			if p.UserID != "" {
				who = "@" + p.UserID
				if p.Name != "" && p.Name != p.UserID {
					who += " (" + p.Name + ")"
				}
			}
			if who == "" {
				who = "a guest"
			}
			fmt.Fprintf(&b, "      %s: joined %s, %s in the room", who, core.ClockTime(p.FirstJoin, zone, now), core.HumanDuration(p.Total))
			if p.InRoom {
				b.WriteString(" (still there)")
			}
			b.WriteString("\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// runSummary is /meet summary: the AI summary of the meeting's last
// session, or a sentence saying why there is none.
func (h *Handler) runSummary(ctx context.Context, a core.Actor, cmd command.Command) Reply {
	m, err := h.svc.Info(ctx, a, cmd.MeetingID)
	if err != nil {
		return failure(cmd.Verb, err)
	}
	text, err := h.svc.Summary(ctx, a, m)
	if err != nil {
		r := failure(cmd.Verb, err)
		r.Meeting = m
		return r
	}
	return Reply{OK: true, Text: fmt.Sprintf("Summary of %q (meeting %s):\n%s", m.Title, m.ID, text), Meeting: m, Summary: text, Private: true}
}
