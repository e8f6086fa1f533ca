package scheduler_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestLateYesProvisioned replays issue 10's item 22: a meeting in 4
// minutes, reminders at 2 minutes and at the start, joining from 1 minute
// before. 30 people say yes before the lead time, 30 more (and 5 invitees)
// after the provisioning job ran but before the window opens. At the
// window's opening nobody who answered before it needs an add-participant
// call: the late answers were provisioned at once, by a background job.
func TestLateYesProvisioned(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testenv.Options{Budget: 1200, Config: core.Config{
		EarlyJoin: time.Minute, Reminders: []time.Duration{2 * time.Minute, 0}}})
	ctx := context.Background()
	ana := testenv.Actor("ana")
	start := h.env.Time.Now().Add(4 * time.Minute)
	m := h.env.Schedule(ana, "All hands", start, 30*time.Minute)
	rsvp := func(prefix string) {
		t.Helper()
		for i := range 30 {
			if _, err := h.env.Service.RSVP(ctx, testenv.Actor(fmt.Sprintf("%s%02d", prefix, i)), m.ID, core.RSVPYes); err != nil {
				t.Fatal(err)
			}
		}
	}
	rsvp("early")
	h.stepTo(t, start.Add(-2*time.Minute)) // the provisioning job runs
	h.env.Sandbox.ResetCalls()
	h.env.Clock.Set(start.Add(-90 * time.Second))
	rsvp("late")
	var invited []string
	for i := range 5 {
		invited = append(invited, fmt.Sprintf("inv%d", i))
	}
	if _, err := h.env.Service.Invite(ctx, ana, m.ID, invited); err != nil {
		t.Fatal(err)
	}
	opens := start.Add(-time.Minute)
	h.stepTo(t, opens)
	if n := h.env.Sandbox.Calls(sandbox.OpAddParticipant); n != 35 {
		t.Errorf("after the lead time began, provisioning made %d add-participant calls, want 35", n)
	}
	count := func(users []string) int {
		t.Helper()
		h.env.Sandbox.ResetCalls()
		for _, u := range users {
			if _, err := h.env.Service.Join(ctx, testenv.Actor(u), m.ID); err != nil {
				t.Fatal(err)
			}
		}
		return h.env.Sandbox.Calls(sandbox.OpAddParticipant)
	}
	names := func(prefix string) []string {
		var out []string
		for i := range 30 {
			out = append(out, fmt.Sprintf("%s%02d", prefix, i))
		}
		return out
	}
	early, late, inv := count(names("early")), count(names("late")), count(invited)
	t.Logf("add-participant calls at the window's opening: first 30 joins %d, last 30 joins %d, 5 late invitees %d", early, late, inv)
	if early != 0 || late != 0 || inv != 0 {
		t.Fatalf("joins at the window's opening made add-participant calls: early %d, late %d, invitees %d", early, late, inv)
	}
}
