package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/meetbot/meetbot/internal/proctest"
)

// Options configure one soak run.
type Options struct {
	Bot      string          // the built bot binary
	Dir      string          // working directory: config, data, logs
	Meetings int             // meetings to schedule; each has len(Leads) reminders
	Leads    []time.Duration // reminder leads of every meeting (meetings.reminders)
	Minutes  int             // minutes the starts are spread over
	Kills    int             // SIGKILLs of the bot, at random moments
	Seed     uint64          // of the kill moments
	// Rate is how much faster than real time the bot's clock may run while
	// it is killed (MEETBOT_CLOCK); 0 or 1 is real time. See pickRate and
	// speedUp.
	Rate float64
	Logf func(format string, args ...any)
}

// restartBudget is the real time a restart of the bot is given before the
// first kill slot on a faster clock (speedUp). A slower restart only makes
// the first reminders a little late.
const restartBudget = time.Second

// slotStarts is how many times as long as a start of the bot a kill slot
// lasts at least in real time (pickRate, slowDown).
const slotStarts = 5

// minRate is the slowest faster clock slowDown goes to.
const minRate = 1.2

// Credentials of the run's fakes; nothing real.
const (
	signingSecret = "soak-signing-secret"
	apiToken      = "soak-token"
)

// harness is everything one run started.
type harness struct {
	o           Options
	slack       *slackAPI
	slackAddr   string
	sandboxAddr string
	listen      string
	config      string
	dbPath      string
	sandbox     *proc
	bot         *proc
	// tl is the bot's clock: the wall clock until speedUp anchors the
	// faster one, at rate (pickRate), slower from a life on if slowDown
	// says so.
	tl   timeline
	rate float64
	// firstStart is how long the bot's first start took (real time).
	firstStart time.Duration
	// life numbers the bot's lives (starts), from 0; each has its own
	// slack.api_url (/life<n>/api/), so every post says which life sent it.
	life int
	// kills are the SIGKILLs, on the bot's clock; restarts how long each
	// restart took after its kill (real time).
	kills    []kill
	restarts []time.Duration
}

// kill is one SIGKILL: the life it ended, and when it was sent.
type kill struct {
	Life int       `json:"life"`
	At   time.Time `json:"at"`
}

// scheduledRe finds the meeting id in the answer to /meet schedule.
var scheduledRe = regexp.MustCompile(`as meeting (\d+)`)

// Run starts the sandbox, a fake Slack API and `bot serve` on a bbolt file,
// schedules Options.Meetings meetings through signed slash commands with
// their starts spread over Options.Minutes, then (on a faster clock when
// Options.Rate is above 1, see speedUp) SIGKILLs the bot Options.Kills
// times at random moments while the reminders fall due and the rooms open
// and close, restarting it each time. When the last window has closed it
// stops the bot and accounts for every reminder and every room against the
// bbolt file, the fake Slack's posts and the sandbox, all on the bot's
// clock.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	h := &harness{o: o, slack: newSlackAPI(), tl: wallClock}
	defer func() {
		h.bot.stop(15 * time.Second)
		h.sandbox.stop(5 * time.Second)
	}()
	srv, err := h.start(ctx)
	if srv != nil {
		defer srv.Close()
	}
	if err != nil {
		return nil, err
	}
	h.rate = h.pickRate()
	rep := &Report{Meetings: o.Meetings, Leads: len(o.Leads)}
	first, starts, err := h.scheduleAll(rep)
	if err != nil {
		return nil, err
	}
	last := first.Add(time.Duration(o.Minutes-1) * time.Minute)
	// The last window closes a minute after the last start (meetings last
	// a minute, with no early join and no grace): kills go on until then.
	end := last.Add(time.Minute)
	from := first.Add(-o.Leads[0] - 5*time.Second)
	if h.rate > 1 {
		if err := h.speedUp(ctx, from); err != nil {
			return nil, err
		}
	}
	o.Logf("%d meetings acknowledged, starting %s to %s (bot's clock, %gx): %d reminders; %d SIGKILLs until %s",
		len(starts), first.Format("15:04:05"), last.Format("15:04:05"), h.rate, len(starts)*len(o.Leads), o.Kills, end.Format("15:04:05"))
	rep.Slot = end.Sub(from) / time.Duration(o.Kills)
	if err := h.killLoop(ctx, from, end); err != nil {
		return nil, err
	}
	// Let the last life of the bot close the last rooms, then stop it
	// (gracefully: the close jobs running are recorded) so the bbolt file
	// can be read. It gets a minute on its clock and at least one of real
	// time: a loaded machine makes the run longer, not failed.
	limit := h.tl.real(end.Add(time.Minute))
	if real := h.tl.real(end).Add(time.Minute); real.After(limit) {
		limit = real
	}
	if err := h.waitClosed(ctx, rep.Acked, limit); err != nil {
		o.Logf("waiting for the last rooms to close: %v", err)
	}
	h.bot.stop(15 * time.Second)
	rep.Kills, rep.Restarts = len(h.kills), h.restarts
	rep.Rates = []float64{1}
	for _, s := range h.tl.segs {
		rep.Rates = append(rep.Rates, s.rate)
	}
	if err := h.writeEvidence(starts); err != nil {
		return nil, err
	}
	return rep, h.account(ctx, rep, starts)
}

