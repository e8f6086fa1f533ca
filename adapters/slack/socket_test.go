package slack_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/meetbot/meetbot/adapters/slack"
)

// acks records Socket Mode acknowledgements.
type acks struct {
	mu  sync.Mutex
	got map[string][]any
}

func (a *acks) Ack(req socketmode.Request, payload ...any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.got == nil {
		a.got = map[string][]any{}
	}
	a.got[req.EnvelopeID] = payload
	return nil
}

func (a *acks) payload(t *testing.T, id string) (string, bool) {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.got[id]
	if !ok || len(p) == 0 {
		return "", ok
	}
	b, _ := json.Marshal(p[0])
	return string(b), true
}

// TestSocketModeSameHandlers drives HandleSocketEvent with the events the
// socketmode client would emit: a slash command is acknowledged with its
// answer (and posts the card), a click is acknowledged and answered
// through response_url, and an Events API payload reaches Options.Events.
func TestSocketModeSameHandlers(t *testing.T) {
	t.Parallel()
	var events [][]byte
	var evMu sync.Mutex
	h := newBotHarness(t, func(o *slack.Options) {
		o.Events = func(_ context.Context, body []byte) ([]byte, error) {
			evMu.Lock()
			defer evMu.Unlock()
			events = append(events, body)
			return nil, nil
		}
	})
	ack := &acks{}
	form := h.commandForm("U1", "schedule Review tomorrow 3pm")
	sc := slackapi.SlashCommand{TeamID: "T1", UserID: "U1", UserName: "u1", ChannelID: "C1", Command: "/meet",
		Text: form.Get("text"), ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id")}
	h.adapter.HandleSocketEvent(t.Context(), ack, socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: sc,
		Request: &socketmode.Request{Type: "slash_commands", EnvelopeID: "env-1"}})
	h.adapter.Wait()
	// The same command delivered again (a redelivered envelope) runs once.
	h.adapter.HandleSocketEvent(t.Context(), ack, socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: sc,
		Request: &socketmode.Request{Type: "slash_commands", EnvelopeID: "env-2"}})
	h.adapter.Wait()

	ic := slackapi.InteractionCallback{Type: slackapi.InteractionTypeBlockActions,
		Team: slackapi.Team{ID: "T1"}, User: slackapi.User{ID: "U2", TeamID: "T1"},
		Channel:     slackapi.Channel{GroupConversation: slackapi.GroupConversation{Conversation: slackapi.Conversation{ID: "C1"}}},
		Container:   slackapi.Container{Type: "message", ChannelID: "C1"},
		TriggerID:   "sock.click.1",
		ResponseURL: h.hooks.URL + "/actions/sock/1",
		ActionCallback: slackapi.ActionCallbacks{BlockActions: []*slackapi.BlockAction{
			{ActionID: "rsvp_yes:1", Type: "button"}}}}
	h.adapter.HandleSocketEvent(t.Context(), ack, socketmode.Event{Type: socketmode.EventTypeInteractive, Data: ic,
		Request: &socketmode.Request{Type: "interactive", EnvelopeID: "env-3"}})
	h.adapter.HandleSocketEvent(t.Context(), ack, socketmode.Event{Type: socketmode.EventTypeEventsAPI,
		Request: &socketmode.Request{Type: "events_api", EnvelopeID: "env-4", Payload: json.RawMessage(`{"type":"event_callback","team_id":"T1"}`)}})
	h.adapter.Wait()

	if p, ok := ack.payload(t, "env-1"); !ok || !strings.Contains(p, `"response_type":"ephemeral"`) || !strings.Contains(p, "Review") {
		t.Fatalf("command ack = %q %v", p, ok)
	}
	for _, id := range []string{"env-2", "env-3", "env-4"} {
		if p, ok := ack.payload(t, id); !ok || p != "" {
			t.Fatalf("%s ack = %q %v, want an empty ack", id, p, ok)
		}
	}
	if ms := h.meetings(t); len(ms) != 1 || ms[0].Card.IsZero() {
		t.Fatalf("meetings = %+v", ms)
	}
	if ups := h.api.Calls("chat.update"); len(ups) != 1 || !strings.Contains(ups[0].Param("blocks"), "1 yes") {
		t.Fatalf("rsvp over socket mode: %+v", ups)
	}
	if hp := h.hooks.Posts(); len(hp) != 1 || !strings.Contains(hp[0].Msg.Text, "Noted") {
		t.Fatalf("click answer = %+v", hp)
	}
	evMu.Lock()
	defer evMu.Unlock()
	if len(events) != 1 || !strings.Contains(string(events[0]), "event_callback") {
		t.Fatalf("events = %q", events)
	}
}
