package discord_test

import (
	"regexp"
	"strings"
	"testing"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/adapters/chatkit/chatkittest"
)

// TestListOrderAndPrivate: Discord shows core/chat's list, so it has the
// same order (start, then id as a number) and marks a private meeting
// "(upcoming, private)" for the people who may see it.
func TestListOrderAndPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	chatkittest.ListOrderAndPrivate(t, chatkittest.Lister{
		Schedule: func(title string, private bool) {
			opts := []*dg.ApplicationCommandInteractionDataOption{opt("title", title), opt("when", "tomorrow 3pm")}
			if private {
				opts = append(opts, opt("private", true))
			}
			h.command(t, "U1", "schedule", opts...)
		},
		List:          func(user string) string { return h.command(t, user, "list").Data.Content },
		IDs:           regexp.MustCompile(`(?m)^  ([0-9]+) `),
		PrivateMarked: func(text string) bool { return strings.Contains(text, "(upcoming, private)") },
	})
}
