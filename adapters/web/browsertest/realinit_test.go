package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestMeetingPageRealInitFails lets the real SDK's init run with the
// sandbox's token, which RealtimeKit does not know (and this machine's
// network is closed): the page must end in its own error state, on top,
// within init's time limit, never an endless "Starting…".
func TestMeetingPageRealInitFails(t *testing.T) {
	t.Parallel()
	ctx := tab(t)
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, core.ScheduleRequest{Title: "Design review", Start: testenv.T0.Add(2 * time.Minute)})
	open(t, ctx, e.join(bo, m.ID).URL, "real")
	began := time.Now()
	waitFor(t, ctx, "the error state", `!document.getElementById("failed").hidden`, 45*time.Second)
	t.Logf("the real init failed and the page said so after %v", time.Since(began).Round(100*time.Millisecond))
	reason := eval[string](t, ctx, `document.getElementById("failed-reason").textContent`)
	t.Logf("it says: %s", reason)
	if !strings.Contains(reason, "refused") && !strings.Contains(reason, "did not answer") {
		t.Errorf("error reason %q", reason)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll("rtk-meeting").length`); n != 0 {
		t.Errorf("%d rtk-meeting elements left over the error", n)
	}
	if errs := eval[[]string](t, ctx, `window.__meetbot.consoleErrors`); len(errs) == 0 {
		t.Error("the failure was not logged to the console")
	}
}