// writeEvidence keeps what the accounting reads besides the bbolt file
// (every reminder post and the life that sent it, every kill and the life
// it ended, every meeting's start, on the bot's clock, and that clock) in
// Dir/evidence.json, so a run's duplicates can be
// audited afterwards.
func (h *harness) writeEvidence(starts map[string]time.Time) error {
	type postJSON struct {
		Life    int       `json:"life"`
		Meeting string    `json:"meeting"`
		TS      string    `json:"ts"`
		At      time.Time `json:"at"`
	}
	type segmentJSON struct {
		From  time.Time `json:"from"` // real; before the first, the wall clock
		Epoch time.Time `json:"epoch"`
		Rate  float64   `json:"rate"`
	}
	var ev struct {
		Clock  []segmentJSON        `json:"clock"`
		Starts map[string]time.Time `json:"starts"`
		Kills  []kill               `json:"kills"`
		Posts  []postJSON           `json:"posts"`
	}
	ev.Starts, ev.Kills = starts, h.kills
	for _, s := range h.tl.segs {
		ev.Clock = append(ev.Clock, segmentJSON{From: s.from, Epoch: s.epoch, Rate: s.rate})
	}
	for _, p := range h.posts() {
		ev.Posts = append(ev.Posts, postJSON{Life: p.life, Meeting: p.meeting, TS: p.ts, At: p.at})
	}
	b, err := json.MarshalIndent(&ev, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(h.o.Dir, "evidence.json"), b, 0o600)
}

// withDefaults fills the options a caller left zero: the full soak.
func (o Options) withDefaults() Options {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Meetings == 0 {
		o.Meetings = 200
	}
	if len(o.Leads) == 0 {
		o.Leads = []time.Duration{40 * time.Second, 30 * time.Second, 20 * time.Second, 10 * time.Second, 0}
	}
	if o.Minutes == 0 {
		o.Minutes = 4
	}
	if o.Kills == 0 {
		o.Kills = 100
	}
	if o.Rate < 1 {
		o.Rate = 1
	}
	return o
}

// start brings up the sandbox, the fake Slack API and the bot. It returns
// the fake Slack server as soon as it serves, even with an error, so the
// caller can close it.
func (h *harness) start(ctx context.Context) (*http.Server, error) {
	var err error
	if h.sandboxAddr, err = proctest.FreeAddr(); err != nil {
		return nil, err
	}
	if h.sandbox, err = h.spawn("sandbox", nil, h.o.Bot, "sandbox", "--listen", h.sandboxAddr, "--token", apiToken); err != nil {
		return nil, err
	}
	if err := proctest.WaitHTTP(ctx, "http://"+h.sandboxAddr+"/", 0, 30*time.Second, h.sandbox.done); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: h.slack, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	h.slackAddr = ln.Addr().String()
	if h.listen, err = proctest.FreeAddr(); err != nil {
		return srv, err
	}
	began := time.Now()
	err = h.startBot(ctx)
	h.firstStart = time.Since(began)
	return srv, err
}

