package bolt

import (
	"strconv"
	"strings"
	"sync"

	"github.com/meetbot/meetbot/core"
)

// viewCacheSize bounds the remembered list results: one per channel that
// was listed since the last write, which is few.
const viewCacheSize = 256

// viewCache remembers ViewMeetings results by filter, each with the id of
// the bbolt transaction it was read in. A read transaction's id is that of
// the last committed write, so an entry whose id equals the current read's
// describes exactly the data that read would see: a repeated "/meet list"
// with no write in between reads nothing, and any write anywhere simply
// makes every entry miss (nothing needs invalidating). The cached meetings
// and slices are shared and read-only, as ViewMeetings documents.
type viewCache struct {
	mu sync.RWMutex
	m  map[string]viewEntry
}

type viewEntry struct {
	txid int
	ms   []*core.Meeting
}

func newViewCache() *viewCache { return &viewCache{m: make(map[string]viewEntry)} }

// viewKey names a filter within one workspace's prefix, or "" for a
// filter not worth remembering: EndsAfter moves with the clock, so such a
// filter rarely repeats.
func viewKey(prefix []byte, f core.MeetingFilter) string {
	if !f.EndsAfter.IsZero() {
		return ""
	}
	var b strings.Builder
	b.Grow(len(prefix) + len(f.Channel) + 8*len(f.States) + 8)
	b.Write(prefix)
	b.WriteByte(0)
	b.WriteString(f.Channel)
	for _, s := range f.States {
		b.WriteByte(0)
		b.WriteString(string(s))
	}
	b.WriteByte(1)
	b.WriteString(strconv.Itoa(f.Limit))
	return b.String()
}

// get returns the result remembered under key for transaction txid.
func (c *viewCache) get(key string, txid int) ([]*core.Meeting, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || e.txid != txid {
		return nil, false
	}
	return e.ms, true
}

// put remembers ms as key's result in transaction txid, unless a newer
// transaction's result is already there.
func (c *viewCache) put(key string, txid int, ms []*core.Meeting) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok && e.txid > txid {
		return
	}
	if len(c.m) >= viewCacheSize {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[key] = viewEntry{txid: txid, ms: ms}
}
