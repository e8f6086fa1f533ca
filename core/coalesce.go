package core

import (
	"context"
	"sync"
	"time"
)

// Card edit pacing. A busy room sends a join or leave every few hundred
// milliseconds; redrawing the card for each would run into Slack's
// chat.update limit (Tier 3, about 50 a minute per workspace) and
// Discord's edit limit (5 per 5 s per channel) and make the card flicker.
const (
	// CardEvery is the least time between two redraws of one meeting's
	// card caused by its room.
	CardEvery = 5 * time.Second
	// CardSettle is how long a redraw waits after the first change: a room
	// going live is meeting.started and the first join a moment apart, and
	// one redraw showing both beats "0 in the room" followed by a 5 s wait.
	CardSettle = time.Second
	// cardBurst and cardRefill bound redraws per workspace: a workspace
	// with many live meetings at once is paced to cardRefill on average
	// (40 a minute, under Slack's Tier 3), in bursts of cardBurst.
	cardBurst  = 10
	cardRefill = 1500 * time.Millisecond
)

// coalescer runs at most one flush per key every `every`, however often the
// key is poked, and always once more after the last poke, so the final
// state lands. It also paces flushes per workspace (a token bucket), so
// many live meetings in one workspace stay within the platform's
// per-workspace limit. It uses package time (time.Now, time.AfterFunc),
// which testing/synctest fakes, so tests need no sleeps.
type coalescer struct {
	every  time.Duration
	settle time.Duration
	flush  func(key meetingRef)

	mu      sync.Mutex
	slots   map[meetingRef]*slot
	buckets map[WorkspaceKey]*bucket
	// ran is closed and replaced whenever a flush ends, so drain can wait
	// for flushes it did not start without polling.
	ran chan struct{}
	// stopped is set once drain has run: the process is going down, and
	// a later poke would only set a timer that outlives the chat adapters.
	stopped bool
}

// meetingRef names a meeting across workspaces.
type meetingRef struct {
	ws WorkspaceKey
	id string
}

// slot is one key's pacing state.
type slot struct {
	last    time.Time // when the last flush started
	waiting bool      // a timer is set to flush
	running bool      // a flush is running now
	dirty   bool      // poked while running: flush again after it
	timer   *time.Timer
}

// bucket is a workspace's token bucket of redraws.
type bucket struct {
	tokens float64
	at     time.Time
}

func newCoalescer(every, settle time.Duration, flush func(meetingRef)) *coalescer {
	return &coalescer{every: every, settle: settle, flush: flush, slots: map[meetingRef]*slot{}, buckets: map[WorkspaceKey]*bucket{},
		ran: make(chan struct{})}
}

// poke asks for a flush of key: after settle when none ran within every
// and the workspace has budget, else when the wait is over. Pokes while one is
// pending are absorbed by it; the flush reads the state as it is then.
func (c *coalescer) poke(key meetingRef) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	now := time.Now()
	c.prune(now)
	s := c.slots[key]
	if s == nil {
		s = &slot{}
		c.slots[key] = s
	}
	switch {
	case s.running:
		s.dirty = true
	case s.waiting:
	default:
		c.schedule(key, s, now)
	}
}

// schedule starts key's flush now or sets a timer for it. c.mu is held.
func (c *coalescer) schedule(key meetingRef, s *slot, now time.Time) {
	wait := c.settle
	if !s.last.IsZero() {
		wait = max(wait, s.last.Add(c.every).Sub(now))
	}
	if w := c.take(key.ws, now.Add(max(wait, 0))); w > wait {
		wait = w
	}
	s.waiting = true
	if wait <= 0 {
		s.timer = nil
		go c.run(key, s)
		return
	}
	s.timer = time.AfterFunc(wait, func() { c.run(key, s) })
}

// take spends one token of ws's bucket for a flush at `at` and returns how
// long from now that flush must wait for its token (0: none). c.mu is held.
func (c *coalescer) take(ws WorkspaceKey, at time.Time) time.Duration {
	b := c.buckets[ws]
	if b == nil {
		b = &bucket{tokens: cardBurst, at: at}
		c.buckets[ws] = b
	}
	if at.After(b.at) {
		b.tokens = min(cardBurst, b.tokens+float64(at.Sub(b.at))/float64(cardRefill))
		b.at = at
	}
	b.tokens--
	if b.tokens >= 0 {
		return at.Sub(time.Now())
	}
	// In debt: the token is there once the debt is refilled.
	return b.at.Add(time.Duration(-b.tokens * float64(cardRefill))).Sub(time.Now())
}

// run flushes key, then starts the next flush if it was poked meanwhile.
func (c *coalescer) run(key meetingRef, s *slot) {
	c.mu.Lock()
	s.waiting, s.running, s.dirty = false, true, false
	s.last = time.Now()
	c.mu.Unlock()

	c.flush(key)

	c.mu.Lock()
	defer c.mu.Unlock()
	s.running = false
	close(c.ran)
	c.ran = make(chan struct{})
	if s.dirty && !c.stopped {
		s.dirty = false
		c.schedule(key, s, time.Now())
	}
}

// drain runs now every flush that is waiting for its time, and waits for
// those running (and their re-runs), so at shutdown the last state of
// every card lands instead of dying with a timer. Pacing is set aside:
// it is one last redraw per meeting. After drain, pokes are ignored. It
// returns how many keys still had a flush pending or running when ctx
// ended (0: all landed).
func (c *coalescer) drain(ctx context.Context) int {
	for {
		c.mu.Lock()
		ran := c.ran
		type job struct {
			key meetingRef
			s   *slot
		}
		var due []job
		busy := 0
		for k, s := range c.slots {
			switch {
			case s.waiting && s.timer != nil && s.timer.Stop():
				// Its timer will not fire: the flush is ours to run.
				s.timer = nil
				due = append(due, job{k, s})
			case s.waiting || s.running:
				busy++ // starting (timer fired, or no timer) or running
			}
		}
		if len(due) == 0 && busy == 0 {
			c.stopped = true
			c.mu.Unlock()
			return 0
		}
		c.mu.Unlock()
		for _, j := range due {
			if ctx.Err() != nil {
				return c.giveUp()
			}
			c.run(j.key, j.s)
		}
		if len(due) > 0 {
			continue // their re-runs, and pokes meanwhile, come round again
		}
		select {
		case <-ran:
		case <-ctx.Done():
			return c.giveUp()
		}
	}
}

// giveUp ends a drain cut short by its deadline: it counts the keys still
// pending (those whose timers drain stopped included) and stops pokes.
func (c *coalescer) giveUp() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	n := 0
	for _, s := range c.slots {
		if s.waiting || s.running {
			n++
		}
	}
	return n
}

// prune forgets idle keys whose last flush is long past, so the maps stay
// the size of the live meetings. c.mu is held.
func (c *coalescer) prune(now time.Time) {
	if len(c.slots) < 1024 {
		return
	}
	for k, s := range c.slots {
		if !s.waiting && !s.running && now.Sub(s.last) > c.every {
			delete(c.slots, k)
		}
	}
	for ws, b := range c.buckets {
		if b.tokens >= cardBurst-1 && now.Sub(b.at) > time.Minute {
			delete(c.buckets, ws)
		}
	}
}
