package chatkittest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// Lister is how ListOrderAndPrivate drives one platform's adapter through
// its own wire format.
type Lister struct {
	// Schedule schedules a meeting titled title for tomorrow at 3pm as
	// user U1, private when asked, and fails the test if that fails.
	Schedule func(title string, private bool)
	// List runs the list command as user and returns the reply's text.
	List func(user string) string
	// IDs finds each listed meeting's id (its first group) in a reply.
	IDs *regexp.Regexp
	// PrivateMarked reports whether a reply marks the private meeting
	// "secret" as the platform does.
	PrivateMarked func(text string) bool
}

// ListOrderAndPrivate checks what the list shows on every platform: ten
// meetings at the same time and a private eleventh come in core's order
// (start, then id as a number, so 10 after 9), the private one is marked
// for the person who may see it, and another person does not see it.
func ListOrderAndPrivate(t *testing.T, l Lister) {
	t.Helper()
	for i := 1; i <= 10; i++ {
		l.Schedule(fmt.Sprintf("m%d", i), false)
	}
	l.Schedule("secret", true)
	text := l.List("U1")
	var ids []string
	for _, m := range l.IDs.FindAllStringSubmatch(text, -1) {
		ids = append(ids, m[1])
	}
	if got := strings.Join(ids, " "); got != "1 2 3 4 5 6 7 8 9 10 11" {
		t.Errorf("order %q:\n%s", got, text)
	}
	if !l.PrivateMarked(text) {
		t.Errorf("private meeting not marked as the platform marks it:\n%s", text)
	}
	if other := l.List("U2"); strings.Contains(other, "secret") {
		t.Errorf("U2 sees the private meeting:\n%s", other)
	}
}
