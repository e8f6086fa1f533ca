package discord_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	dg "github.com/bwmarrin/discordgo"
)

// FuzzInteraction feeds arbitrary interaction bodies, as they would
// arrive once their signature checked out, through Handle: it never
// panics, always answers, never shows a join link in public, and every
// message it builds parses no mentions. Seeds are in
// testdata/fuzz/FuzzInteraction and the docs' samples in testdata.
func FuzzInteraction(f *testing.F) {
	for _, name := range []string{"discord_command.json", "discord_component.json", "discord_autocomplete.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	h := newHarness(f)
	h.command(f, "U1", "now", []*dg.ApplicationCommandInteractionDataOption{opt("title", "standup")}...)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte) {
		var i dg.Interaction
		if err := json.Unmarshal(body, &i); err != nil {
			return
		}
		resp := h.adapter.Handle(ctx, &i)
		if resp == nil {
			t.Fatal("no answer")
		}
		out, err := json.Marshal(resp)
		if err != nil {
			t.Fatalf("answer does not marshal: %v", err)
		}
		if resp.Type == dg.InteractionResponseChannelMessageWithSource {
			d := resp.Data
			if d == nil || d.AllowedMentions == nil || d.AllowedMentions.Parse == nil || len(d.AllowedMentions.Parse) != 0 {
				t.Fatalf("mentions not neutralised: %s", out)
			}
			if d.Flags&dg.MessageFlagsEphemeral == 0 && strings.Contains(string(out), "/j/") {
				t.Fatalf("a public answer holds a join link: %s", out)
			}
			if len([]rune(d.Content)) > 2000 {
				t.Fatalf("content of %d characters", len([]rune(d.Content)))
			}
		}
		if resp.Type == dg.InteractionApplicationCommandAutocompleteResult && len(resp.Data.Choices) > 25 {
			t.Fatalf("%d choices", len(resp.Data.Choices))
		}
	})
}
