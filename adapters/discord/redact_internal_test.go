package discord

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/core"
)

// Ensure a redacted error never shows the URL (interaction and webhook URLs
// hold tokens) while callers can still reach its cause.
func TestRedactKeepsCauseHidesURL(t *testing.T) {
	cause := core.Errorf(core.EUNAVAILABLE, "busy")
	err := redact("discord: edit the meeting card", &url.Error{Op: "Patch",
		URL: "https://discord.com/api/v9/webhooks/1/secret-interaction-token/messages/@original", Err: cause})
	if strings.Contains(err.Error(), "secret-interaction-token") || !strings.Contains(err.Error(), "edit the meeting card") {
		t.Fatalf("Error() = %q", err)
	}
	if ce, ok := core.AsError(err); !ok || ce.Code != core.EUNAVAILABLE {
		t.Fatalf("cause lost: %v", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatal("the *url.Error is not reachable")
	}
}
