package discord_test

import (
	"strconv"
	"strings"
	"testing"

	dg "github.com/bwmarrin/discordgo"
)

// autocomplete builds an autocomplete interaction for sub with the named
// option focused holding typed.
func (h *harness) autocomplete(user, sub, focused, typed string, others ...*dg.ApplicationCommandInteractionDataOption) *dg.Interaction {
	i := h.interaction(guildA, user, sub, append(others, &dg.ApplicationCommandInteractionDataOption{
		Name: focused, Type: dg.ApplicationCommandOptionString, Value: typed, Focused: true})...)
	i.Type = dg.InteractionApplicationCommandAutocomplete
	return i
}

// TestAutocompleteWithinLimits: meeting ids named by title, zones by
// prefix, never more than 25 choices, each name and value ≤ 100.
func TestAutocompleteWithinLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for n := range 27 {
		h.command(t, "U1", "schedule", opt("title", "Meeting "+strconv.Itoa(n)+" "+strings.Repeat("long ", 35)), opt("when", "tomorrow 3pm"))
	}
	check := func(r response) {
		t.Helper()
		if r.Type != int(dg.InteractionApplicationCommandAutocompleteResult) || len(r.Data.Choices) > 25 {
			t.Fatalf("answer: %d choices: %s", len(r.Data.Choices), r.raw)
		}
		for _, c := range r.Data.Choices {
			v, _ := c.Value.(string)
			if len([]rune(c.Name)) > 100 || len([]rune(v)) > 100 || v == "" {
				t.Fatalf("choice %+v", c)
			}
		}
	}
	r := h.send(t, h.autocomplete("U1", "info", "id", ""))
	check(r)
	if len(r.Data.Choices) != 25 || !strings.HasPrefix(r.Data.Choices[0].Name, "1 · Meeting 0") {
		t.Fatalf("ids: %s", r.raw)
	}
	r = h.send(t, h.autocomplete("U1", "cancel", "id", "26"))
	check(r)
	if len(r.Data.Choices) != 2 || r.Data.Choices[0].Value != "26" {
		t.Fatalf("id 26: %s", r.raw)
	}
	r = h.send(t, h.autocomplete("U1", "tz", "zone", ""))
	check(r)
	if len(r.Data.Choices) != 25 {
		t.Fatalf("zones: %s", r.raw)
	}
	r = h.send(t, h.autocomplete("U1", "tz", "zone", "europe/ber"))
	check(r)
	if len(r.Data.Choices) != 1 || r.Data.Choices[0].Value != "Europe/Berlin" {
		t.Fatalf("berlin: %s", r.raw)
	}
}

// TestWhenPreview shows how the typed time reads, in the person's zone,
// and the grammar's error sentence when it does not parse.
func TestWhenPreview(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.command(t, "U1", "tz", opt("zone", "Europe/Berlin"))
	r := h.send(t, h.autocomplete("U1", "schedule", "when", "tomorrow 3pm"))
	if len(r.Data.Choices) != 1 || r.Data.Choices[0].Name != "tomorrow 3pm → Thu 26 Nov 15:00 CET" || r.Data.Choices[0].Value != "tomorrow 3pm" {
		t.Fatalf("preview: %s", r.raw)
	}
	r = h.send(t, h.autocomplete("U1", "schedule", "when", "9:30", opt("repeat", "weekdays")))
	if len(r.Data.Choices) != 1 || !strings.Contains(r.Data.Choices[0].Name, "9:30 → ") || !strings.Contains(r.Data.Choices[0].Name, "repeats") {
		t.Fatalf("series preview: %s", r.raw)
	}
	r = h.send(t, h.autocomplete("U1", "move", "when", "yesterday 3pm"))
	if len(r.Data.Choices) != 1 || strings.Contains(r.Data.Choices[0].Name, "→") || len([]rune(r.Data.Choices[0].Name)) > 100 {
		t.Fatalf("error preview: %s", r.raw)
	}
}
