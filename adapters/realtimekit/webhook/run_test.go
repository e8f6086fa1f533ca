package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// notifier is a RoomEventHandler that signals each event.
type notifier struct{ ch chan core.RoomEvent }

func (n notifier) HandleRoomEvent(_ context.Context, ev core.RoomEvent) error {
	n.ch <- ev
	return nil
}

// Ensure Run hands over what was stored before it started (a restart) at
// once, then each new delivery as it is stored, and stops with its
// context.
func TestRunHandsOverAfterTheAnswer(t *testing.T) {
	r := newRig(t)
	r.want("before Run", r.post(signed(t, testKeys()[0], payload(t, "started"), "u-1")), 202, r.pending(), 1)
	n := notifier{ch: make(chan core.RoomEvent, 4)}
	rc := r.receiverWith(n)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- rc.Run(ctx) }()
	wait := func(kind core.RoomEventKind) {
		t.Helper()
		select {
		case ev := <-n.ch:
			if ev.Kind != kind {
				t.Fatalf("got %s, want %s", ev.Kind, kind)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s handed over", kind)
		}
	}
	wait(core.RoomStarted)
	r.rc = rc
	r.want("while running", r.post(signed(t, testKeys()[0], payload(t, "joined"), "u-2")), 202, -1, -1)
	wait(core.ParticipantJoined)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run returned %v", err)
	}
}
