package chatkit

import (
	"fmt"
	"testing"
	"time"
)

// TestSetExpires: a key is there for the set's lifetime and not after;
// adding it again while there keeps the first expiry (one log line per
// period), and Forget drops it at once.
func TestSetExpires(t *testing.T) {
	s := NewSet(time.Hour, 10)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	if !s.Add("T1\x00C1", t0) {
		t.Fatal("a new key was reported as known")
	}
	if s.Add("T1\x00C1", t0.Add(30*time.Minute)) {
		t.Fatal("a key still there was reported as new")
	}
	if !s.Has("T1\x00C1", t0.Add(time.Hour-time.Nanosecond)) || s.Has("T1\x00C1", t0.Add(time.Hour)) {
		t.Fatal("the key did not last exactly its hour from the first Add")
	}
	if !s.Add("T1\x00C1", t0.Add(time.Hour)) {
		t.Fatal("an expired key was not new again")
	}
	s.Forget("T1\x00C1")
	if s.Has("T1\x00C1", t0.Add(time.Hour)) || s.Len() != 0 {
		t.Fatal("Forget kept the key")
	}
}

// TestSetIsBounded: however many distinct keys arrive (a flood of lost
// channels), the set holds at most its bound, dropping the oldest first,
// and expired keys are pruned as new ones come.
func TestSetIsBounded(t *testing.T) {
	s := NewSet(time.Minute, 3)
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 1000 {
		s.Add(fmt.Sprint("C", i), t0)
	}
	if s.Len() != 3 {
		t.Fatalf("%d keys held, bound 3", s.Len())
	}
	if s.Has("C996", t0) || !s.Has("C997", t0) || !s.Has("C999", t0) {
		t.Fatal("the newest keys were not the ones kept")
	}
	s.Add("late", t0.Add(time.Minute))
	if s.Len() != 1 {
		t.Fatalf("expired keys not pruned: %d held", s.Len())
	}
}
