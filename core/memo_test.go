package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// countingStore counts FindWorkspace calls on a real store.
type countingStore struct {
	core.Store
	finds int
}

func (c *countingStore) FindWorkspace(ctx context.Context, key core.WorkspaceKey) (*core.Workspace, error) {
	c.finds++
	return c.Store.FindWorkspace(ctx, key)
}

// Ensure a request memo reads a workspace's settings once per request,
// hands out copies, and sees a change the same request made.
func TestRequestMemo(t *testing.T) {
	b := setup(t)
	cs := &countingStore{Store: b.Store}
	svc, err := core.NewService(context.Background(), b.Config, core.Deps{Store: cs, Conference: b.Conf, Clock: b.Clock}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := core.WithRequestMemo(context.Background())
	a := actor("ana")
	for range 3 {
		svc.Location(ctx, a)
		if _, err := svc.List(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if cs.finds != 1 {
		t.Fatalf("%d workspace reads in one request, want 1", cs.finds)
	}
	root := a
	root.IsAdmin = true
	if _, err := svc.UpdateSettings(ctx, root, core.SettingChange{Name: core.SettingEarly, Duration: 20 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	v, err := svc.Settings(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if *v.Workspace.EarlyJoin != 20*time.Minute {
		t.Fatalf("after a change in the same request the memo still says early %v", *v.Workspace.EarlyJoin)
	}
	*v.Workspace.EarlyJoin = time.Hour // a caller's copy
	if v2, _ := svc.Settings(ctx, a); *v2.Workspace.EarlyJoin != 20*time.Minute {
		t.Fatalf("a caller's change leaked into the memo: %v", *v2.Workspace.EarlyJoin)
	}
	before := cs.finds
	svc.Location(context.Background(), a)
	svc.Location(context.Background(), a)
	if cs.finds != before+2 {
		t.Fatal("reads without a memo were cached")
	}
}
