package slack_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestListOrderAndPrivate: Slack's own list rendering takes core's order
// (start, then id as a number) and marks a private meeting for those who
// may see it.
func TestListOrderAndPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	for i := 1; i <= 10; i++ {
		h.command(t, "U1", fmt.Sprintf("schedule m%d tomorrow 3pm", i))
	}
	h.command(t, "U1", "schedule secret tomorrow 3pm private")
	_, l := h.command(t, "U1", "list")
	var ids []string
	for _, m := range regexp.MustCompile("• `([0-9]+)`").FindAllStringSubmatch(l.Text, -1) {
		ids = append(ids, m[1])
	}
	if got := strings.Join(ids, " "); got != "1 2 3 4 5 6 7 8 9 10 11" {
		t.Errorf("order %q:\n%s", got, l.Text)
	}
	if !regexp.MustCompile(`\*secret\*[^\n]* · private`).MatchString(l.Text) || strings.Count(l.Text, "private") != 1 {
		t.Errorf("private meeting not marked once:\n%s", l.Text)
	}
	if _, other := h.command(t, "U2", "list"); strings.Contains(other.Text, "secret") {
		t.Errorf("U2 sees the private meeting:\n%s", other.Text)
	}
}
