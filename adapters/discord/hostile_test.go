package discord_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestTitleOptionRefusesFormatCharacters: a title option with a bidi
// override or another invisible format character is refused with one
// sentence and nothing is stored, as on every other path.
func TestTitleOptionRefusesFormatCharacters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, title := range []string{"Pay\u202Efdp.exe", "zero\u200bwidth", "iso\u2066late"} {
		r := h.command(t, "U1", "schedule", opt("title", title), opt("when", "tomorrow 3pm"))
		if !r.ephemeral() || strings.Contains(r.Data.Content, "Scheduled") || !strings.Contains(r.Data.Content, "invisible") {
			t.Fatalf("title %q: %s", title, r.raw)
		}
	}
	h.wantMeetings(t, 0, "stored from refused titles")
}

// TestReplayWithoutIDRunsOnce: a signed interaction with an empty id, sent
// three times with the same timestamp and body, makes one meeting (the key
// over the signed bytes stands in for the id); the same body signed at
// another second is a new request.
func TestReplayWithoutIDRunsOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	i := h.interaction(guildA, "U1", "now", opt("title", "standup"))
	i.ID = ""
	body := wire(t, i)
	at := time.Now()
	for n := range 3 {
		if code, r := h.do(t, h.signed(t, body, at)); code != http.StatusOK {
			t.Fatalf("delivery %d: %d %s", n, code, r.raw)
		}
	}
	h.wantMeetings(t, 1, "from three deliveries of one signed interaction")
	h.do(t, h.signed(t, body, at.Add(-time.Second)))
	h.wantMeetings(t, 2, "after a freshly signed interaction")
}

// TestInteractionsGetIs405: the POST-only interactions route answers GET
// with 405 and Allow: POST, not 404.
func TestInteractionsGetIs405(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	resp, err := h.srv.Client().Get(h.srv.URL + "/discord/interactions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}
