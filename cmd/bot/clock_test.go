package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core/scheduler"
)

// TestParseClock reads MEETBOT_CLOCK's accepted forms, and refuses every
// malformed one with one error naming the variable and the expected form.
func TestParseClock(t *testing.T) {
	t.Parallel()
	epoch := time.Now().UTC().Truncate(time.Second)
	c, err := parseClock("6x@" + epoch.Format(time.RFC3339Nano))
	if err != nil || c == nil || c.rate != 6 || !c.epoch.Equal(epoch) {
		t.Fatalf("parseClock(6x@...) = %+v, %v", c, err)
	}
	if c, err := parseClock("1.5x@" + epoch.Add(time.Minute).Format(time.RFC3339Nano)); err != nil || c.rate != 1.5 {
		t.Fatalf("parseClock(1.5x@...) = %+v, %v", c, err)
	}
	if c, err := parseClock(""); c != nil || err != nil {
		t.Fatalf("parseClock(\"\") = %+v, %v; want the wall clock", c, err)
	}
	ts := epoch.Format(time.RFC3339)
	for _, bad := range []string{
		"6x", "6@" + ts, "x@" + ts, "0x@" + ts, "-2x@" + ts, "NaNx@" + ts, "Infx@" + ts, "1001x@" + ts,
		"6x@yesterday", "6x@2026-12-04 02:40:00", "6x@", "@" + ts, "6x@" + ts + "@" + ts,
		"1000x@1800-01-01T00:00:00Z",
	} {
		c, err := parseClock(bad)
		if err == nil || c != nil {
			t.Errorf("parseClock(%q) = %+v, nil; want an error", bad, c)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, clockEnv) || !strings.Contains(msg, "RATEx@EPOCH") || strings.Count(msg, "\n") != 0 {
			t.Errorf("parseClock(%q): %q does not name %s and the expected form on one line", bad, msg, clockEnv)
		}
	}
}

// TestScaledClockRunsFromItsEpoch: the bot's time is the epoch plus the
// real time since it, times the rate, the same in every process that reads
// the same value.
func TestScaledClockRunsFromItsEpoch(t *testing.T) {
	t.Parallel()
	epoch := time.Now().Add(-10 * time.Second).Round(0) // as parsed: no monotonic reading
	c := scaledClock{epoch: epoch, rate: 6}
	before := time.Now()
	got := c.Now()
	after := time.Now()
	lo, hi := epoch.Add(6*before.Sub(epoch)), epoch.Add(6*after.Sub(epoch))
	if got.Before(lo) || got.After(hi) {
		t.Fatalf("Now() = %v, want between %v and %v (60 s after the epoch and a little)", got, lo, hi)
	}
	if strings.Contains(got.String(), "m=") {
		t.Fatal("Now() carries a monotonic reading; the timeline must be the wall clock's, shared by processes")
	}
	// An epoch in the future: the bot's time is behind real time until then.
	if c := (scaledClock{epoch: time.Now().Add(time.Minute).Round(0), rate: 2}); !c.Now().Before(time.Now()) {
		t.Fatal("with an epoch a minute ahead, the bot's clock should be behind the wall clock")
	}
}

// TestServeRefusesAMalformedClock: bot serve with a malformed MEETBOT_CLOCK
// exits 1 with the one error, before it opens anything.
func TestServeRefusesAMalformedClock(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == clockEnv {
			return "fast"
		}
		return ""
	}
	code := run(context.Background(), []string{"serve"}, strings.NewReader(""), &stdout, &stderr, getenv)
	if code != 1 || !strings.Contains(stderr.String(), clockEnv+`="fast"`) || !strings.Contains(stderr.String(), "RATEx@EPOCH") {
		t.Fatalf("exit %d, stderr %q; want 1 and the clock error", code, stderr.String())
	}
}

// TestSetClockWarnsAndTunesTheScheduler: with MEETBOT_CLOCK set the app
// runs on the scaled clock, says so in the log, and gives the scheduler a
// short sleep cap and a claim rescue of two real minutes; unset, the wall
// clock and the scheduler's defaults, and no warning.
func TestSetClockWarnsAndTunesTheScheduler(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	a := &app{log: zerolog.New(&logs)}
	epoch := time.Now().UTC().Format(time.RFC3339Nano)
	if err := a.setClock(func(k string) string { return map[string]string{clockEnv: "6x@" + epoch}[k] }); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.clock.(*scaledClock); !ok || a.scaled == nil || !strings.Contains(logs.String(), `"level":"warn"`) || !strings.Contains(logs.String(), clockEnv) {
		t.Fatalf("clock %T, log %q; want the scaled clock and a warning naming %s", a.clock, logs.String(), clockEnv)
	}
	o := a.schedulerClock(scheduler.Options{})
	if o.Clock != a.clock || o.MaxSleep != 100*time.Millisecond || o.Rescue != 12*time.Minute || o.JobTimeout != time.Minute {
		t.Fatalf("scheduler options %+v under a 6x clock", o)
	}

	logs.Reset()
	b := &app{log: zerolog.New(&logs)}
	if err := b.setClock(func(string) string { return "" }); err != nil {
		t.Fatal(err)
	}
	o = b.schedulerClock(scheduler.Options{})
	if _, scaled := b.clock.(*scaledClock); scaled || b.clock == nil || b.scaled != nil || logs.Len() != 0 || o.MaxSleep != 0 || o.Rescue != 0 || o.JobTimeout != 0 {
		t.Fatalf("unset: clock %T, log %q, options %+v; want the wall clock, no log, the defaults", b.clock, logs.String(), o)
	}
}
