package etcd_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// Ensure three replicas scheduling fifty meetings each at once, in one
// workspace, all succeed and get the ids 1..150 exactly once: the counter
// Txn's retries are enough for the contention of a real deployment.
func TestThreeReplicasCreateAtOnce(t *testing.T) {
	t.Parallel()
	const replicas, each = 3, 50
	p := etcdtest.Prefix(t)
	var dbs []core.Store
	for range replicas {
		db := open(t, p)
		t.Cleanup(func() { _ = db.Close() })
		dbs = append(dbs, db)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	ids := make(chan string, replicas*each)
	errs := make(chan error, replicas*each)
	for r := range replicas {
		for range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				m := plainMeeting(time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC))
				if err := dbs[r].CreateMeeting(t.Context(), m); err != nil {
					errs <- err
					return
				}
				ids <- m.ID
			}()
		}
	}
	close(start)
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Fatalf("CreateMeeting under contention: %v", err)
	}
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("id %q handed out twice", id)
		}
		seen[id] = true
	}
	for i := 1; i <= replicas*each; i++ {
		if !seen[strconv.Itoa(i)] {
			t.Fatalf("id %d missing: ids are not dense (%d handed out)", i, len(seen))
		}
	}
}

// Ensure a meeting too large for one etcd request is refused with a
// sentence (EINVALID) and nothing of it is stored.
func TestOversizedMeetingRefused(t *testing.T) {
	t.Parallel()
	db := open(t, etcdtest.Prefix(t))
	defer db.Close()
	m := plainMeeting(time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC))
	for i := range 120000 { // about 1.3 MB of JSON
		m.Invitees = append(m.Invitees, "U"+strconv.Itoa(1_000_000+i))
	}
	if err := db.CreateMeeting(t.Context(), m); core.ErrorCode(err) != core.EINVALID {
		t.Fatalf("CreateMeeting of a %d-invitee meeting: %v, want EINVALID", len(m.Invitees), err)
	}
	small := plainMeeting(m.Start)
	if err := db.CreateMeeting(t.Context(), small); err != nil || small.ID != "1" {
		t.Fatalf("next CreateMeeting = %q, %v; want id 1 (the refused one took none)", small.ID, err)
	}
}

// Ensure a client whose remembered counter went stale (another replica
// created meetings since, some longer than any before) still hands out the
// next id and keeps the longest duration, so listings still find long
// meetings.
func TestCreateAfterAnotherReplicaCreated(t *testing.T) {
	t.Parallel()
	p := etcdtest.Prefix(t)
	a, b := open(t, p), open(t, p)
	defer a.Close()
	defer b.Close()
	ctx := t.Context()
	start := time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC)
	var got []string
	for i, db := range []interface {
		CreateMeeting(context.Context, *core.Meeting) error
	}{a, a, b, b, a, b, a} {
		m := plainMeeting(start)
		m.Duration = time.Duration(i+1) * time.Hour
		if err := db.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m.ID)
	}
	if want := []string{"1", "2", "3", "4", "5", "6", "7"}; !slices.Equal(got, want) {
		t.Fatalf("ids %q, want %q", got, want)
	}
	// Meeting 7 lasts 7h: only a max duration kept at 7h finds it from 6h
	// after its start.
	list, err := b.FindMeetings(ctx, core.MeetingFilter{Workspace: wsU, EndsAfter: start.Add(6*time.Hour + 30*time.Minute)})
	if err != nil || len(list) != 1 || list[0].ID != "7" {
		t.Fatalf("FindMeetings(EndsAfter 6h30) = %v, %v; want only 7", list, err)
	}
}
