package discord_test

import (
	"testing"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/internal/testenv"
)

// TestWorkspaceZoneForMembersWithout: Discord reports no zone, so a member
// who set none gets the server's zone once an admin sets it, in the "when"
// preview and in the meeting it schedules and moves, as on every platform
// (issue 10's item 1); their own /meet tz still wins.
func TestWorkspaceZoneForMembersWithout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	set := h.interaction(guildA, "U9", "settings", opt("args", "zone Europe/Paris"))
	set.Member.Permissions = dg.PermissionManageGuild
	h.send(t, set)
	r := h.send(t, h.autocomplete("U1", "schedule", "when", "tomorrow 3pm"))
	if len(r.Data.Choices) != 1 || r.Data.Choices[0].Name != "tomorrow 3pm → Thu 26 Nov 15:00 CET" {
		t.Fatalf("preview: %s", r.raw)
	}
	r = h.send(t, h.autocomplete("U1", "move", "when", "tomorrow 4pm"))
	if len(r.Data.Choices) != 1 || r.Data.Choices[0].Name != "tomorrow 4pm → Thu 26 Nov 16:00 CET" {
		t.Fatalf("move preview: %s", r.raw)
	}
	h.command(t, "U1", "schedule", opt("title", "Sync"), opt("when", "tomorrow 3pm"))
	h.command(t, "U1", "move", opt("id", "1"), opt("when", "tomorrow 4pm"))
	paris := testenv.MustZone("Europe/Paris")
	ms := h.meetings(t)
	if len(ms) != 1 || ms[0].TimeZone != "Europe/Paris" || ms[0].Start.In(paris).Hour() != 16 {
		t.Fatalf("meetings: %+v", ms)
	}
	h.command(t, "U1", "tz", opt("zone", "Asia/Tokyo"))
	r = h.send(t, h.autocomplete("U1", "schedule", "when", "tomorrow 3pm"))
	if len(r.Data.Choices) != 1 || r.Data.Choices[0].Name != "tomorrow 3pm → Fri 27 Nov 15:00 JST" {
		t.Fatalf("own zone preview: %s", r.raw)
	}
}
