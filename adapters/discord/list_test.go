package discord_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestListOrderAndPrivate: Discord shows core/chat's list, so it has the
// same order (start, then id as a number) and marks a private meeting for
// the people who may see it.
func TestListOrderAndPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for i := 1; i <= 10; i++ {
		h.command(t, "U1", "schedule", opt("title", fmt.Sprintf("m%d", i)), opt("when", "tomorrow 3pm"))
	}
	h.command(t, "U1", "schedule", opt("title", "secret"), opt("when", "tomorrow 3pm"), opt("private", true))
	text := h.command(t, "U1", "list").Data.Content
	var ids []string
	for _, m := range regexp.MustCompile(`(?m)^  ([0-9]+) `).FindAllStringSubmatch(text, -1) {
		ids = append(ids, m[1])
	}
	if got := strings.Join(ids, " "); got != "1 2 3 4 5 6 7 8 9 10 11" {
		t.Errorf("order %q:\n%s", got, text)
	}
	if !strings.Contains(text, "(upcoming, private)") {
		t.Errorf("private meeting not marked:\n%s", text)
	}
	if other := h.command(t, "U2", "list").Data.Content; strings.Contains(other, "secret") {
		t.Errorf("U2 sees the private meeting:\n%s", other)
	}
}
