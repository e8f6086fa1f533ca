package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/proctest"
	"github.com/meetbot/meetbot/storage/etcd"
)

// Options configure one run.
type Options struct {
	Bot       string        // built bot binary
	Etcd      string        // etcd server binary
	Dir       string        // working directory: data, configs, logs
	Kills     int           // SIGKILLs of the leader
	Terms     int           // SIGTERMs of the leader (graceful handovers)
	LeaderTTL time.Duration // storage.etcd.leader_ttl
	PerMinute int           // meetings starting on each minute of the run
	Settle    time.Duration // how long after the last start to wait for rescues
	Seed      uint64        // for the random kill moments
	Logf      func(format string, args ...any)
}

// Report is what a run measured.
type Report struct {
	KillGaps  []time.Duration // SIGKILL of the leader → first reminder posted by the new one, when reminders were waiting
	KillLeads []time.Duration // SIGKILL of the leader → another replica says it leads (/readyz)
	TermGaps  []time.Duration // SIGTERM of the leader → another replica says it leads (/readyz)
	Acked     int             // schedules answered with a meeting id
	Unacked   int             // schedules that got no answer (their replica was killed)
	Lost      int             // reminders of acknowledged meetings never done, or given up
	Doubled   int             // posts beyond one per reminder recorded as posted
	// Superseded counts reminders done without a post because a later one
	// of the same meeting was due already (meetbot sends only the latest
	// after downtime): each is a reminder that was late by over 10 s.
	Superseded int
	// Late is how late each posted reminder was recorded done (DoneAt-Due).
	Late []time.Duration
	// InDoubt counts the doubled reminders posted by a leader in the last
	// moment before its SIGKILL or SIGTERM: posted (or, on SIGTERM, the
	// post aborted after Slack had it), but not recorded, so the new
	// leader posted again.
	InDoubt int
}

// cluster is everything a run started.
type cluster struct {
	o        Options
	etcdURL  string
	slack    *slackAPI
	slackURL string
	config   string
	listen   []string
	mu       sync.Mutex
	bots     []*proc
	others   []*proc
}

// Run starts etcd, the RealtimeKit sandbox and three bot serve replicas,
// schedules meetings through signed Slack commands spread over the
// replicas, kills and stops the leader as asked, and checks, against the
// jobs stored in etcd, that every acknowledged reminder was posted once.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	c := &cluster{o: o, slack: newSlackAPI()}
	defer c.stopAll()
	slackSrv, err := c.start(ctx)
	if slackSrv != nil {
		defer slackSrv.Close()
	}
	if err != nil {
		return nil, err
	}

	rep := &Report{}
	minutes := (o.Kills+o.Terms+3)/4 + 1 // six bursts a minute; a kill and restart take one or two
	// The first minute that leaves time for the longest lead (50 s) and for
	// scheduling (a few milliseconds a meeting; ten times that is left).
	need := 55*time.Second + time.Duration(o.PerMinute*minutes)*30*time.Millisecond
	first := time.Now().Add(need).Truncate(time.Minute).Add(time.Minute)
	starts := c.scheduleAll(rep, minutes, first)
	rep.Acked = len(starts)
	o.Logf("%d meetings scheduled over %d minutes from %s; %d reminders due", len(starts), minutes, first.Format("15:04"), 6*len(starts))
	if time.Now().After(first.Add(-50 * time.Second)) {
		return nil, errors.New("scheduling took too long: the first reminders were due before it ended")
	}

	rng := rand.New(rand.NewPCG(o.Seed, 11))
	kills := map[string][]time.Time{} // replica → when it was killed or stopped
	burst := first.Add(-50 * time.Second)
	for k := range o.Kills + o.Terms {
		graceful := k >= o.Kills
		offset := strikeOffset(rng, graceful)
		for time.Until(burst.Add(offset)) < 500*time.Millisecond {
			burst = burst.Add(10 * time.Second)
		}
		if !burst.Before(first.Add(time.Duration(minutes-1) * time.Minute)) {
			return nil, errors.New("the run ran out of reminders before the last kill")
		}
		time.Sleep(time.Until(burst.Add(offset)))
		if err := c.strike(ctx, rep, starts, kills, graceful, offset); err != nil {
			return nil, err
		}
	}

	// Wait for the last reminders, and for any claim a killed leader left
	// behind to be rescued (the scheduler's rescue timeout).
	last := first.Add(time.Duration(minutes-1) * time.Minute)
	o.Logf("waiting for the last reminders (due %s) and for rescues of abandoned claims", last.Format("15:04:05"))
	return rep, c.account(ctx, rep, starts, kills, last.Add(o.Settle))
}