// writeConfig writes the config of the bot's next life: bbolt, the
// external sandbox, the fake Slack API (under the life's own path),
// one-minute windows without early join or grace, and the run's reminder
// leads.
func (h *harness) writeConfig() error {
	leads := make([]string, len(h.o.Leads))
	for i, l := range h.o.Leads {
		leads[i] = l.String()
	}
	h.dbPath = filepath.Join(h.o.Dir, "data", "meetbot.db")
	cfg := fmt.Sprintf(`# Written by cmd/soak.
http:
  listen: %q
storage:
  driver: bolt
  bolt:
    path: %q
realtimekit:
  sandbox: false
  base_url: http://%s/client/v4/
  account_id: soak-account
  app_id: soak-app
  api_token: %s
slack:
  signing_secret: %s
  bot_token: xoxb-soak
  api_url: http://%s/life%d/api/
meetings:
  early_join: 0s
  grace: 0s
  reminders: [%s]
log:
  level: info
  format: json
`, h.listen, h.dbPath, h.sandboxAddr, apiToken, signingSecret, h.slackAddr, h.life, strings.Join(leads, ", "))
	h.config = filepath.Join(h.o.Dir, "meetbot.yaml")
	return os.WriteFile(h.config, []byte(cfg), 0o600)
}

// scheduleAll schedules the meetings, their starts spread evenly over the
// minutes from the first minute boundary that leaves time for scheduling
// and the longest lead, and returns that first start and the acknowledged
// meetings by id with their start.
func (h *harness) scheduleAll(rep *Report) (time.Time, map[string]time.Time, error) {
	perMinute := (h.o.Meetings + h.o.Minutes - 1) / h.o.Minutes
	// Scheduling takes a few milliseconds a meeting; leave ten times that.
	need := h.o.Leads[0] + 5*time.Second + time.Duration(h.o.Meetings)*30*time.Millisecond
	if h.rate > 1 {
		// The wait is skipped (speedUp): leave the restart onto the
		// faster clock, and the graceful stop before it, room too.
		need += time.Duration(float64(restartBudget)*h.rate) + 30*time.Second
	}
	first := h.tl.now().Add(need).Truncate(time.Minute).Add(time.Minute)
	starts := map[string]time.Time{}
	for n := range h.o.Meetings {
		at := first.Add(time.Duration(n/perMinute) * time.Minute)
		text, err := h.command(n, "schedule Soak "+strconv.Itoa(n)+" "+at.UTC().Format("2006-01-02 15:04")+" for 1m")
		m := scheduledRe.FindStringSubmatch(text)
		if err != nil || m == nil {
			rep.Unacked++
			h.o.Logf("schedule %d not acknowledged: %v %.200s", n, err, text)
			continue
		}
		starts[m[1]] = at
	}
	if h.tl.now().After(first.Add(-h.o.Leads[0])) {
		return first, nil, errors.New("scheduling took too long: the first reminders were due before it ended")
	}
	rep.Acked = len(starts)
	return first, starts, nil
}

// pickRate chooses the bot's clock rate: Options.Rate, lowered (to a
// tenth) so that a kill slot still lasts slotStarts times as long, in real
// time, as the bot's first start took; below 1.5, real time. On a slow
// machine the lives between kills would otherwise be too short to post
// and record anything, and the soak would measure the machine, not the
// bot: there it takes longer instead.
func (h *harness) pickRate() float64 {
	span := h.o.Leads[0] + 5*time.Second + time.Duration(h.o.Minutes)*time.Minute // from to end in Run
	slot := span / time.Duration(h.o.Kills)
	r := math.Floor(min(h.o.Rate, float64(slot)/float64(slotStarts*h.firstStart))*10) / 10
	if r < 1.5 {
		r = 1
	}
	if r < h.o.Rate {
		h.o.Logf("the bot's first start took %v: its clock runs %gx, not %gx, so a kill slot (%v on its clock) lasts %d starts", h.firstStart.Round(time.Millisecond), r, h.o.Rate, slot, slotStarts)
	}
	return r
}

