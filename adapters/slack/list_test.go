package slack_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/adapters/chatkit/chatkittest"
)

// TestListOrderAndPrivate: Slack's own list rendering takes core's order
// (start, then id as a number) and marks a private meeting, once, with
// "· private" after its bold title, for those who may see it.
func TestListOrderAndPrivate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	marked := regexp.MustCompile(`\*secret\*[^\n]* · private`)
	chatkittest.ListOrderAndPrivate(t, chatkittest.Lister{
		Schedule: func(title string, private bool) {
			line := "schedule " + title + " tomorrow 3pm"
			if private {
				line += " private"
			}
			h.command(t, "U1", line)
		},
		List: func(user string) string {
			_, r := h.command(t, user, "list")
			return r.Text
		},
		IDs:           regexp.MustCompile("• `([0-9]+)`"),
		PrivateMarked: func(text string) bool { return marked.MatchString(text) && strings.Count(text, "private") == 1 },
	})
}
