package discord_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestMissingPermissionsStopsOnce: a channel where the bot may no longer
// send (403, code 50013 Missing Permissions) is treated like a lost one:
// reminders return nil instead of an error the scheduler would retry, one
// log line names it, and later reminders do not call Discord again.
func TestMissingPermissionsStopsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	h.api.mu.Lock()
	h.api.fail["POST /channels/C1/messages"] = apiErr{Status: http.StatusForbidden, Code: 50013}
	h.api.mu.Unlock()
	before := len(h.api.Calls(http.MethodPost, "/channels/C1/messages"))
	for range 3 {
		if ref, err := h.adapter.Remind(context.Background(), h.reminder(t, "1")); err != nil || ref != "" {
			t.Fatalf("remind: %q %v", ref, err)
		}
	}
	if n := len(h.api.Calls(http.MethodPost, "/channels/C1/messages")) - before; n != 1 {
		t.Fatalf("%d posts to the channel, want 1", n)
	}
	if n := strings.Count(h.env.Logs.String(), "lost access"); n != 1 {
		t.Fatalf("%d log lines:\n%s", n, h.env.Logs.String())
	}
}
