package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// slowNotifier takes 1 ms per post, like a chat API on a good day.
type slowNotifier struct{}

func (slowNotifier) Remind(context.Context, core.Reminder) (string, error) {
	time.Sleep(time.Millisecond) // the simulated cost of a post, not synchronisation
	return "post", nil
}

func (slowNotifier) Announce(context.Context, core.Announcement) error { return nil }

// BenchmarkReminderBurst: 1,000 reminders due in the same second, with a
// notifier that takes 1 ms, delivered by the scheduler (claim, load, post,
// record), against the same 1,000 posts made directly in a loop. Compare
// the two sub-benchmarks' ns/op (one op = all 1,000 delivered).
func BenchmarkReminderBurst(b *testing.B) {
	const n = 1000
	b.Run("scheduler", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			h := newHarness(b, testenv.Options{})
			h.env.Service.SetNotifier(slowNotifier{})
			start := h.env.Time.Now().Add(30 * time.Minute)
			for range n {
				h.env.Schedule(testenv.Actor("ana"), "Burst", start, 15*time.Minute)
			}
			h.env.Clock.Set(start.Add(-10 * time.Minute))
			// Run the jobs due earlier than the reminders (none) so only the
			// 1,000 reminders and the provisioning no-ops are timed.
			b.StartTimer()
			got, err := h.sched.RunDue(context.Background())
			b.StopTimer()
			if err != nil || got < n {
				b.Fatalf("ran %d jobs (%v), want at least %d", got, err, n)
			}
		}
	})
	b.Run("directLoop", func(b *testing.B) {
		var sn slowNotifier
		for b.Loop() {
			for range n {
				if _, err := sn.Remind(context.Background(), core.Reminder{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
