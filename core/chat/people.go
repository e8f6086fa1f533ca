package chat

import (
	"fmt"
	"strings"

	"github.com/meetbot/meetbot/core"
)

// inviteText says exactly what an invite changed: who was added (or made a
// co-host) and who already was, so a second invite never reads as a first.
func inviteText(res *core.InviteResult, hosts bool) string {
	m := res.Meeting
	var parts []string
	switch {
	case len(res.Added) > 0 && hosts:
		parts = append(parts, fmt.Sprintf("Made %s %s of meeting %s, %q: the host role in the call, and they may manage the meeting.",
			mentions(res.Added), plural(len(res.Added), "a co-host", "co-hosts"), m.ID, m.Title))
	case len(res.Added) > 0:
		parts = append(parts, fmt.Sprintf("Invited %s to meeting %s, %q.", mentions(res.Added), m.ID, m.Title))
	}
	if len(res.Already) > 0 {
		what := plural(len(res.Already), "was already invited", "were already invited")
		if hosts {
			what = plural(len(res.Already), "is already a host", "are already hosts")
		}
		s := fmt.Sprintf("%s %s", mentions(res.Already), what)
		if len(res.Added) == 0 {
			s += fmt.Sprintf(" to meeting %s, %q; nothing changed", m.ID, m.Title)
		}
		parts = append(parts, s+".")
	}
	return strings.Join(parts, " ")
}

// removeText says exactly what a removal changed, person by person.
func removeText(res *core.RemoveResult) string {
	m := res.Meeting
	var parts []string
	if len(res.Removed) > 0 {
		parts = append(parts, fmt.Sprintf("Removed %s from meeting %s, %q. They get no new links, and any link they had stops working.",
			mentions(res.Removed), m.ID, m.Title))
	}
	if len(res.Barred) > 0 {
		parts = append(parts, fmt.Sprintf("%s %s not invited to meeting %s, %q, but could join it from the channel; now they can't.",
			mentions(res.Barred), plural(len(res.Barred), "was", "were"), m.ID, m.Title))
	}
	if len(res.NotInvited) > 0 {
		parts = append(parts, fmt.Sprintf("%s %s not invited to meeting %s, %q, so nothing changed for them.",
			mentions(res.NotInvited), plural(len(res.NotInvited), "was", "were"), m.ID, m.Title))
	}
	if len(res.AlreadyRemoved) > 0 {
		parts = append(parts, fmt.Sprintf("%s %s already removed from meeting %s.",
			mentions(res.AlreadyRemoved), plural(len(res.AlreadyRemoved), "was", "were"), m.ID))
	}
	if len(res.Pending) > 0 {
		parts = append(parts, fmt.Sprintf("(The video service did not answer for %s; their access will be revoked as soon as it does.)", mentions(res.Pending)))
	}
	return strings.Join(parts, " ")
}

// plural picks the singular or plural wording for n people.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
