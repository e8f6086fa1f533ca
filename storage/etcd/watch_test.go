package etcd_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// wakes returns a wake function and the channel its calls arrive on.
func wakes() (func(), <-chan struct{}) {
	ch := make(chan struct{}, 64)
	return func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}, ch
}

// Ensure a job planned through another replica's client wakes the watcher,
// and a claim (a delete from the due index) does not.
func TestWatchDueWakesOnAnotherReplicasPlan(t *testing.T) {
	t.Parallel()
	a := replica(t, "")
	b := replica(t, a.Prefix())
	wake, woke := wakes()
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	relisted := make(chan error, 8)
	// Watch from the revision before the plan, so the plan's put arrives
	// however late the watch is established.
	rev, err := a.Client().Get(t.Context(), a.Prefix()+"none")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(stopped)
		a.WatchDueFrom(ctx, rev.Header.Revision+1, wake, func(err error) { relisted <- err })
	}()
	t0 := time.Date(2031, 1, 1, 8, 0, 0, 0, time.UTC)
	if err := b.PlanJobs(t.Context(), ws, "1", []core.DueJob{job("1", 1, t0)}); err != nil {
		t.Fatal(err)
	}
	<-woke
	if _, err := b.ClaimDue(t.Context(), t0, 10, "w1", time.Minute); err != nil {
		t.Fatal(err)
	}
	// A marker plan after the claim: the next wake must be the marker's,
	// so the claim before it woke nobody.
	if err := b.PlanJobs(t.Context(), ws, "2", []core.DueJob{job("2", 1, t0)}); err != nil {
		t.Fatal(err)
	}
	<-woke
	select {
	case <-woke:
		t.Fatal("a claim woke the watcher")
	default:
	}
	cancel()
	<-stopped
	select {
	case err := <-relisted:
		t.Fatalf("the watch restarted without a cause: %v", err)
	default:
	}
}

// Ensure a watch behind the compacted revision re-lists (wakes once) and
// watches again from the current revision, so later plans still wake it.
// It runs on its own server: compaction is server-wide.
func TestWatchDueSurvivesCompaction(t *testing.T) {
	t.Parallel()
	c := etcdtest.StartCluster(t, 1)
	db, err := etcd.Open(t.Context(), etcd.Options{Endpoints: c.Endpoints(), Prefix: "/compaction/"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2031, 1, 1, 8, 0, 0, 0, time.UTC)
	before, err := db.Client().Get(t.Context(), "/compaction/none")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := db.PlanJobs(t.Context(), ws, "1", []core.DueJob{job("1", i, t0)}); err != nil {
			t.Fatal(err)
		}
	}
	now, err := db.Client().Get(t.Context(), "/compaction/none")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Client().Compact(t.Context(), now.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		t.Fatalf("Compact: %v", err)
	}

	wake, woke := wakes()
	relisted := make(chan error, 8)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go db.WatchDueFrom(ctx, before.Header.Revision+1, wake, func(err error) { relisted <- err })
	if err := <-relisted; !errors.Is(err, rpctypes.ErrCompacted) {
		t.Fatalf("watch from a compacted revision restarted with %v, want ErrCompacted", err)
	}
	<-woke // the re-list
	// From here the watch runs from the current revision: a new plan wakes it.
	if err := db.PlanJobs(t.Context(), ws, "2", []core.DueJob{job("2", 1, t0)}); err != nil {
		t.Fatal(err)
	}
	<-woke
	select {
	case err := <-relisted:
		t.Fatalf("a second restart: %v", err)
	default:
	}
}
