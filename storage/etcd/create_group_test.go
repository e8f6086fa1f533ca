package etcd_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// Ensure group commit keeps each create its own: of many concurrent
// creates in one workspace of one process, among them one too large to
// store and some whose callers had already given up, the large one alone
// is refused, the given-up ones take no id, every other one is stored
// under a dense id, and every stored meeting reads back with the id its
// caller was given.
func TestGroupCommitKeepsCreatesApart(t *testing.T) {
	t.Parallel()
	db := open(t, etcdtest.Prefix(t))
	defer db.Close()
	const n = 60
	start := make(chan struct{})
	var wg sync.WaitGroup
	type result struct {
		m   *core.Meeting
		err error
	}
	results := make([]result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := plainMeeting(time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC))
			m.Title = "m" + strconv.Itoa(i)
			if i == 7 {
				for j := range 120000 {
					m.Invitees = append(m.Invitees, "U"+strconv.Itoa(1_000_000+j))
				}
			}
			ctx := t.Context()
			if i%10 == 3 {
				// A caller that has given up already.
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			<-start
			results[i] = result{m, db.CreateMeeting(ctx, m)}
		}()
	}
	close(start)
	wg.Wait()
	seen := map[string]string{}
	for i, r := range results {
		switch {
		case i == 7:
			if core.ErrorCode(r.err) != core.EINVALID {
				t.Errorf("the oversized create: %v, want EINVALID", r.err)
			}
		case i%10 == 3:
			if r.err == nil {
				t.Errorf("create %d with an ended context succeeded", i)
			}
		case r.err != nil:
			t.Errorf("create %d: %v", i, r.err)
		default:
			if other, dup := seen[r.m.ID]; dup {
				t.Fatalf("id %s given to %s and %s", r.m.ID, other, r.m.Title)
			}
			seen[r.m.ID] = r.m.Title
		}
	}
	for i := 1; i <= len(seen); i++ {
		id := strconv.Itoa(i)
		title, ok := seen[id]
		if !ok {
			t.Fatalf("ids not dense: %s missing among %d", id, len(seen))
		}
		got, err := db.FindMeetingByID(t.Context(), plainMeeting(time.Time{}).Workspace, id)
		if err != nil || got.Title != title {
			t.Fatalf("meeting %s reads back %v, %v; want %q", id, got, err, title)
		}
	}
	if len(seen) != n-1-6 {
		t.Fatalf("only %d of %d creates stored", len(seen), n)
	}
}
