package command

import (
	"strings"
	"testing"
)

// TestHelpTopic ensures "/meet help join" answers about join only, and
// that every topic Parse accepts has its own text.
func TestHelpTopic(t *testing.T) {
	for _, e := range helpEntries {
		got := HelpTopic(string(e.verb))
		if !strings.Contains(got, e.usage) || strings.Count(got, "`/meet ") > 2+len(e.more) {
			t.Errorf("help %s = %q", e.verb, got)
		}
		cmd, err := Parse("/meet help "+string(e.verb), Context{})
		if err != nil || HelpTopic(cmd.Topic) != got {
			t.Errorf("parsed topic for %s = %+v, %v", e.verb, cmd, err)
		}
	}
	if got := HelpTopic("time"); !strings.Contains(got, "tomorrow 3pm") || strings.Contains(got, "/meet cancel") {
		t.Errorf("help time = %q", got)
	}
	if HelpTopic("") != Help() || HelpTopic("nonsense") != Help() {
		t.Error("empty or unknown topic should give the whole help")
	}
}
