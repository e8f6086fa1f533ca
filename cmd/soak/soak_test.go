package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestSoak is the short crash soak: a real `bot serve` on a bbolt file, 30
// meetings with three reminders each, all starting on one minute, SIGKILLed 10 times
// at random moments and restarted. Nothing may be lost, a reminder may be
// posted twice only when its first post came right before a kill, and
// every meeting ends with exactly its one room, closed. Starts are on a
// minute and meetings last at least one, so it takes the wait for the
// first minute boundary 26 s away or more, the minute, and a few seconds
// (1.5 to 2.5 minutes); -short skips it.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes and runs for two to three minutes")
	}
	dir := t.TempDir()
	bot := filepath.Join(dir, "bot")
	build := exec.Command("go", "build", "-o", bot, "github.com/meetbot/meetbot/cmd/bot")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build bot: %v", err)
	}
	work := filepath.Join(dir, "run")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Options{
		Bot: bot, Dir: work, Meetings: 30, Minutes: 1, Kills: 10, Seed: 1,
		Leads: []time.Duration{20 * time.Second, 10 * time.Second, 0},
		Logf:  t.Logf,
	})
	if err != nil {
		t.Fatalf("%v (logs in %s)", err, work)
	}
	t.Log("\n" + rep.String())
	if rep.Kills != 10 || rep.Reminders != 90 {
		t.Errorf("%d kills and %d reminders, want 10 and 90", rep.Kills, rep.Reminders)
	}
	if !rep.OK() {
		t.Errorf("the soak missed the bar (logs in %s)", work)
	}
}
