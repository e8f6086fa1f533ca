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
// minute and meetings last at least one: the bot's clock runs 30 times
// faster than real time from just before the first kill slot (speedUp),
// so the 85 s of the bot's clock the kills span (the first reminder 20 s
// before the start, the one-minute window) take under 3 s, with kill
// slots 0.28 s apart, about six restarts long on a quiet machine (the
// report prints both), and the run about 5 s with the build. On a machine
// so loaded that a start of the bot takes more than a third of a slot, the
// clock runs slower from there (pickRate, slowDown), and the run takes
// longer, up to the two minutes it took on the wall clock; -short skips it.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes and runs for about 10 seconds")
	}
	t.Logf("%s build", time.Now().UTC().Format("15:04:05.000"))
	dir := t.TempDir()
	bot := filepath.Join(dir, "bot")
	// go run caches the executables it builds (Go 1.24), go build does
	// not: run it with cp as the "exec" program, which copies the cached
	// binary here instead of relinking it on every run.
	build := exec.Command("go", "run", "-exec", "cp", "github.com/meetbot/meetbot/cmd/bot", bot)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("build bot: %v", err)
	}
	work := filepath.Join(dir, "run")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	keepOnFailure(t, work)
	rep, err := Run(context.Background(), Options{
		Bot: bot, Dir: work, Meetings: 30, Minutes: 1, Kills: 10, Seed: 1, Rate: 30,
		Leads: []time.Duration{20 * time.Second, 10 * time.Second, 0},
		// Each line with the real time, to read against bot.log.
		Logf: func(format string, args ...any) {
			t.Logf("%s "+format, append([]any{time.Now().UTC().Format("15:04:05.000")}, args...)...)
		},
	})
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Log("\n" + rep.String())
	if rep.Kills != 10 || rep.Reminders != 90 {
		t.Errorf("%d kills and %d reminders, want 10 and 90", rep.Kills, rep.Reminders)
	}
	if !rep.OK() {
		t.Errorf("the soak missed the bar")
	}
}

// keepOnFailure copies the run's directory (bot.log, sandbox.log,
// evidence.json, the bbolt file) out of t.TempDir() when the test fails,
// before the temporary directory is removed, and logs where it went: a
// failed soak is read from those files. The cleanup is registered after
// TempDir's, so it runs first.
func keepOnFailure(t *testing.T, work string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		kept, err := os.MkdirTemp("", "meetbot-soak-")
		if err == nil {
			err = os.CopyFS(filepath.Join(kept, "run"), os.DirFS(work))
		}
		if err != nil {
			t.Logf("could not keep the run's logs: %v", err)
			return
		}
		t.Logf("the run's logs and store are kept in %s", filepath.Join(kept, "run"))
	})
}