// withDefaults fills the options a caller left zero, so a bare Options
// still makes a run that can fail over and rescue.
func (o Options) withDefaults() Options {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.LeaderTTL == 0 {
		o.LeaderTTL = 3 * time.Second
	}
	if o.PerMinute == 0 {
		o.PerMinute = 30
	}
	if o.Settle == 0 {
		o.Settle = 150 * time.Second // the scheduler's rescue timeout is 2 min
	}
	return o
}

// start brings up etcd, the sandbox, the fake Slack API and the three
// replicas. It returns the fake Slack server as soon as it serves, even
// with an error, so the caller can close it; everything else is stopped by
// stopAll.
func (c *cluster) start(ctx context.Context) (*http.Server, error) {
	if err := c.startEtcd(); err != nil {
		return nil, err
	}
	sbAddr, err := proctest.FreeAddr()
	if err != nil {
		return nil, err
	}
	sb, err := c.spawn("sandbox", c.o.Bot, []string{"sandbox", "--listen", sbAddr, "--token", "failover-token"}, nil)
	if err != nil {
		return nil, err
	}
	c.others = append(c.others, sb)
	if err := proctest.WaitHTTP(ctx, "http://"+sbAddr+"/", 0, 30*time.Second, nil); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	slackSrv := &http.Server{Handler: c.slack, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = slackSrv.Serve(sl) }()
	c.slackURL = "http://" + sl.Addr().String()
	if err := c.writeConfig(sbAddr); err != nil {
		return slackSrv, err
	}
	c.bots = make([]*proc, 3)
	for i := range 3 {
		addr, err := proctest.FreeAddr()
		if err != nil {
			return slackSrv, err
		}
		c.listen = append(c.listen, addr)
		if err := c.startBot(ctx, i); err != nil {
			return slackSrv, err
		}
	}
	c.o.Logf("etcd on %s, three replicas on %s", c.etcdURL, strings.Join(c.listen, ", "))
	return slackSrv, nil
}

// scheduleAll schedules PerMinute meetings on each of the minutes from
// first and returns the acknowledged ones by id with their start; a
// schedule without an answer counts as unacked in rep. Meetings start on
// the minute, so reminders are spread instead by their leads: every
// meeting reminds at 50, 40, 30, 20, 10 and 0 s before its start, so
// reminders fall due in bursts every 10 s for the whole run, and each kill
// is aimed at a burst.
func (c *cluster) scheduleAll(rep *Report, minutes int, first time.Time) map[string]time.Time {
	starts := map[string]time.Time{} // acknowledged meeting id → start
	n := 0
	for m := range minutes {
		for range c.o.PerMinute {
			at := first.Add(time.Duration(m) * time.Minute)
			id, err := c.schedule(n, at)
			n++
			if err != nil {
				rep.Unacked++
				continue
			}
			starts[id] = at
		}
	}
	return starts
}

