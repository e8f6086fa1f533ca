package main

import (
	"testing"
	"time"
)

// TestTimelineSegments: the wall clock at first; then from a real instant
// a faster clock that reads what it was asked to (a step forward); then a
// slower one that goes on from where the faster one was. Real and bot
// instants map both ways, and each segment renders as the MEETBOT_CLOCK
// cmd/bot reads.
func TestTimelineSegments(t *testing.T) {
	t.Parallel()
	close := func(got, want time.Time) bool { return got.Sub(want).Abs() <= time.Microsecond }
	t0 := time.Date(2026, 12, 4, 2, 40, 0, 123456789, time.UTC)
	if !wallClock.bot(t0).Equal(t0) || !wallClock.real(t0).Equal(t0) || wallClock.env() != nil || wallClock.rate() != 1 {
		t.Fatal("the wall clock's timeline is not the identity without MEETBOT_CLOCK")
	}
	b0 := t0.Add(70 * time.Second)
	fast := wallClock.then(6, t0, b0)
	if got := fast.bot(t0); !close(got, b0) {
		t.Fatalf("bot(t0) = %v, want %v", got, b0)
	}
	if got := fast.bot(t0.Add(-time.Second)); !got.Equal(t0.Add(-time.Second)) {
		t.Fatalf("before the faster segment the clock is the wall clock, got %v", got)
	}
	if got := fast.bot(t0.Add(time.Second)); !close(got, b0.Add(6*time.Second)) {
		t.Fatalf("a real second later the bot's clock reads %v, want %v", got, b0.Add(6*time.Second))
	}
	if got := fast.real(b0.Add(60 * time.Second)); !close(got, t0.Add(10*time.Second)) {
		t.Fatalf("real(b0+60s) = %v, want t0+10s", got)
	}
	e := fast.segs[0].epoch
	if env := fast.env(); len(env) != 1 || env[0] != "MEETBOT_CLOCK=6x@"+e.Format(time.RFC3339Nano) || fast.rate() != 6 {
		t.Fatalf("env() = %q, rate %g", env, fast.rate())
	}

	t1 := t0.Add(10 * time.Second) // the clock reads b0+60s
	slow := fast.then(2, t1, fast.bot(t1))
	if len(fast.segs) != 1 {
		t.Fatal("then changed the timeline it was called on")
	}
	if got := slow.bot(t1.Add(time.Second)); !close(got, b0.Add(62*time.Second)) {
		t.Fatalf("after slowing down a real second adds %v, want 2s", got.Sub(b0.Add(60*time.Second)))
	}
	if got := slow.bot(t0.Add(time.Second)); !close(got, b0.Add(6*time.Second)) {
		t.Fatalf("the faster segment's instants moved: %v", got)
	}
	for _, b := range []time.Time{b0.Add(30 * time.Second), b0.Add(61 * time.Second), b0.Add(80 * time.Second)} {
		if got := slow.bot(slow.real(b)); !close(got, b) {
			t.Errorf("bot(real(%v)) = %v", b, got)
		}
	}
	if env := slow.env(); len(env) != 1 || env[0] != "MEETBOT_CLOCK=2x@"+slow.segs[1].epoch.Format(time.RFC3339Nano) {
		t.Fatalf("env() = %q", env)
	}
}
