package core_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// TestOpenWindows: the meetings of one workspace whose window is open now,
// in every channel, by number, and when the last of those windows closes;
// a cancelled meeting, one not open yet and another workspace's don't count.
func TestOpenWindows(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	ana := actor("ana")
	long := e.Schedule(ana, "Long", t0.Add(2*time.Minute), 30*time.Minute)
	e.Schedule(ana, "Later", t0.Add(3*time.Hour), 30*time.Minute)
	elsewhere := ana
	elsewhere.Channel = "C2"
	short := e.Schedule(elsewhere, "Short", t0.Add(time.Minute), 10*time.Minute)
	gone := e.Schedule(ana, "Gone", t0.Add(time.Minute), time.Hour)
	if _, err := e.Service.Cancel(ctx, ana, gone.ID); err != nil {
		t.Fatal(err)
	}
	other := ana
	other.User.Workspace = core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T2"}
	e.Schedule(other, "Other team", t0.Add(time.Minute), 2*time.Hour)

	ids, closes, err := e.Service.OpenWindows(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	lastClose := e.Service.WindowOf(ctx, long).Closes
	if !slices.Equal(ids, []string{long.ID, short.ID}) || !closes.Equal(lastClose) {
		t.Fatalf("open: %v until %v; want [%s %s] until %v", ids, closes, long.ID, short.ID, lastClose)
	}

	e.Clock.Set(e.Service.WindowOf(ctx, short).Closes)
	if ids, _, _ := e.Service.OpenWindows(ctx, ws); !slices.Equal(ids, []string{long.ID}) {
		t.Fatalf("after the short one closed: %v", ids)
	}
	e.Clock.Set(lastClose)
	if ids, closes, err := e.Service.OpenWindows(ctx, ws); err != nil || len(ids) != 0 || !closes.IsZero() {
		t.Fatalf("after every window closed: %v %v %v", ids, closes, err)
	}
}
