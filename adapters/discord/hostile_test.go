package discord_test

import (
	"strings"
	"testing"
)

// TestTitleOptionRefusesFormatCharacters: a title option with a bidi
// override or another invisible format character is refused with one
// sentence and nothing is stored, as on every other path.
func TestTitleOptionRefusesFormatCharacters(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	for _, title := range []string{"Pay\u202Efdp.exe", "zero\u200bwidth", "iso\u2066late"} {
		r := h.command(t, "U1", "schedule", opt("title", title), opt("when", "tomorrow 3pm"))
		if !r.ephemeral() || strings.Contains(r.Data.Content, "Scheduled") || !strings.Contains(r.Data.Content, "invisible") {
			t.Fatalf("title %q: %s", title, r.raw)
		}
	}
	h.adapter.Wait()
	if n := len(h.meetings(t)); n != 0 {
		t.Fatalf("%d meetings stored from refused titles", n)
	}
}
