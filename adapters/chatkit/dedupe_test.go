package chatkit

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/closedstore"
	"github.com/meetbot/meetbot/storage/bolt"
)

// TestDedupeRunsOnce: on a real store, a key's first delivery runs and a
// repeat inside TTL does not; after TTL it counts as new again.
func TestDedupeRunsOnce(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "once.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	d := Dedupe{Store: db, TTL: time.Minute, Now: func() time.Time { return now }}
	for i, want := range []bool{true, false} {
		if first, err := d.First(t.Context(), "slack-cmd:T1:trigger"); err != nil || first != want {
			t.Fatalf("delivery %d: first = %v, %v; want %v", i+1, first, err, want)
		}
	}
	if first, _ := d.First(t.Context(), "slack-cmd:T1:other"); !first {
		t.Fatal("another key counted as a repeat")
	}
	now = now.Add(time.Minute)
	if first, _ := d.First(t.Context(), "slack-cmd:T1:trigger"); !first {
		t.Fatal("a key past its TTL still counted as a repeat")
	}
}

// TestDedupeRefusesWhenStoreIsDown: a store that cannot record the
// delivery neither lets it run (it may have run on another replica) nor
// hides the failure: the caller gets EUNAVAILABLE with a sentence for the
// person, and the store's error for the log.
func TestDedupeRefusesWhenStoreIsDown(t *testing.T) {
	first, err := Dedupe{Store: closedstore.New(t)}.First(t.Context(), "discord:1")
	if first {
		t.Fatal("a delivery the store could not record was run")
	}
	e, ok := core.AsError(err)
	if !ok || e.Code != core.EUNAVAILABLE || core.ErrorMessage(err) != NotRecorded || e.Err == nil {
		t.Fatalf("err = %#v", err)
	}
}

// TestMemoryOnce: the in-process store remembers keys for their TTL and
// stays within its bound.
func TestMemoryOnce(t *testing.T) {
	m := NewMemoryOnce(2)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	once := func(k string) bool {
		first, err := m.Once(t.Context(), k, now, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	if !once("a") || once("a") || !once("b") {
		t.Fatal("repeats not recognised")
	}
	if !once("c") || m.set.Len() != 2 {
		t.Fatalf("bound not kept: %d keys", m.set.Len())
	}
	if !once("a") {
		t.Fatal("the oldest key was kept over the bound")
	}
	now = now.Add(time.Minute)
	if n, err := m.PruneOnce(t.Context(), now); err != nil || n != 2 {
		t.Fatalf("PruneOnce = %d, %v", n, err)
	}
}

// TestSignedKey: the same signed bytes give the same key; a change to
// the timestamp or the body gives another, and the boundary between them
// matters.
func TestSignedKey(t *testing.T) {
	k := SignedKey("1700000000", []byte("a=1"))
	if k != SignedKey("1700000000", []byte("a=1")) || len(k) != 32 {
		t.Fatalf("unstable key %q", k)
	}
	for _, other := range []string{SignedKey("1700000001", []byte("a=1")), SignedKey("1700000000", []byte("a=2")), SignedKey("170000000", []byte("0a=1"))} {
		if other == k {
			t.Fatal("different signed bytes share a key")
		}
	}
}
