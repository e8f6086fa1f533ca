package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
)

// TestOneTitleRule checks that core.Schedule (which the Slack modal calls
// directly) refuses the same titles the /meet grammar refuses: bidi
// overrides and other format characters, not only control characters,
// with the store unchanged. Before the fix Schedule checked only
// unicode.IsControl and stored "Pay\u202Efdp.exe".
func TestOneTitleRule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	h := chat.New(b.Service)
	for _, title := range []string{"Pay\u202Efdp.exe", "a\u200bb", "a\u2066b", "a\u00adb", "a\u2028b", "a\x00b"} {
		_, err := b.Service.Schedule(ctx, actor("ana"), core.ScheduleRequest{Title: title, Start: t0.Add(time.Hour), Duration: time.Hour})
		e := wantCode(t, err, core.EINVALID)
		if strings.Count(e.Message, ".") < 1 || strings.Contains(e.Message, "\n") {
			t.Fatalf("title %q: message %q", title, e.Message)
		}
		if core.CheckTitle(title, 200) == nil {
			t.Fatalf("CheckTitle accepts %q", title)
		}
		if r := h.Handle(ctx, actor("ana"), `/meet schedule "`+title+`" tomorrow 3pm`); r.OK {
			t.Fatalf("the /meet grammar accepts %q", title)
		}
	}
	ms, err := b.Store.FindMeetings(ctx, core.MeetingFilter{Workspace: ws})
	if err != nil || len(ms) != 0 {
		t.Fatalf("refused titles stored %d meetings (%v)", len(ms), err)
	}
	for _, ok := range []string{"Team 👩\u200d💻 sync", "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F flag"} {
		if err := core.CheckTitle(ok, 200); err != nil {
			t.Fatalf("CheckTitle refuses %q: %v", ok, err)
		}
	}
}
