package slack

import "testing"

// Ensure Wait waits for every counted goroutine, and that work may start
// while another goroutine is in Wait (a request arriving during shutdown)
// without a panic, and is waited for too.
func TestWorkGroup(t *testing.T) {
	var g workGroup
	release := make(chan struct{})
	started := make(chan struct{})
	var ran [2]bool
	g.Go(func() { close(started); <-release; ran[0] = true })
	<-started
	waited := make(chan struct{})
	go func() { g.Wait(); close(waited) }()
	g.Go(func() { <-release; ran[1] = true })
	select {
	case <-waited:
		t.Fatal("Wait returned while work was running")
	default:
	}
	close(release)
	<-waited
	if !ran[0] || !ran[1] {
		t.Fatalf("Wait returned before the work finished: %v", ran)
	}
	g.Wait() // nothing running: returns at once
}
