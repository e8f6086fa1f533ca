package slack

import (
	"strings"
	"sync"
	"time"

	"github.com/meetbot/meetbot/core"
)

// listLines remembers the rendered line of each meeting in /meet list, the
// busiest read: a channel's list is asked for again and again while its
// meetings rarely change, and formatting a line (the local time in the
// meeting's zone, the duration, escaping and fitting the title) was a
// good part of answering. The key is every input of the line, so a hit is
// exactly what rendering would give; entries are evicted at random when
// the cache is full.
var listLines = &lineCache{m: make(map[lineKey]string)}

// lineCacheSize bounds the cache: a few busy channels' worth of lines,
// a few hundred bytes each.
const lineCacheSize = 4096

type lineCache struct {
	mu sync.RWMutex
	m  map[lineKey]string
}

// lineKey is every input of a list line. A struct of the fields, not
// their concatenation, so a lookup builds and allocates no key.
type lineKey struct {
	id, title, organizer, zone string
	duration                   time.Duration
	start                      int64
	private                    bool
}

// listLine is "\n• `id` <date> *title*, duration, by organizer", as
// listText shows it, for m's occurrence starting at start.
func listLine(m *core.Meeting, start time.Time) string {
	key := lineKey{
		id: m.ID, title: m.Title, organizer: organizerName(m), zone: m.TimeZone,
		duration: m.Duration, start: start.UnixNano(), private: m.Private,
	}
	listLines.mu.RLock()
	line, ok := listLines.m[key]
	listLines.mu.RUnlock()
	if ok {
		return line
	}
	line = renderListLine(m, start)
	listLines.mu.Lock()
	if len(listLines.m) >= lineCacheSize {
		for k := range listLines.m {
			delete(listLines.m, k)
			break
		}
	}
	listLines.m[key] = line
	listLines.mu.Unlock()
	return line
}

func renderListLine(m *core.Meeting, start time.Time) string {
	var b strings.Builder
	b.WriteString("\n• `")
	b.WriteString(Escape(m.ID))
	b.WriteString("` ")
	appendDate(&b, start, m.TimeZone)
	b.WriteString(" *")
	b.WriteString(fit(m.Title, 250))
	b.WriteString("*, ")
	b.WriteString(core.HumanDuration(m.Duration))
	b.WriteString(", by ")
	b.WriteString(fit(organizerName(m), 100))
	if m.Private {
		b.WriteString(" · private") // listed only to those who may see it
	}
	return b.String()
}
