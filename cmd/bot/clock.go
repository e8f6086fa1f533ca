package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
)

// clockEnv names the environment variable that runs the bot on a faster
// clock, for soak tests only (cmd/soak): "RATEx@EPOCH", for example
// "6x@2026-12-04T02:40:00.5Z", makes the bot's time
//
//	EPOCH + (now - EPOCH) * RATE
//
// so its meetings, reminders and rooms come due RATE times faster than
// real time. EPOCH is a real instant (RFC 3339): every process started
// with the same value, each life of a restarted bot included, shares one
// timeline, whenever it was started. Unset, the bot runs on the wall clock.
// The bot logs a warning when it is set; in production it never is.
//
// The scaled clock is core's and the scheduler's "now" (meetings' windows,
// reminders, rooms, join links, retries, the jobs kept for pruning). What
// is not about meetings stays on real time: HTTP, call and job deadlines,
// the scheduler's drain and backoff after a store error, recovery's bound,
// Slack request signatures, the chat adapters' caches and delivery keys,
// the RealtimeKit call budget and card pacing, and the room poller (the
// video service stamps sessions in real time; a soak has no participants).
const clockEnv = "MEETBOT_CLOCK"

// maxClockRate bounds RATE: at 1000 a minute's window lasts 60 ms of real
// time, already shorter than a restart.
const maxClockRate = 1000

// scaledClock is the clock clockEnv describes.
type scaledClock struct {
	epoch time.Time
	rate  float64
}

// Now returns the bot's time: the real time elapsed since the epoch,
// scaled by the rate. Like every core.Clock's times it carries no
// monotonic reading: the timeline is the wall clock's, shared by
// processes.
func (c scaledClock) Now() time.Time {
	return c.epoch.Add(time.Duration(float64(time.Now().Sub(c.epoch)) * c.rate))
}

// parseClock reads clockEnv's value: nil for the empty string (the wall
// clock), the scaled clock for "RATEx@EPOCH", and one error saying the
// expected form for anything else, so the process refuses to start rather
// than run on a clock nobody asked for.
func parseClock(v string) (*scaledClock, error) {
	if v == "" {
		return nil, nil
	}
	bad := func(why string) error {
		return fmt.Errorf("%s=%q: %s; want RATEx@EPOCH, for example 6x@2026-12-04T02:40:00Z (a test clock for soak runs: unset it otherwise)", clockEnv, v, why)
	}
	rate, epoch, ok := strings.Cut(v, "@")
	if !ok {
		return nil, bad("no @ between the rate and the epoch")
	}
	num, ok := strings.CutSuffix(rate, "x")
	if !ok {
		return nil, bad("the rate does not end in x")
	}
	r, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(r) || r <= 0 || r > maxClockRate {
		return nil, bad(fmt.Sprintf("the rate must be a number above 0 and at most %d", maxClockRate))
	}
	e, err := time.Parse(time.RFC3339Nano, epoch)
	if err != nil {
		return nil, bad("the epoch is not an RFC 3339 time")
	}
	// Keep (now - epoch) * rate inside time.Duration (292 years) for a
	// century of the process either way.
	if time.Since(e).Abs() > time.Duration(float64(100*365*24*time.Hour)/max(r, 1)) {
		return nil, bad("the epoch is too far from now for this rate")
	}
	return &scaledClock{epoch: e.UTC(), rate: r}, nil
}

// setClock reads clockEnv: a.clock is the wall clock when it is unset,
// else the scaled clock, with a warning in the log, never silently.
func (a *app) setClock(getenv func(string) string) error {
	c, err := parseClock(getenv(clockEnv))
	if err != nil {
		return err
	}
	a.clock, a.scaled = core.SystemClock, c
	if c != nil {
		a.clock = c
		a.log.Warn().Float64("rate", c.rate).Time("epoch", c.epoch).
			Msg(clockEnv + " is set: running on a scaled test clock, meetings, reminders and rooms come due faster than real time (for soak tests; never in production)")
	}
	return nil
}

// schedulerClock sets o's clock and the options that depend on it. On the
// wall clock the scheduler's defaults stand. On a scaled clock, where the
// scheduler sleeps on real timers but reads due times on the bot's clock:
//   - MaxSleep is 100 ms of real time, so a job is late by at most
//     rate × 100 ms on the bot's clock;
//   - Rescue, a claim's age on the bot's clock, is the default two minutes
//     of real time (2m × rate), and JobTimeout, a real deadline, keeps its
//     default of half that, so a job still never outlives its claim.
func (a *app) schedulerClock(o scheduler.Options) scheduler.Options {
	o.Clock = a.clock
	if a.scaled != nil {
		o.MaxSleep = 100 * time.Millisecond
		o.Rescue = time.Duration(float64(scheduler.DefaultRescue) * a.scaled.rate)
		o.JobTimeout = scheduler.DefaultRescue / 2
	}
	return o
}
