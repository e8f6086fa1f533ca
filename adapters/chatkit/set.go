package chatkit

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Set remembers keys for a while, with a bound on how many: the channels
// (and tokens) that posts cannot reach, so their reminders stop with one
// log line instead of a retry loop and start again by themselves after
// the fix. When full, the entry added longest ago goes first, which with
// one lifetime for all is the one that expires soonest. Safe for
// concurrent use.
type Set struct {
	ttl   time.Duration
	max   int
	mu    sync.Mutex
	m     map[string]*list.Element
	order *list.List // of *entry, oldest first
}

type entry struct {
	key   string
	until time.Time
}

// NewSet returns a Set whose keys last ttl (default LostFor) and that
// holds at most max of them (default MaxRemembered).
func NewSet(ttl time.Duration, max int) *Set {
	return &Set{ttl: Or(ttl, LostFor), max: Or(max, MaxRemembered), m: map[string]*list.Element{}, order: list.New()}
}

// Has reports whether key was added less than the set's lifetime before now.
func (s *Set) Has(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	return ok && now.Before(e.Value.(*entry).until)
}

// Add records key until now plus the set's lifetime and reports whether
// it was not there already, so the caller logs once per period. A key
// still there keeps its first expiry.
func (s *Set) Add(key string, now time.Time) bool {
	return s.addUntil(key, now, now.Add(s.ttl))
}

func (s *Set) addUntil(key string, now, until time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok {
		if now.Before(e.Value.(*entry).until) {
			return false
		}
		s.order.Remove(e)
		delete(s.m, key)
	}
	s.pruneLocked(now)
	for len(s.m) >= s.max {
		s.removeLocked(s.order.Front())
	}
	s.m[key] = s.order.PushBack(&entry{key: key, until: until})
	return true
}

// Forget drops key, when a post showed it reachable again.
func (s *Set) Forget(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok {
		s.removeLocked(e)
	}
}

// Len is how many keys the set holds, expired ones not yet pruned included.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// pruneLocked drops expired keys from the front, where the oldest are.
func (s *Set) pruneLocked(now time.Time) int {
	n := 0
	for e := s.order.Front(); e != nil && !now.Before(e.Value.(*entry).until); e = s.order.Front() {
		s.removeLocked(e)
		n++
	}
	return n
}

func (s *Set) removeLocked(e *list.Element) {
	s.order.Remove(e)
	delete(s.m, e.Value.(*entry).key)
}

// MemoryOnce stands in for the shared store in one process.
var _ core.OnceStore = (*MemoryOnce)(nil)

// MemoryOnce is a core.OnceStore in this process's memory, bounded like a
// Set, for an adapter running without a shared store: deliveries are then
// de-duplicated within one process only.
type MemoryOnce struct{ set *Set }

// NewMemoryOnce returns a MemoryOnce holding at most max keys (default
// MaxRemembered).
func NewMemoryOnce(max int) *MemoryOnce { return &MemoryOnce{set: NewSet(time.Hour, max)} }

// Once implements core.OnceStore.
func (m *MemoryOnce) Once(_ context.Context, key string, now time.Time, ttl time.Duration) (bool, error) {
	return m.set.addUntil(key, now, now.Add(ttl)), nil
}

// PruneOnce implements core.OnceStore. It drops the expired keys that
// were added before every live one; the rest go as they reach the front.
func (m *MemoryOnce) PruneOnce(_ context.Context, now time.Time) (int, error) {
	m.set.mu.Lock()
	defer m.set.mu.Unlock()
	return m.set.pruneLocked(now), nil
}
