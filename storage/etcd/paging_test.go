package etcd_test

import (
	"fmt"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// Ensure listing walks the start index across many pages: every meeting
// once, in start order, with filters and Limit applied across page
// boundaries, and the pending index likewise.
func TestFindMeetingsAcrossPages(t *testing.T) {
	t.Parallel()
	db := open(t, etcdtest.Prefix(t))
	defer db.Close()
	ctx := t.Context()
	base := time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC)
	const n = 350
	for i := range n {
		// Starts run backwards, so creation order is not start order.
		m := plainMeeting(base.Add(time.Duration(n-i) * time.Minute))
		m.Channel = fmt.Sprintf("C%d", i%3)
		if i%2 == 0 {
			m.State = core.StateScheduled
		}
		if err := db.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.FindMeetings(ctx, core.MeetingFilter{Workspace: wsU})
	if err != nil || len(all) != n {
		t.Fatalf("FindMeetings = %d, %v; want %d", len(all), err, n)
	}
	for i := 1; i < len(all); i++ {
		if !all[i-1].Start.Before(all[i].Start) {
			t.Fatalf("meeting %d starts %v, not after %v", i, all[i].Start, all[i-1].Start)
		}
	}
	c1, err := db.FindMeetings(ctx, core.MeetingFilter{Workspace: wsU, Channel: "C1", Limit: 110})
	if err != nil || len(c1) != 110 {
		t.Fatalf("FindMeetings(C1, limit 110) = %d, %v", len(c1), err)
	}
	for _, m := range c1 {
		if m.Channel != "C1" {
			t.Fatalf("channel filter let %q through", m.Channel)
		}
	}
	after := base.Add(300 * time.Minute)
	late, err := db.FindMeetings(ctx, core.MeetingFilter{Workspace: wsU, EndsAfter: after})
	if err != nil {
		t.Fatal(err)
	}
	// Meeting k (start base+k min, 1h long) ends after base+300min when k > 240.
	if len(late) != n-240 || !late[0].Start.Equal(base.Add(241*time.Minute)) {
		t.Fatalf("FindMeetings(EndsAfter) = %d from %v; want %d from %v", len(late), late[0].Start, n-240, base.Add(241*time.Minute))
	}
	pending, err := db.FindPendingMeetings(ctx)
	if err != nil || len(pending) != n/2 {
		t.Fatalf("FindPendingMeetings = %d, %v; want %d", len(pending), err, n/2)
	}
}

// Ensure compacting the keyspace (etcd forgets old revisions) changes
// nothing the store serves: it reads latest values, and its updates compare
// revisions that compaction keeps. Not parallel, for the reason
// TestCacheClearsOnBrokenWatchAndCompaction is not.
func TestWorksAfterCompaction(t *testing.T) {
	db := open(t, etcdtest.Prefix(t))
	defer db.Close()
	ctx := t.Context()
	m := plainMeeting(time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC))
	if err := db.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := db.UpdateMeeting(ctx, wsU, m.ID, func(m *core.Meeting) error {
			m.Title = fmt.Sprintf("v%d", i)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := db.Client().Get(ctx, db.Prefix(), clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Client().Compact(ctx, resp.Header.Revision); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	got, err := db.UpdateMeeting(ctx, wsU, m.ID, func(m *core.Meeting) error { m.Title = "after"; return nil })
	if err != nil || got.Version != 7 {
		t.Fatalf("UpdateMeeting after compaction = %+v, %v", got, err)
	}
	list, err := db.FindMeetings(ctx, core.MeetingFilter{Workspace: wsU, EndsAfter: m.Start})
	if err != nil || len(list) != 1 || list[0].Title != "after" {
		t.Fatalf("FindMeetings after compaction = %v, %v", list, err)
	}
	next := plainMeeting(m.Start)
	if err := db.CreateMeeting(ctx, next); err != nil || next.ID != "2" {
		t.Fatalf("CreateMeeting after compaction = %q, %v", next.ID, err)
	}
}
