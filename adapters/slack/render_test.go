package slack_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	if got := slack.Escape("<!here> & <@U1|x>"); got != "&lt;!here&gt; &amp; &lt;@U1|x&gt;" {
		t.Fatalf("Escape = %q", got)
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 15, 0, 0, 0, testenv.MustZone("America/New_York"))
	got := slack.Date(at, "America/New_York")
	want := "<!date^1795723200^{date_short_pretty} at {time}|"
	if !strings.HasPrefix(got, want) || !strings.HasSuffix(got, ">") || strings.Count(got, "<") != 1 {
		t.Fatalf("Date = %q", got)
	}
}

// TestCardKeepsBlockKitLimits renders a card whose title and organizer are
// far over every limit and made of characters that grow when escaped: every
// text stays within Block Kit's limits and ends with an ellipsis, and no
// entity is cut in half.
func TestCardKeepsBlockKitLimits(t *testing.T) {
	t.Parallel()
	m := &core.Meeting{
		ID: "12", Title: strings.Repeat("<&>", 2000), OrganizerName: strings.Repeat("é&", 500),
		Start: testenv.T0.Add(24 * time.Hour), TimeZone: "America/New_York", Duration: 30 * time.Minute,
		State: core.StateScheduled, Private: false,
	}
	b, err := json.Marshal(slack.Card(m, testenv.T0, strings.Repeat("Scheduled by <x> ", 400)))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(b, &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks) > 50 {
		t.Fatalf("%d blocks", len(blocks))
	}
	limits := map[string]int{"section": 3000, "context": 2000}
	sawButtons := 0
	for _, bl := range blocks {
		typ := bl["type"].(string)
		switch typ {
		case "section":
			checkText(t, bl["text"].(map[string]any)["text"].(string), limits[typ])
		case "context":
			for _, e := range bl["elements"].([]any) {
				checkText(t, e.(map[string]any)["text"].(string), limits[typ])
			}
		case "actions":
			for _, e := range bl["elements"].([]any) {
				btn := e.(map[string]any)
				sawButtons++
				checkText(t, btn["text"].(map[string]any)["text"].(string), 75)
				if id := btn["action_id"].(string); len(id) > 255 || !strings.HasSuffix(id, ":12") {
					t.Errorf("action_id %q", id)
				}
				if c, ok := btn["confirm"].(map[string]any); ok {
					checkText(t, c["text"].(map[string]any)["text"].(string), 300)
				}
			}
		}
	}
	if sawButtons != 4 {
		t.Fatalf("%d buttons, want Join, Yes, No, Cancel", sawButtons)
	}
	if !strings.Contains(string(b), "…") {
		t.Fatal("nothing was truncated")
	}
}

func checkText(t *testing.T, s string, max int) {
	t.Helper()
	if n := utf8.RuneCountInString(s); n > max || n == 0 {
		t.Errorf("text of %d characters (limit %d): %.60q", n, max, s)
	}
	if strings.Contains(s, "<") && !strings.Contains(s, "<!date^") {
		t.Errorf("raw < in %.80q", s)
	}
	// Every & must start a whole entity.
	for i := strings.IndexByte(s, '&'); i >= 0; i = strings.IndexByte(s, '&') {
		rest := s[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Errorf("broken entity at %.12q", rest)
			return
		}
		s = rest[1:]
	}
}
