// Command failover measures meetbot's failover across processes: it starts
// a real etcd server, the RealtimeKit sandbox (bot sandbox) and three
// `bot serve` replicas on one config with storage.driver etcd, a fake
// Slack Web API that records every reminder, and then:
//
//   - sends signed /meet schedule commands to the replicas in turn (a load
//     balancer without stickiness): -per-minute meetings on each of the
//     next few minutes, each reminding 50, 40, 30, 20, 10 and 0 s before
//     its start, so reminders fall due in bursts every 10 s;
//   - SIGKILLs the leader (found through /readyz "leading") at random
//     moments near a burst, -kills times, and measures the time from the
//     kill to the first reminder another replica posts; the killed replica
//     restarts;
//   - SIGTERMs the leader -terms times and measures the handover likewise;
//   - reads the reminder jobs back from etcd and checks each was done and
//     posted once (the fake Slack counts the posts), and how late.
//
// It prints min/median/max of both gaps and of the lateness, the lost and
// doubled counts, and exits 1 when a reminder was lost or doubled.
//
//	go build -o /tmp/etcd ./internal/etcdserver
//	go build -o /tmp/bot ./cmd/bot
//	go run ./cmd/failover -etcd /tmp/etcd -bot /tmp/bot
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
	flag.StringVar(&o.Etcd, "etcd", os.Getenv("MEETBOT_ETCD_BIN"), "the etcd server binary (default $MEETBOT_ETCD_BIN; go build -o /tmp/etcd ./internal/etcdserver)")
	flag.IntVar(&o.Kills, "kills", 20, "how many times to SIGKILL the leader")
	flag.IntVar(&o.Terms, "terms", 5, "how many times to SIGTERM the leader")
	flag.DurationVar(&o.LeaderTTL, "leader-ttl", 3*time.Second, "storage.etcd.leader_ttl of the replicas")
	flag.IntVar(&o.PerMinute, "per-minute", 30, "meetings starting on each minute of the run (6 reminders each)")
	flag.DurationVar(&o.Settle, "settle", 150*time.Second, "how long after the last start to wait for claims a killed leader left (the scheduler rescues them after 2 min)")
	seed := flag.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the random kill moments")
	keep := flag.Bool("keep", false, "keep the working directory (logs, config, data)")
	flag.Parse()
	o.Seed = *seed
	if o.Bot == "" || o.Etcd == "" {
		fmt.Fprintln(os.Stderr, "failover: -bot and -etcd (or MEETBOT_ETCD_BIN) are required")
		os.Exit(2)
	}
	dir, err := os.MkdirTemp("", "meetbot-failover-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		os.Exit(1)
	}
	if !*keep {
		defer os.RemoveAll(dir)
	}
	o.Dir = dir
	o.Logf = func(format string, args ...any) { fmt.Printf(format+"\n", args...) }
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Printf("working in %s (seed %d)\n", dir, o.Seed)
	rep, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "failover:", err)
		fmt.Fprintln(os.Stderr, "logs are kept in", dir)
		os.Exit(1) // before the deferred RemoveAll: the logs stay
	}
	fmt.Print(rep.String(o.LeaderTTL))
	if rep.Lost > 0 || rep.Doubled > 0 {
		os.Exit(1)
	}
}

// String renders the report.
func (r *Report) String(ttl time.Duration) string {
	return fmt.Sprintf(`leader SIGKILL → first reminder by the new leader, of those left waiting (leader_ttl %v): %s
leader SIGKILL → another replica leads (/readyz): %s
leader SIGTERM → another replica leads (/readyz): %s
meetings acknowledged: %d (unanswered: %d), reminders posted: %d
reminder lateness (done - due): %s; over 5 s: %d
reminders lost: %d, doubled: %d (of which posted by a leader just before its SIGKILL or SIGTERM: %d), superseded after more than 10 s late: %d
`, ttl, summary(r.KillGaps), summary(r.KillLeads), summary(r.TermGaps), r.Acked, r.Unacked, len(r.Late), summary(r.Late), r.over(5*time.Second),
		r.Lost, r.Doubled, r.InDoubt, r.Superseded)
}

// over counts reminders later than d.
func (r *Report) over(d time.Duration) int {
	n := 0
	for _, l := range r.Late {
		if l > d {
			n++
		}
	}
	return n
}
