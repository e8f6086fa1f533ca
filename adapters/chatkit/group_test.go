package chatkit

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestGroupWaitsForWorkStartedDuringWait: Wait returns only once all
// counted work ended, including work started while it was waiting (a
// request arriving during shutdown), and that start does not panic.
func TestGroupWaitsForWorkStartedDuringWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group
		release := make(chan struct{})
		var ran atomic.Int32
		g.Go(func() { <-release; ran.Add(1) })
		waited := make(chan struct{})
		go func() { g.Wait(); close(waited) }()
		synctest.Wait()
		g.Go(func() { <-release; ran.Add(1) })
		synctest.Wait()
		select {
		case <-waited:
			t.Fatal("Wait returned while work was running")
		default:
		}
		close(release)
		<-waited
		if ran.Load() != 2 {
			t.Fatalf("Wait returned after %d of 2 pieces of work", ran.Load())
		}
		g.Wait() // idle: returns at once
	})
}

// TestGroupDrainRefusesNewRequests: once Drain begins, Enter refuses, work
// already owed (Go) still runs and is waited for, and a Drain whose
// context ends first says so.
func TestGroupDrainRefusesNewRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var g Group
		leave, ok := g.Enter()
		if !ok {
			t.Fatal("Enter refused before any Drain")
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := g.Drain(ctx); err != context.DeadlineExceeded {
			t.Fatalf("Drain with a request still in = %v, want the deadline", err)
		}
		if _, ok := g.Enter(); ok {
			t.Fatal("Enter accepted a request while draining")
		}
		followed := make(chan struct{})
		g.Go(func() { close(followed) }) // owed by the request inside
		<-followed
		leave()
		leave() // a second call counts nothing out twice
		if err := g.Drain(t.Context()); err != nil {
			t.Fatalf("Drain when idle = %v", err)
		}
		var other Group
		other.Go(func() {})
		other.Wait()
		if _, ok := other.Enter(); !ok {
			t.Fatal("Wait made the group refuse requests; only Drain may")
		}
	})
}