// strikeOffset picks a random moment near a burst: up to 2 s before it (the
// leader sleeps until it; the lease outlives the due time, so the burst
// waits for the new leader) or up to 300 ms into it (the leader is
// claiming, posting and recording). A SIGTERM lands 0-50 ms into a burst,
// while there is work to hand over; its handover is measured on /readyz,
// since the leader may finish the burst before it resigns.
func strikeOffset(rng *rand.Rand, graceful bool) time.Duration {
	offset := time.Duration(rng.IntN(2300)-2000) * time.Millisecond
	if graceful {
		offset = time.Duration(rng.IntN(50)) * time.Millisecond
	}
	return offset
}

// strike kills (or, when graceful, stops) the current leader, measures how
// long until another replica leads and, for a kill, until it posts, then
// restarts the struck replica so the next strike again has three. offset
// is only logged: it says where in the burst the strike landed.
func (c *cluster) strike(ctx context.Context, rep *Report, starts map[string]time.Time, kills map[string][]time.Time, graceful bool, offset time.Duration) error {
	leader, err := c.leader(ctx)
	if err != nil {
		return err
	}
	name := "r" + strconv.Itoa(leader)
	sig := syscall.SIGKILL
	if graceful {
		sig = syscall.SIGTERM
	}
	t0 := time.Now()
	if err := c.bots[leader].cmd.Process.Signal(sig); err != nil {
		return err
	}
	kills[name] = append(kills[name], t0)
	next, leads, err := c.nextLeader(ctx, leader)
	if err != nil {
		return fmt.Errorf("%s of leader %s: %w", sig, name, err)
	}
	if graceful {
		rep.TermGaps = append(rep.TermGaps, leads.Sub(t0))
		c.o.Logf("%-7s leader %s: r%d leads %v later", sig, name, next, leads.Sub(t0).Round(time.Millisecond))
	} else {
		p, ok := c.slack.firstPostAfter(t0, name, 30*time.Second)
		if !ok {
			return fmt.Errorf("%s of leader %s: no other replica posted a reminder within 30 s", sig, name)
		}
		rep.KillLeads = append(rep.KillLeads, leads.Sub(t0))
		// The first post measures the failover only when reminders were
		// left waiting at the kill; when the dead leader had posted all
		// that was due, it measures the wait for the next burst.
		waiting := c.slack.waitingAt(starts, t0)
		note := "posts"
		if waiting > 0 {
			rep.KillGaps = append(rep.KillGaps, p.at.Sub(t0))
		} else {
			note = "nothing was waiting; next burst posted"
		}
		c.o.Logf("%-7s leader %s %+5dms from a burst: r%d leads %v later; %s %v later", sig, name, offset.Milliseconds(), next,
			leads.Sub(t0).Round(time.Millisecond), note, p.at.Sub(t0).Round(time.Millisecond))
	}
	<-c.bots[leader].done
	return c.startBot(ctx, leader)
}

// account reads every acknowledged meeting's reminder jobs from etcd (the
// ground truth: due, done, post reference) once they are all done or when
// until passes, and compares them with the posts the fake Slack received.
func (c *cluster) account(ctx context.Context, rep *Report, starts map[string]time.Time, kills map[string][]time.Time, until time.Time) error {
	db, err := etcd.Open(ctx, etcd.Options{Endpoints: []string{c.etcdURL}, Prefix: "/failover/", Logger: zerolog.Nop()})
	if err != nil {
		return err
	}
	defer db.Close()
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	var jobs map[string][]core.DueJob
	for {
		jobs = map[string][]core.DueJob{}
		pending := 0
		for id := range starts {
			all, err := db.FindJobs(ctx, ws, id)
			if err != nil {
				return err
			}
			for _, j := range all {
				if j.Kind != core.JobRemind {
					continue
				}
				jobs[id] = append(jobs[id], j)
				if j.DoneAt.IsZero() {
					pending++
				}
			}
		}
		if pending == 0 || time.Now().After(until) {
			break
		}
		time.Sleep(time.Second)
	}
	for id := range starts {
		posted := 0
		for _, j := range jobs[id] {
			switch {
			case j.DoneAt.IsZero():
				rep.Lost++
			case j.Failed:
				rep.Lost++
			case j.PostRef == "":
				rep.Superseded++
			default:
				posted++
				late := j.DoneAt.Sub(j.Due)
				rep.Late = append(rep.Late, late)
			}
		}
		if len(jobs[id]) < 6 {
			rep.Lost += 6 - len(jobs[id])
		}
		posts := c.slack.postsOf(id)
		if extra := len(posts) - posted; extra > 0 {
			rep.Doubled += extra
			if explained(posts, kills) {
				rep.InDoubt += extra
			}
		}
	}
	return nil
}

