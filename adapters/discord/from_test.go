package discord_test

import (
	"strings"
	"testing"
	"time"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestScheduleFromOption: the schedule subcommand's "from" option sets a
// repeating meeting's first day, through the same grammar as the typed
// "from", and a day already past is refused by name.
func TestScheduleFromOption(t *testing.T) {
	t.Parallel()
	opts := []*dg.ApplicationCommandInteractionDataOption{opt("title", "Standup"), opt("when", "10:00"), opt("repeat", "every monday"), opt("from", "jan 11")}
	if line := discord.Line("schedule", opts); line != `/meet schedule "Standup" every monday 10:00 from jan 11` {
		t.Errorf("line %q", line)
	}
	h := newHarness(t)
	r := h.command(t, "U1", "schedule", opt("title", "Standup"), opt("when", "10:00"), opt("repeat", "every monday"), opt("from", "2026-11-01"))
	if !strings.Contains(r.Data.Content, "The series' first day, Sun Nov 1 2026, has already passed.") {
		t.Errorf("past first day: %s", r.raw)
	}
	h.command(t, "U1", "schedule", opts...)
	ms := h.meetings(t)
	if len(ms) != 1 || ms[0].Start.In(testenv.MustZone(ms[0].TimeZone)).Format(time.DateTime) != "2027-01-11 10:00:00" {
		t.Fatalf("meetings: %+v", ms)
	}
}

// TestWhenPreviewHonoursFrom: the "when" preview of a series with a first
// day shows the first meeting on that day, not the next one from now.
func TestWhenPreviewHonoursFrom(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "tz", opt("zone", "Europe/Berlin"))
	r := h.send(t, h.autocomplete("U1", "schedule", "when", "10:00", opt("repeat", "every monday"), opt("from", "jan 11")))
	if len(r.Data.Choices) != 1 || !strings.HasPrefix(r.Data.Choices[0].Name, "10:00 → Mon 11 Jan 2027 10:00 CET") {
		t.Fatalf("preview: %s", r.raw)
	}
}