// speedUp puts the bot on the faster clock: it stops the life that made
// the schedule (gracefully, on the wall clock) and starts the first life
// the soak kills with MEETBOT_CLOCK anchored so that the bot's clock reads
// restartBudget of real time (at the rate) before from, the first kill
// slot. The clock steps forward while the bot is down, as after an NTP step
// (no job falls due in the step: the first is a reminder after from), which
// replaces the wait for the next minute boundary; from then on every life
// shares the one timeline.
func (h *harness) speedUp(ctx context.Context, from time.Time) error {
	h.bot.stop(15 * time.Second)
	now := time.Now()
	at := from.Add(-time.Duration(float64(restartBudget) * h.rate))
	if at.Before(now) {
		at = now // scheduling was slow: no step, the clock only speeds up
	}
	h.tl = h.tl.then(h.rate, now, at)
	h.o.Logf("bot clock: %s (reads %s now, first kill slot at %s)", h.tl.env()[0], h.tl.now().Format("15:04:05.000"), from.Format("15:04:05"))
	if err := h.startBot(ctx); err != nil {
		return fmt.Errorf("restart on the faster clock: %w", err)
	}
	return nil
}

// slowDown lowers the bot's clock rate from the next life on when the
// last restart took more than a slotStarts-th of a kill slot (slot, on the
// bot's clock) in real time: the machine got loaded, and lives must stay
// long enough to post and record between kills, or the soak measures the
// machine, not the bot. The run takes longer instead. It is called while
// no bot runs.
func (h *harness) slowDown(slot time.Duration) {
	if len(h.restarts) == 0 {
		return
	}
	d, r := h.restarts[len(h.restarts)-1], h.tl.rate()
	if r <= minRate || float64(d)*slotStarts*r <= float64(slot) {
		return
	}
	slower := max(minRate, math.Floor(float64(slot)/float64(slotStarts*d)*10)/10)
	if slower >= r {
		return
	}
	now := time.Now()
	h.tl = h.tl.then(slower, now, h.tl.bot(now))
	h.o.Logf("a restart took %v: the bot's clock runs %gx from life %d on, not %gx, so a kill slot (%v on its clock) lasts %d restarts", d.Round(time.Millisecond), slower, h.life+1, r, slot, slotStarts)
}

// posts returns the fake Slack's reminder posts with their moments on the
// bot's clock.
func (h *harness) posts() []post {
	ps := h.slack.reminders()
	for i := range ps {
		ps[i].at = h.tl.bot(ps[i].at)
	}
	return ps
}

// killLoop SIGKILLs the bot Kills times at random moments between from and
// until on the bot's clock (slots of equal length, a uniform moment in
// each) and restarts it each time. A slot shorter than a restart just
// moves the next kill later.
func (h *harness) killLoop(ctx context.Context, from, until time.Time) error {
	rng := rand.New(rand.NewPCG(h.o.Seed, 15))
	slot := until.Sub(from) / time.Duration(h.o.Kills)
	for k := range h.o.Kills {
		at := from.Add(time.Duration(k)*slot + time.Duration(rng.Int64N(int64(slot))))
		if d := time.Until(h.tl.real(at)); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		if err := h.bot.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			return fmt.Errorf("kill %d: %w", k, err)
		}
		killed := time.Now()
		h.kills = append(h.kills, kill{Life: h.life, At: h.tl.bot(killed)})
		<-h.bot.done
		h.slowDown(slot)
		if err := h.startBot(ctx); err != nil {
			return fmt.Errorf("restart after kill %d: %w", k, err)
		}
		h.restarts = append(h.restarts, time.Since(killed))
	}
	return nil
}
