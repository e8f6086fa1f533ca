package main

import (
	"testing"
	"time"
)

// TestAnchorPutsTheBotsClockWhereAsked: the timeline anchor builds reads b
// at the real instant t, runs rate times faster from there, maps back to
// real time, and renders as the MEETBOT_CLOCK cmd/bot reads.
func TestAnchorPutsTheBotsClockWhereAsked(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 2, 40, 0, 123456789, time.UTC)
	b := now.Add(70 * time.Second)
	tl := anchor(6, now, b)
	if got := tl.bot(now); got.Sub(b).Abs() > time.Microsecond {
		t.Fatalf("bot(t) = %v, want %v", got, b)
	}
	if got := tl.bot(now.Add(time.Second)); got.Sub(b.Add(6*time.Second)).Abs() > time.Microsecond {
		t.Fatalf("a real second later the bot's clock reads %v, want %v", got, b.Add(6*time.Second))
	}
	if got := tl.real(b.Add(60 * time.Second)); got.Sub(now.Add(10*time.Second)).Abs() > time.Microsecond {
		t.Fatalf("real(b+60s) = %v, want t+10s", got)
	}
	if env := tl.env(); len(env) != 1 || env[0] != "MEETBOT_CLOCK=6x@"+tl.epoch.Format(time.RFC3339Nano) {
		t.Fatalf("env() = %q", env)
	}
	if wallClock.env() != nil || !wallClock.bot(now).Equal(now) || !wallClock.real(now).Equal(now) {
		t.Fatal("the wall clock's timeline is not the identity without MEETBOT_CLOCK")
	}
}
