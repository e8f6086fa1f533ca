package slack_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit/webhook"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestSandboxRoomToSlackCard runs the whole loop: people enter and leave
// the sandbox's room (one of them from two devices), the sandbox sends its
// signed webhooks to meetbot's receiver, which stores them and hands them
// to the service, whose coalesced card redraws reach a fake Slack Web API.
// It checks participant joined (the sandbox call) → card updated, for
// the first join (one redraw with meeting.started) and for one right after
// the redraw that showed it. Everything answers in the caller's goroutine,
// so it runs in a synctest bubble and the card pacing's seconds (5 s,
// twice) are fake time.
func TestSandboxRoomToSlackCard(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testSandboxRoomToSlackCard)
}

func testSandboxRoomToSlackCard(t *testing.T) {
	r := newLiveRoom(t, "U2", "U3")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, err := webhook.New(webhook.Options{
		Inbox: r.env.Store, Handler: r.env.Service, Clock: r.env.Time,
		KeyURL:     testenv.SandboxURL + "/.well-known/webhooks.json",
		HTTPClient: &http.Client{Transport: testenv.HandlerTransport{Handler: r.env.Sandbox}},
		Logger:     zerolog.New(r.env.Logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.env.Sandbox.SetWebhookClient(&http.Client{Transport: testenv.HandlerTransport{Handler: rc}})
	if _, err := r.env.Conf.EnsureWebhook(ctx, "http://meet.test"+webhook.Path, webhook.Events); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = rc.Run(ctx) }()
	defer func() { cancel(); <-done }()

	wait := func(want string) (cardUpdate, time.Duration) {
		t.Helper()
		start := time.Now()
		for {
			u := r.waitUpdate(t, 8*time.Second)
			if strings.Contains(u.blocks, want) {
				return u, u.at.Sub(start)
			}
		}
	}
	t0 := time.Now()
	p1, err := r.env.Sandbox.EnterRoomAs(r.m.RoomID, r.custom["U2"])
	if err != nil {
		t.Fatal(err)
	}
	first, _ := wait("Live · 1 in the room")
	firstLat := first.at.Sub(t0)
	t1 := time.Now()
	p2, err := r.env.Sandbox.EnterRoomAs(r.m.RoomID, r.custom["U3"])
	if err != nil {
		t.Fatal(err)
	}
	p3, err := r.env.Sandbox.EnterRoomAs(r.m.RoomID, r.custom["U2"]) // U2's second device
	if err != nil {
		t.Fatal(err)
	}
	second, _ := wait("Live · 2 in the room")
	secondLat := second.at.Sub(t1)
	t.Logf("sandbox join → webhook → card updated: first join %v, join right after a redraw %v (fake time)",
		firstLat, secondLat)
	// meeting.started and the first join land in one redraw, CardSettle
	// after the first of them; the next join waits out CardEvery.
	if firstLat != core.CardSettle || secondLat != core.CardEvery {
		t.Errorf("joins reached the card %v and %v after them, want CardSettle (%v) and CardEvery (%v)",
			firstLat, secondLat, core.CardSettle, core.CardEvery)
	}
	for _, p := range []string{p1, p2, p3} {
		if err := r.env.Sandbox.LeaveRoom(r.m.RoomID, p); err != nil {
			t.Fatal(err)
		}
	}
	wait("2 attended")
}
