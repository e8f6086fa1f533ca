package bolt

import (
	"bytes"
	"sync"

	"github.com/meetbot/meetbot/core"
)

// decodeCacheSize bounds the decoded meetings kept in memory: enough for
// every live meeting of a busy deployment, about 2 KB each.
const decodeCacheSize = 8192

// decodeCache keeps decoded meetings next to the exact bytes they were
// decoded from. A read compares the stored bytes with the cached ones and,
// when they are equal, hands out a clone instead of parsing JSON again,
// which is most of the cost of listing and joining. Because the check is
// on the bytes themselves, a write never needs to invalidate anything: a
// changed record simply misses. Entries are evicted at random when full.
type decodeCache struct {
	mu sync.Mutex
	m  map[string]decoded
}

type decoded struct {
	raw []byte
	m   *core.Meeting
}

func newDecodeCache() *decodeCache { return &decodeCache{m: make(map[string]decoded)} }

// get returns a copy of the meeting decoded from v under key k, or nil.
func (c *decodeCache) get(k, v []byte) *core.Meeting {
	c.mu.Lock()
	e, ok := c.m[string(k)]
	c.mu.Unlock()
	if !ok || !bytes.Equal(e.raw, v) {
		return nil
	}
	return e.m.Clone()
}

// put remembers m as the decoding of v under k. v belongs to bbolt, so it
// is copied; m is cloned so the caller may change its own copy.
func (c *decodeCache) put(k, v []byte, m *core.Meeting) {
	e := decoded{raw: bytes.Clone(v), m: m.Clone()}
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
