package main

import (
	"strconv"
	"time"
)

// timeline is the bot's clock as seen from the harness. At rate 1 it is
// the wall clock. Faster, the bot runs on MEETBOT_CLOCK (cmd/bot's
// clock.go): its time is epoch + (real - epoch) × rate, the same for every
// life of the bot, and the harness maps its own instants (kills, the fake
// Slack's posts, its waits) with the same function, so everything the
// accounting compares is on the one clock the bot's records are on.
type timeline struct {
	epoch time.Time // a real instant, without a monotonic reading
	rate  float64
}

// wallClock is the timeline at rate 1.
var wallClock = timeline{rate: 1}

// anchor returns the timeline at rate whose clock reads b at the real
// instant t. b must not be before t: the bot's clock only ever steps
// forward (it is what it was, the wall clock, until then).
func anchor(rate float64, t, b time.Time) timeline {
	t = t.Round(0)
	// b = E + (t-E)·rate, so E = t + (t-b)/(rate-1).
	return timeline{epoch: t.Add(time.Duration(float64(t.Sub(b)) / (rate - 1))).Round(0).UTC(), rate: rate}
}

// bot maps a real instant to the bot's clock, as cmd/bot's scaledClock.Now
// computes it.
func (tl timeline) bot(t time.Time) time.Time {
	if tl.rate == 1 {
		return t
	}
	return tl.epoch.Add(time.Duration(float64(t.Round(0).Sub(tl.epoch)) * tl.rate))
}

// real maps an instant on the bot's clock to the real one.
func (tl timeline) real(b time.Time) time.Time {
	if tl.rate == 1 {
		return b
	}
	return tl.epoch.Add(time.Duration(float64(b.Sub(tl.epoch)) / tl.rate))
}

// now is the bot's clock now.
func (tl timeline) now() time.Time { return tl.bot(time.Now()) }

// env is the bot's MEETBOT_CLOCK setting; none at rate 1.
func (tl timeline) env() []string {
	if tl.rate == 1 {
		return nil
	}
	return []string{"MEETBOT_CLOCK=" + strconv.FormatFloat(tl.rate, 'g', -1, 64) + "x@" + tl.epoch.Format(time.RFC3339Nano)}
}
