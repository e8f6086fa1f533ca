package main

import (
	"strconv"
	"time"
)

// timeline is the bot's clock as seen from the harness. It starts as the
// wall clock. Faster, the bot runs on MEETBOT_CLOCK (cmd/bot's clock.go):
// its time is epoch + (real - epoch) × rate. The harness maps its own
// instants (kills, the fake Slack's posts, its waits) with the same
// function, so everything the accounting compares is on the one clock the
// bot's records are on.
//
// A life of the bot reads MEETBOT_CLOCK once, at its start, so the harness
// may hand the next life another rate (slowDown): the new segment starts
// at that life's spawn, where it reads what the old one does, so the
// timeline stays one continuous clock that never goes back, only running
// slower from there.
type timeline struct {
	segs []segment // in order of from
}

// segment is the timeline from one real instant on.
type segment struct {
	from  time.Time // real
	epoch time.Time // a real instant, without a monotonic reading
	rate  float64
}

// wallClock is the timeline before any faster segment.
var wallClock = timeline{}

// at is the segment's clock at the real instant t, as cmd/bot's
// scaledClock.Now computes it.
func (s segment) at(t time.Time) time.Time {
	return s.epoch.Add(time.Duration(float64(t.Round(0).Sub(s.epoch)) * s.rate))
}

// then returns the timeline that from the real instant t on runs at rate
// and reads b at t. b must not be before the clock at t: the bot's clock
// only ever steps forward (speedUp), or goes on where it is (slowDown).
func (tl timeline) then(rate float64, t, b time.Time) timeline {
	t = t.Round(0)
	// b = E + (t-E)·rate, so E = t + (t-b)/(rate-1).
	s := segment{from: t, epoch: t.Add(time.Duration(float64(t.Sub(b)) / (rate - 1))).Round(0).UTC(), rate: rate}
	return timeline{segs: append(tl.segs[:len(tl.segs):len(tl.segs)], s)}
}

// bot maps a real instant to the bot's clock.
func (tl timeline) bot(t time.Time) time.Time {
	for i := len(tl.segs) - 1; i >= 0; i-- {
		if s := tl.segs[i]; !t.Before(s.from) {
			return s.at(t)
		}
	}
	return t
}

// real maps an instant on the bot's clock to the real one.
func (tl timeline) real(b time.Time) time.Time {
	for i := len(tl.segs) - 1; i >= 0; i-- {
		if s := tl.segs[i]; !b.Before(s.at(s.from)) {
			return s.epoch.Add(time.Duration(float64(b.Sub(s.epoch)) / s.rate))
		}
	}
	return b
}

// now is the bot's clock now.
func (tl timeline) now() time.Time { return tl.bot(time.Now()) }

// rate is the rate of the latest segment, the one the next life gets.
func (tl timeline) rate() float64 {
	if len(tl.segs) == 0 {
		return 1
	}
	return tl.segs[len(tl.segs)-1].rate
}

// env is the next life's MEETBOT_CLOCK setting; none on the wall clock.
func (tl timeline) env() []string {
	if len(tl.segs) == 0 {
		return nil
	}
	s := tl.segs[len(tl.segs)-1]
	return []string{"MEETBOT_CLOCK=" + strconv.FormatFloat(s.rate, 'g', -1, 64) + "x@" + s.epoch.Format(time.RFC3339Nano)}
}
