package core

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestCoalescerPacesAndLandsTheLast pokes one key 200 times within a
// second (fake time): flushes are at least CardEvery apart, there are at
// most two of them (after CardSettle, and once the wait is over), and the last one
// sees the last state.
func TestCoalescerPacesAndLandsTheLast(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu    sync.Mutex
			state int
			seen  []int
			at    []time.Time
		)
		c := newCoalescer(CardEvery, CardSettle, func(meetingRef) {
			mu.Lock()
			defer mu.Unlock()
			seen, at = append(seen, state), append(at, time.Now())
		})
		key := meetingRef{ws: WorkspaceKey{Platform: PlatformSlack, ID: "T"}, id: "1"}
		start := time.Now()
		for i := 1; i <= 200; i++ {
			mu.Lock()
			state = i
			mu.Unlock()
			c.poke(key)
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(2 * CardEvery)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 || len(seen) > 2 {
			t.Fatalf("%d flushes for 200 pokes in a second, want 1 or 2", len(seen))
		}
		for i := 1; i < len(at); i++ {
			if at[i].Sub(at[i-1]) < CardEvery {
				t.Fatalf("flushes %v apart, want at least %v", at[i].Sub(at[i-1]), CardEvery)
			}
		}
		if seen[len(seen)-1] != 200 {
			t.Fatalf("last flush saw state %d, want 200", seen[len(seen)-1])
		}
		if d := at[0].Sub(start); d != CardSettle {
			t.Fatalf("first flush came %v after the first poke, want %v (settle)", d, CardSettle)
		}
	})
}

// TestCoalescerWorkspaceBudget: 30 meetings of one workspace going live
// at once are paced by the workspace's bucket (cardBurst at once, then one
// per cardRefill), and each still lands.
func TestCoalescerWorkspaceBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu sync.Mutex
			at = map[string]time.Time{}
		)
		c := newCoalescer(CardEvery, CardSettle, func(k meetingRef) {
			mu.Lock()
			defer mu.Unlock()
			at[k.id] = time.Now()
		})
		ws := WorkspaceKey{Platform: PlatformSlack, ID: "T"}
		start := time.Now()
		for i := range 30 {
			c.poke(meetingRef{ws: ws, id: string(rune('A' + i))})
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(at) != 30 {
			t.Fatalf("%d of 30 meetings flushed", len(at))
		}
		var late time.Duration
		now := 0
		for _, t := range at {
			if t.Equal(start.Add(CardSettle)) {
				now++
			}
			late = max(late, t.Sub(start))
		}
		if now != cardBurst {
			t.Fatalf("%d flushed at once, want the burst %d", now, cardBurst)
		}
		if want := time.Duration(30-cardBurst)*cardRefill + CardSettle; late < want-time.Millisecond || late > want+time.Second {
			t.Fatalf("the last flush came %v after the pokes, want about %v", late, want)
		}
	})
}

// TestCoalescerDrainLandsPending: at shutdown a redraw held back by the
// pacing (the card redrew a moment ago, and people kept joining) runs at
// once with the latest state, a redraw running then is waited for, and
// pokes after the drain set no timers.
func TestCoalescerDrainLandsPending(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu      sync.Mutex
			state   int
			seen    []int
			release = make(chan struct{})
		)
		slow := meetingRef{ws: WorkspaceKey{Platform: PlatformSlack, ID: "T"}, id: "slow"}
		c := newCoalescer(CardEvery, CardSettle, func(k meetingRef) {
			if k == slow {
				<-release // a redraw stuck on the chat API when shutdown starts
				return
			}
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, state)
		})
		key := meetingRef{ws: WorkspaceKey{Platform: PlatformSlack, ID: "T"}, id: "1"}
		set := func(v int) {
			mu.Lock()
			state = v
			mu.Unlock()
		}
		set(1)
		c.poke(key)
		time.Sleep(CardSettle)
		synctest.Wait() // the first redraw ran, showing 1
		set(2)
		c.poke(key) // paced: due CardEvery after the first
		c.poke(slow)
		time.Sleep(CardSettle)
		synctest.Wait() // slow's redraw is running, blocked
		start := time.Now()
		done := make(chan int)
		go func() { done <- c.drain(context.Background()) }()
		synctest.Wait()
		mu.Lock()
		got := append([]int(nil), seen...)
		mu.Unlock()
		if len(got) != 2 || got[1] != 2 {
			t.Fatalf("after drain started, redraws saw %v, want [1 2]", got)
		}
		select {
		case <-done:
			t.Fatal("drain returned while a redraw was still running")
		default:
		}
		close(release)
		if left := <-done; left != 0 {
			t.Fatalf("drain left %d pending", left)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("drain took %v of fake time; the pending redraw should not wait out its pacing", d)
		}
		set(3)
		c.poke(key)
		time.Sleep(2 * CardEvery)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(seen) != 2 {
			t.Fatalf("a poke after the drain redrew: %v", seen)
		}
	})
}

// TestCoalescerDrainDeadline: a drain whose context ends while a redraw
// hangs returns the number still pending instead of blocking shutdown.
func TestCoalescerDrainDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hang := make(chan struct{})
		c := newCoalescer(CardEvery, CardSettle, func(meetingRef) { <-hang })
		c.poke(meetingRef{ws: WorkspaceKey{Platform: PlatformSlack, ID: "T"}, id: "1"})
		time.Sleep(CardSettle)
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if left := c.drain(ctx); left != 1 {
			t.Fatalf("drain left %d, want 1", left)
		}
		close(hang)
		synctest.Wait()
	})
}
