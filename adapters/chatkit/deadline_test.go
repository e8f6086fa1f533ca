package chatkit

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// fired is an After whose timer has already gone off.
func fired(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}

// TestAnswerInTime: work that finishes within Wait is the answer; nothing
// is deferred or followed up.
func TestAnswerInTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group
		d := Deadline{Group: &g} // default Wait, on the bubble's clock
		start := time.Now()
		v, ok := Answer(t.Context(), d, func(ctx context.Context) string {
			time.Sleep(DefaultAckWait - time.Millisecond)
			return "card"
		}, func() bool { t.Error("deferred although the work was in time"); return true },
			func(context.Context, string) { t.Error("followed up although the work was in time") })
		if !ok || v != "card" {
			t.Fatalf("Answer = %q, %v", v, ok)
		}
		if el := time.Since(start); el != DefaultAckWait-time.Millisecond {
			t.Fatalf("answered after %v", el)
		}
		g.Wait()
	})
}

// TestAnswerDefersAndFollowsUp: work slower than Wait is acknowledged once
// Wait has passed (not before), and its result follows in the group,
// under a context the finished request does not cancel.
func TestAnswerDefersAndFollowsUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group
		d := Deadline{Group: &g, Wait: time.Second, Timeout: time.Minute}
		reqCtx, cancelReq := context.WithCancel(t.Context())
		release := make(chan struct{})
		var deferredAt time.Time
		got := make(chan string, 1)
		start := time.Now()
		v, ok := Answer(reqCtx, d, func(ctx context.Context) string {
			<-release
			if ctx.Err() != nil {
				return "cancelled"
			}
			dl, _ := ctx.Deadline()
			if dl.Sub(start) != time.Minute {
				return "unbounded"
			}
			return "card"
		}, func() bool { deferredAt = time.Now(); return true },
			func(ctx context.Context, r string) {
				if ctx.Err() != nil {
					r += " with a dead context"
				}
				got <- r
			})
		if ok || v != "" {
			t.Fatalf("Answer = %q, %v; want a deferral", v, ok)
		}
		if deferredAt.Sub(start) != time.Second {
			t.Fatalf("deferred after %v, want the 1s Wait", deferredAt.Sub(start))
		}
		cancelReq() // the request is answered; its work goes on
		close(release)
		g.Wait() // the follow-up is counted
		select {
		case r := <-got:
			if r != "card" {
				t.Fatalf("follow-up got %q", r)
			}
		default:
			t.Fatal("Wait returned before the follow-up ran")
		}
	})
}

// TestAnswerDropsWhenDeferralFails: when the acknowledgement fails (or
// the request cannot be deferred) there is no follow-up, and the work
// still runs to its end inside the group.
func TestAnswerDropsWhenDeferralFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group
		release := make(chan struct{})
		finished := false
		_, ok := Answer(t.Context(), Deadline{Group: &g, After: fired}, func(context.Context) int {
			<-release
			finished = true
			return 1
		}, func() bool { return false }, func(context.Context, int) { t.Error("followed up after a failed deferral") })
		if ok {
			t.Fatal("Answer reported the work in time")
		}
		close(release)
		g.Wait()
		if !finished {
			t.Fatal("Wait returned before the work ended")
		}
	})
}
