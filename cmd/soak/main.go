// Command soak is meetbot's crash soak: one real `bot serve` process on a
// bbolt file, with the RealtimeKit sandbox (`bot sandbox`) as its video
// service and a fake Slack Web API that records every reminder post, is
// SIGKILLed at random moments while its reminders fall due and its rooms
// are made, opened and closed, and restarted each time. It then counts:
//
//   - every reminder posted exactly once, or twice where the process died
//     between posting and recording (a SIGKILL came between the unrecorded
//     post and the recorded one), duplicates counted and explained; none
//     lost;
//   - every meeting with one room upstream and no orphan rooms (the room
//     job's two-phase create under kills), none left open after its window.
//
// The full run: 200 meetings with five reminders each (40, 30, 20, 10 and
// 0 s before the start), 1,000 reminders over four minutes, 100 kills:
//
//	go build -o /tmp/bot ./cmd/bot
//	go run ./cmd/soak -bot /tmp/bot
//
// It prints the counts and exits 1 when the run missed the bar (see
// Report.OK). -rate N lets the bot's clock run up to N times faster than
// real time while it is killed (cmd/bot's MEETBOT_CLOCK; see speedUp),
// lowered wherever a kill slot would last less than three starts of the
// bot (pickRate, slowDown): with 100 kills over 285 s that is 2.85 s of its
// clock, so on two shared cores -rate 4 ran at 2.6x, then 1.8x and 1.2x, in
// 3.8 minutes instead of 6. The default, 1, is real time. The short version
// runs as TestSoak in this package, at up to 30x.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	o := Options{}
	flag.StringVar(&o.Bot, "bot", "", "the built bot binary (go build -o /tmp/bot ./cmd/bot)")
	flag.IntVar(&o.Meetings, "meetings", 200, "meetings to schedule (five reminders each)")
	flag.IntVar(&o.Minutes, "minutes", 4, "minutes their starts are spread over")
	flag.IntVar(&o.Kills, "kills", 100, "SIGKILLs of the bot, at random moments")
	flag.Float64Var(&o.Rate, "rate", 1, "how many times faster than real time the bot's clock may run while it is killed (MEETBOT_CLOCK); 1 is real time")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the kill moments")
	keep := flag.Bool("keep", false, "keep the working directory (logs, config, data)")
	flag.Parse()
	o.Seed = *seed
	if o.Bot == "" {
		fmt.Fprintln(os.Stderr, "soak: -bot is required")
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "meetbot-soak-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	o.Dir = dir
	o.Logf = func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("working in %s (seed %d)\n", dir, o.Seed)
	rep, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		fmt.Fprintln(os.Stderr, "logs are kept in", dir)
		os.Exit(1)
	}
	fmt.Print(rep.String())
	if !rep.OK() {
		fmt.Fprintln(os.Stderr, "soak: the run missed the bar; logs are kept in", dir)
		os.Exit(1)
	}
	if !*keep {
		_ = os.RemoveAll(dir)
	}
}
