package discord_test

import (
	"net/http"
	"strings"
	"testing"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/adapters/chatkit"
	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/internal/closedstore"
)

// TestStoreDownRefusesInteraction: when the store cannot record an
// interaction, the command is not run (it may have run on the replica
// that did record it) and the person gets a plain sentence to try again,
// over HTTP and the gateway alike; autocomplete gets no choices.
func TestStoreDownRefusesInteraction(t *testing.T) {
	t.Parallel()
	down := closedstore.New(t)
	h := newHarness(t, func(o *discord.Options) { o.Store = down })
	r := h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	if !r.ephemeral() || r.Data.Content != chatkit.NotRecorded {
		t.Fatalf("HTTP answer: %s", r.raw)
	}
	i := h.interaction(guildA, "U1", "now", opt("title", "sync"))
	h.adapter.OnInteractionCreate(h.adapter.Session(), &dg.InteractionCreate{Interaction: i})
	h.adapter.Wait()
	cb := h.api.Calls(http.MethodPost, "/interactions/"+i.ID+"/"+i.Token+"/callback")
	if len(cb) != 1 || !strings.Contains(string(cb[0].Body), chatkit.NotRecorded) {
		t.Fatalf("gateway callbacks: %+v", cb)
	}
	h.wantMeetings(t, 0, "stored although no delivery was recorded")
	if len(h.api.Calls(http.MethodPost, "/channels/C1/messages")) != 0 {
		t.Fatal("a card was posted for a refused command")
	}
	ac := h.send(t, h.autocomplete("U1", "info", "id", ""))
	if ac.Type != int(dg.InteractionApplicationCommandAutocompleteResult) || len(ac.Data.Choices) != 0 {
		t.Fatalf("autocomplete answer: %s", ac.raw)
	}
	if !strings.Contains(h.env.Logs.String(), "could not record a discord interaction") {
		t.Fatalf("no log line:\n%s", h.env.Logs.String())
	}
}
