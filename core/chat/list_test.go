package chat_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/internal/testenv"
)

// TestListOrderAlignmentPrivate checks "/meet list": by start, then by id as
// a number (9 before 10); the time column starts at the same place on
// every line once ids have two digits; private meetings are marked for
// those who may see them and not listed to anyone else.
func TestListOrderAlignmentPrivate(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	for i := 1; i <= 11; i++ {
		mustOK(t, handle(t, env, "ana", fmt.Sprintf("/meet schedule m%d tomorrow 3pm", i)))
	}
	mustOK(t, handle(t, env, "ana", "/meet schedule secret tomorrow 3pm private"))
	mustOK(t, handle(t, env, "ana", "/meet schedule early tomorrow 1pm"))

	r := mustOK(t, handle(t, env, "ana", "/meet list"))
	lines := strings.Split(r.Text, "\n")[1:]
	var ids []string
	col := -1
	for _, l := range lines {
		f := strings.Fields(l)
		ids = append(ids, f[0])
		at := strings.Index(l, "Thu Nov 26")
		if col == -1 {
			col = at
		}
		if at != col {
			t.Errorf("time column at %d, want %d:\n%s", at, col, r.Text)
		}
	}
	if got, want := strings.Join(ids, " "), "13 1 2 3 4 5 6 7 8 9 10 11 12"; got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	if !strings.Contains(r.Text, `"secret", 30 min, by @User ana (upcoming, private)`) {
		t.Errorf("private meeting not marked:\n%s", r.Text)
	}
	if r := mustOK(t, handle(t, env, "bo", "/meet list")); strings.Contains(r.Text, "secret") || strings.Contains(r.Text, "private") {
		t.Errorf("bo sees the private meeting:\n%s", r.Text)
	}
}