// explained reports whether one of posts came from a replica in the last
// 2 s before it was killed or stopped: a post that may not have been
// recorded, so another leader posting the same reminder again is the
// at-least-once delivery the fence implies, not a second leader.
func explained(posts []post, kills map[string][]time.Time) bool {
	for _, p := range posts {
		for _, kt := range kills[p.replica] {
			if !kt.Before(p.at) && kt.Sub(p.at) < 2*time.Second {
				return true
			}
		}
	}
	return false
}

// schedule sends /meet schedule for meeting n starting at at, to the next
// replica in turn (a load balancer without stickiness), moving on when one
// does not answer, and returns the meeting id of the answer.
func (c *cluster) schedule(n int, at time.Time) (string, error) {
	var last error
	for try := range 3 {
		id, err := c.command((n+try)%3, n, "schedule Sync "+strconv.Itoa(n)+" "+at.UTC().Format("2006-01-02 15:04"))
		if err == nil && id != "" {
			return id, nil
		}
		last = err
	}
	return "", fmt.Errorf("schedule %d: %v", n, last)
}

// writeConfig writes the one config every replica runs; only the listen
// address and the replica id differ, through the environment.
func (c *cluster) writeConfig(sandboxAddr string) error {
	cfg := fmt.Sprintf(`# Written by cmd/failover: three replicas share it.
http:
  listen: "${MEETBOT_LISTEN}"
storage:
  driver: etcd
  replica_id: "${MEETBOT_REPLICA}"
  etcd:
    endpoints: [%q]
    prefix: /failover/
    leader_ttl: %s
realtimekit:
  sandbox: false
  base_url: http://%s/client/v4/
  account_id: failover-account
  app_id: failover-app
  api_token: failover-token
slack:
  signing_secret: failover-signing-secret
  bot_token: xoxb-failover
  api_url: %s/${MEETBOT_REPLICA}/api/
meetings:
  early_join: 0s
  grace: 0s
  reminders: [50s, 40s, 30s, 20s, 10s, 0s]
log:
  level: info
  format: json
`, c.etcdURL, c.o.LeaderTTL, sandboxAddr, c.slackURL)
	c.config = filepath.Join(c.o.Dir, "meetbot.yaml")
	return os.WriteFile(c.config, []byte(cfg), 0o600)
}

var scheduledRe = regexp.MustCompile(`as meeting (\d+)`)

// command sends one signed /meet command to replica i and returns the
// meeting id of its answer, if it names one.
func (c *cluster) command(i, n int, text string) (string, error) {
	raw, err := proctest.Command{Addr: c.listen[i], Secret: "failover-signing-secret", Domain: "failover", Channel: n, Text: text,
		ResponseURL: "https://hooks.slack.com/commands/T1/" + strconv.Itoa(n) + "/x"}.Send()
	if err != nil {
		return "", fmt.Errorf("replica %d: %w", i, err)
	}
	if m := scheduledRe.FindSubmatch(raw); m != nil {
		return string(m[1]), nil
	}
	return "", nil // answered, but without an id (still working: the answer went to response_url)
}

// summary renders min/median/max of ds.
func summary(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("min %v, median %v, max %v (n=%d)", r(s[0]), r(s[len(s)/2]), r(s[len(s)-1]), len(s))
}
