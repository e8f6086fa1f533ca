package webhook

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/bolt"
)

// Ensure the write loop answers every caller when more deliveries queue
// than one group carries: each is stored once, a second copy of a
// claimed key is refused, and the loop stops when the queue is empty
// (and starts again for the next delivery).
func TestCommitterSplitsLongQueues(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "meetbot.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	c := newCommitter(db)
	c.maxGroup = 3
	base := time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC)
	entry := func(i int) *core.InboxEntry {
		return &core.InboxEntry{ID: fmt.Sprintf("rtk:d%d@%d", i, i), Received: base.Add(time.Duration(i)), Body: []byte("{}"), Keys: []string{fmt.Sprintf("uuid:d%d", i)}}
	}
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if stored, err := c.accept(entry(i)); err != nil || !stored {
				t.Errorf("entry %d: stored %v, err %v", i, stored, err)
			}
		})
	}
	wg.Wait()
	pending, err := db.PendingInbox(t.Context(), 2*n)
	if err != nil || len(pending) != n {
		t.Fatalf("%d pending (err %v), want %d", len(pending), err, n)
	}
	// Every group was taken off the queue before its callers were
	// answered. (Whether the loop has also marked itself idle is not
	// ordered with the answers; the accept below works either way.)
	c.mu.Lock()
	queued := len(c.queue)
	c.mu.Unlock()
	if queued != 0 {
		t.Fatalf("after the last answer: %d queued", queued)
	}
	// A claimed key refuses a later copy, written by the running loop or a
	// new one.
	if _, err := db.ClaimInbox(t.Context(), pending[0], base, time.Hour); err != nil {
		t.Fatal(err)
	}
	again := entry(0)
	again.ID += "-again"
	if stored, err := c.accept(again); err != nil || stored {
		t.Fatalf("copy of a claimed delivery: stored %v, err %v", stored, err)
	}
}
