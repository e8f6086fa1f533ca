package etcd_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd"
)

// Ensure a stop in two steps: ending the scheduler's context ends the term
// but keeps the key, so runs in flight still record under the fence; Close
// then hands the lead over at once. Leading follows both steps.
func TestLeaderStopsThenHandsOver(t *testing.T) {
	t.Parallel()
	a := replica(t, "")
	l1, l2 := etcd.NewLeader(a), etcd.NewLeader(replica(t, a.Prefix()))
	defer l2.Close()
	if l1.ID() == "" || l1.Leading() {
		t.Fatalf("a new Leader: id %q, leading %v", l1.ID(), l1.Leading())
	}
	if err := l1.Resign(t.Context()); err != nil {
		t.Fatalf("Resign while not leading: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	l1ctx, err := l1.Lead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !l1.Leading() {
		t.Fatal("Leading is false during a term")
	}
	t0 := time.Date(2031, 1, 1, 8, 0, 0, 0, time.UTC)
	j := job("1", 1, t0)
	if err := a.PlanJobs(t.Context(), ws, "1", []core.DueJob{j}); err != nil {
		t.Fatal(err)
	}
	if c, err := a.ClaimDue(l1ctx, t0, 10, l1.ID(), time.Minute); err != nil || len(c) != 1 {
		t.Fatalf("ClaimDue under the lead = %v, %v", c, err)
	}
	won := make(chan error, 1)
	go func() {
		_, err := l2.Lead(t.Context())
		won <- err
	}()
	cancel()
	<-l1ctx.Done()
	// The run in flight records its outcome after the term ended: the key
	// is still there, so the fence holds.
	if err := a.CompleteJob(context.WithoutCancel(l1ctx), j.ID, l1.ID(), t0, "ref"); err != nil {
		t.Fatalf("CompleteJob after the term ended, before Close: %v", err)
	}
	select {
	case err := <-won:
		t.Fatalf("another replica led before this one closed its Leader (err %v)", err)
	default:
	}
	if err := l1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if l1.Leading() {
		t.Fatal("Leading after Close")
	}
	if err := <-won; err != nil {
		t.Fatalf("the other replica's Lead after Close: %v", err)
	}
	if !l2.Leading() {
		t.Fatal("the new leader does not say it leads")
	}
}
