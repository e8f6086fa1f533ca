package bolt

import (
	"bytes"
	"sync"

	"github.com/meetbot/meetbot/core"
)

// decodeCacheSize bounds the decoded records kept in memory per kind:
// enough for every live meeting of a busy deployment (about 2 KB each),
// and for the participants joining them.
const decodeCacheSize = 8192

// recordCache keeps decoded records next to the exact bytes they were
// decoded from. A read compares the stored bytes with the cached ones and,
// when they are equal, hands out a clone instead of parsing JSON again,
// which is most of the cost of listing and joining. Because the check is
// on the bytes themselves, a write never needs to invalidate anything: a
// changed record simply misses. Entries are evicted at random when full.
type recordCache[T any] struct {
	mu    sync.RWMutex
	m     map[string]cachedRecord[T]
	clone func(*T) *T
}

type cachedRecord[T any] struct {
	raw []byte
	v   *T
}

func newRecordCache[T any](clone func(*T) *T) *recordCache[T] {
	return &recordCache[T]{m: make(map[string]cachedRecord[T]), clone: clone}
}

// decodeCache is the meetings' cache.
type decodeCache = recordCache[core.Meeting]

func newDecodeCache() *decodeCache { return newRecordCache((*core.Meeting).Clone) }

// newParticipantCache is the participants' cache: a join link's open reads
// the same participant record on every visit, and its token makes it the
// costliest record to parse.
func newParticipantCache() *recordCache[core.Participant] {
	return newRecordCache(func(p *core.Participant) *core.Participant { c := *p; return &c })
}

// get returns a copy of the record decoded from v under key k, or nil.
func (c *recordCache[T]) get(k, v []byte) *T {
	if r := c.peek(k, v); r != nil {
		return c.clone(r)
	}
	return nil
}

// peek is get without the copy: the cache's own record, which the caller
// must not change nor hand out (clone it first).
func (c *recordCache[T]) peek(k, v []byte) *T {
	c.mu.RLock()
	e, ok := c.m[string(k)]
	c.mu.RUnlock()
	if !ok || !bytes.Equal(e.raw, v) {
		return nil
	}
	return e.v
}

// put remembers r as the decoding of v under k. v belongs to bbolt, so it
// is copied; r is cloned so the caller may change its own copy.
func (c *recordCache[T]) put(k, v []byte, r *T) {
	e := cachedRecord[T]{raw: bytes.Clone(v), v: c.clone(r)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= decodeCacheSize {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[string(k)] = e
}
