package scheduler

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
)

// Runner does one job; *core.Service is the one the bot uses.
type Runner interface {
	RunJob(ctx context.Context, job core.DueJob) (postRef string, err error)
}

// Outcome is what became of one run of a job, reported to Options.OnRun.
type Outcome int

// The outcomes.
const (
	Done Outcome = iota
	Retried
	GivenUp
)

// Options configure a Scheduler. Zero values take the defaults noted.
type Options struct {
	Store  core.DueJobStore
	Runner Runner
	Leader core.Leader
	// Clock says what time it is; nil means core.SystemClock. The loop
	// waits on the standard library's timers, so tests that need the loop
	// to sleep and wake run it inside a testing/synctest bubble, where
	// those timers and core.SystemClock both follow the bubble's fake time.
	Clock  core.Clock
	Logger zerolog.Logger
	// Owner names this process in claims; default host-pid-random.
	Owner string
	// Rescue is how old a claim must be before another run takes it over
	// (the owner crashed between claim and completion). Default
	// DefaultRescue.
	Rescue time.Duration
	// JobTimeout bounds one run of a job. Default Rescue/2, so a job
	// never outlives its claim.
	JobTimeout time.Duration
	// Batch is how many jobs one claim takes. Default 256.
	Batch int
	// Workers run jobs of one batch concurrently. Default 32.
	Workers int
	// MaxAttempts is how many failures a job gets before it is given up.
	// Default 6.
	MaxAttempts int
	// BaseBackoff and MaxBackoff shape retries: base·2^(n-1), capped, with
	// ±50 % jitter so many failing jobs do not retry in lockstep.
	// Defaults 10s and 5m.
	BaseBackoff, MaxBackoff time.Duration
	// Jitter returns a number in [0,1); default math/rand/v2.
	Jitter func() float64
	// OnRun, if set, is called after every run of a job with its outcome:
	// a signal for tests, so they wait on events instead of sleeping.
	OnRun func(job core.DueJob, outcome Outcome, err error)
	// OnLead, if set, runs each time this process gains leadership, with
	// the leadership's context (it ends when leadership does), before the
	// loop claims anything. cmd/bot recovers half-done work there and
	// starts the leader-only maintenance, so with several replicas only
	// the leader does either. It may start goroutines bound to ctx.
	OnLead func(ctx context.Context)
	// Drain is how long jobs already running may go on after Run's context
	// ends (a graceful stop), so a SIGTERM does not cut a reminder off
	// half-sent and leave it to be sent again. Losing leadership still
	// stops them at once. Default 10s.
	Drain time.Duration
	// MaxSleep caps one sleep of the loop; after it the loop looks again
	// at the earliest due job. Default 1m. The loop sleeps on the standard
	// library's timers, which run on the monotonic clock, while due times
	// are read on Clock: a wall-clock step, a machine suspended and
	// resumed, or a Clock that runs faster than real time (cmd/bot's
	// MEETBOT_CLOCK, for soak tests) would otherwise leave it asleep past
	// a due job. A job is then late by at most MaxSleep of real time.
	MaxSleep time.Duration
}

// DefaultRescue is Options.Rescue's default. It is exported because a
// caller that scales the clock (cmd/bot's MEETBOT_CLOCK) keeps the same
// real-time rescue by scaling this.
const DefaultRescue = 2 * time.Minute

// Scheduler is the due-job loop.
type Scheduler struct {
	o       Options
	log     zerolog.Logger
	wake    chan struct{}
	leading atomic.Bool
}

// New returns a Scheduler.
func New(o Options) *Scheduler {
	if o.Clock == nil {
		o.Clock = core.SystemClock
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = host + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(rand.Uint64()%1e6, 10)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Rescue, DefaultRescue)
	def(&o.JobTimeout, o.Rescue/2)
	def(&o.Drain, 10*time.Second)
	def(&o.MaxSleep, time.Minute)
	def(&o.BaseBackoff, 10*time.Second)
	def(&o.MaxBackoff, 5*time.Minute)
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Workers <= 0 {
		o.Workers = 32
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 6
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	return &Scheduler{o: o, log: o.Logger.With().Str("component", "scheduler").Logger(), wake: make(chan struct{}, 1)}
}

// Wake makes a sleeping loop look again at the earliest due job; Service
// calls it after planning. It never blocks.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Leading reports whether this process holds the leadership now, for
// /readyz and logs.
func (s *Scheduler) Leading() bool { return s.leading.Load() }

// Run campaigns for leadership and runs the loop while leading, until ctx
// ends. Losing leadership stops the loop at once; it then campaigns again.
func (s *Scheduler) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		lctx, err := s.o.Leader.Lead(ctx)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			s.log.Warn().Err(err).Msg("leader election failed; retrying")
			if !s.sleep(ctx, s.backoff(1)) {
				break
			}
			continue
		}
		s.log.Info().Str("owner", s.o.Owner).Msg("leading: scheduler running")
		s.leading.Store(true)
		if s.o.OnLead != nil {
			s.o.OnLead(lctx)
		}
		s.lead(ctx, lctx)
		s.leading.Store(false)
		if ctx.Err() == nil {
			s.log.Warn().Str("owner", s.o.Owner).Msg("leadership lost: scheduler paused")
		} else {
			s.log.Info().Str("owner", s.o.Owner).Msg("scheduler stopped")
		}
	}
	return nil
}

// lead is the loop proper: run what is due, then sleep until the next due
// job (at most MaxSleep) or a wake-up. ctx is Run's, lctx the term's (see
// jobContext).
//
// A term starts by taking over every claim at once, whatever its age: a
// claim left by an earlier term (a leader that died or was deposed) can no
// longer be completed by its owner, since completions are fenced on the
// term, so waiting out Rescue would only make its reminder late.
func (s *Scheduler) lead(run, lctx context.Context) {
	jobs, stop := s.jobContext(run, lctx)
	defer stop()
	ctx := lctx
	rescue := time.Duration(0) // the term's first claim retakes every claim
	for ctx.Err() == nil {
		_, err := s.runDue(ctx, jobs, rescue)
		if err == nil {
			rescue = s.o.Rescue
		}
		if err != nil && ctx.Err() == nil {
			s.log.Error().Err(err).Msg("claiming due jobs failed")
			if !s.sleep(ctx, s.backoff(1)) {
				return
			}
			continue
		}
		next, ok, err := s.o.Store.NextDue(ctx, s.o.Rescue)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error().Err(err).Msg("finding the next due job failed")
				s.sleep(ctx, s.backoff(1))
			}
			continue
		}
		var (
			fire  <-chan time.Time
			timer *time.Timer
		)
		if ok {
			d := next.Sub(s.o.Clock.Now())
			if d <= 0 {
				continue
			}
			timer = time.NewTimer(min(d, s.o.MaxSleep))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// jobContext returns the context jobs of a term run under: cancelled at
// once when leadership is lost (lctx ends while run goes on), but given
// Drain when run itself ends, a graceful stop, so the jobs already started
// finish and are recorded before the lead is handed over. It keeps lctx's
// values (the backend's fence).
func (s *Scheduler) jobContext(run, lctx context.Context) (context.Context, func()) {
	jobs, cancel := context.WithCancel(context.WithoutCancel(lctx))
	var drain *time.Timer
	var mu sync.Mutex
	unhook := context.AfterFunc(lctx, func() {
		if run.Err() == nil {
			cancel() // deposed: a successor owns the work now
			return
		}
		mu.Lock()
		drain = time.AfterFunc(s.o.Drain, cancel)
		mu.Unlock()
	})
	return jobs, func() {
		unhook()
		mu.Lock()
		if drain != nil {
			drain.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// RunDue claims and runs every job due now, batch after batch, and returns
// how many it ran. It stops between jobs when ctx ends (leadership lost).
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	return s.runDue(ctx, ctx, s.o.Rescue)
}

// runDue is RunDue with the jobs' own context and the claim age to rescue:
// claims stop when ctx ends; jobs already handed out run under jobs.
func (s *Scheduler) runDue(ctx, jobs context.Context, rescue time.Duration) (int, error) {
	total := 0
	for ctx.Err() == nil {
		claimed, err := s.o.Store.ClaimDue(ctx, s.o.Clock.Now(), s.o.Batch, s.o.Owner, rescue)
		if err != nil {
			return total, fmt.Errorf("claim due jobs: %w", err)
		}
		if len(claimed) == 0 {
			return total, nil
		}
		s.runBatch(ctx, jobs, claimed)
		total += len(claimed)
	}
	return total, ctx.Err()
}

// runBatch runs a claimed batch with a bounded number of workers, in due
// order of start. No job starts once ctx ends; started ones run under
// jobCtx.
func (s *Scheduler) runBatch(ctx, jobCtx context.Context, jobs []core.DueJob) {
	work := make(chan core.DueJob)
	var wg sync.WaitGroup
	for range min(s.o.Workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				if ctx.Err() != nil {
					continue // handed over before the stop: leave it claimed
				}
				s.runOne(jobCtx, j)
			}
		}()
	}
	for _, j := range jobs {
		select {
		case work <- j:
			continue
		case <-ctx.Done():
		}
		break // leadership lost or stopping: leave the rest claimed; the next term retakes them
	}
	close(work)
	wg.Wait()
}

// runOne runs a job outside any transaction and records the outcome.
func (s *Scheduler) runOne(ctx context.Context, j core.DueJob) {
	log := s.log.With().Str("job", j.ID).Str("kind", string(j.Kind)).Str("meeting", j.Meeting).Str("workspace", j.Workspace.String()).Logger()
	// A deadline per job, so one hung call (a notifier that never answers)
	// cannot hold back the batch, and with it every close, forever.
	jctx, jcancel := context.WithTimeout(ctx, s.o.JobTimeout)
	ref, err := s.o.Runner.RunJob(jctx, j)
	jcancel()
	// Record with a context that survives a lost leadership: the work is
	// done, so say so, or a successor would redo it.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := s.o.Clock.Now()
	outcome := Done
	switch {
	case err == nil:
		if cerr := s.o.Store.CompleteJob(rctx, j.ID, s.o.Owner, now, ref); core.ErrorCode(cerr) == core.ENOTFOUND {
			// The job re-planned its own meeting (a close plans the next
			// occurrence) and so was replaced: nothing left to record.
			log.Debug().Msg("job replaced by a re-plan while it ran")
		} else if cerr != nil {
			log.Error().Err(cerr).Msg("job done but not recorded; it may run again")
		}
	case j.Attempts+1 >= s.o.MaxAttempts && !neverGivenUp(j.Kind):
		outcome = GivenUp
		log.Error().Err(err).Int("attempts", j.Attempts+1).Msg("job given up after repeated failures")
		if ferr := s.o.Store.FailJob(rctx, j.ID, s.o.Owner, now, err.Error()); ferr != nil && core.ErrorCode(ferr) != core.ENOTFOUND {
			log.Error().Err(ferr).Msg("could not record the given-up job")
		}
	default:
		// Some kinds are never given up (see neverGivenUp). Past the cap
		// they retry at the longest backoff.
		outcome = Retried
		wait := retryWait(s.backoff(j.Attempts+1), err, now)
		ev := log.Warn()
		if j.Attempts+1 >= s.o.MaxAttempts {
			ev = log.Error()
		}
		ev.Err(err).Int("attempt", j.Attempts+1).Dur("retry_in", wait).Msg("job failed; will retry")
		if rerr := s.o.Store.RetryJob(rctx, j.ID, s.o.Owner, now.Add(wait), err.Error()); rerr != nil && core.ErrorCode(rerr) != core.ENOTFOUND {
			log.Error().Err(rerr).Msg("could not reschedule the failed job; the claim rescue will")
		}
	}
	if s.o.OnRun != nil {
		s.o.OnRun(j, outcome, err)
	}
}

// neverGivenUp reports whether a job kind is retried past MaxAttempts.
// Closing a room: an open room lets every token ever issued in. Creating
// one and opening it: a video-service outage may outlast the cap, and a
// meeting must still get its room, and have it opened, once the service
// is back. The open job ends by itself when its window closes, the room
// job when the meeting no longer waits for a room.
func neverGivenUp(k core.JobKind) bool {
	return k == core.JobClose || k == core.JobRoom || k == core.JobOpen
}

// retryWait bounds a backoff by the deadline the job's failure carries
// (core.RetryBefore): at most half the time left, so retries get denser
// towards the end of the window and never land past it; at least a second,
// unless less than that is left.
func retryWait(backoff time.Duration, err error, now time.Time) time.Duration {
	by, ok := core.RetryDeadline(err)
	if !ok {
		return backoff
	}
	left := by.Sub(now)
	if left <= 0 {
		return backoff // the window passed already; nothing left to protect
	}
	limit := left / 2
	if limit < time.Second {
		limit = min(left, time.Second)
	}
	return min(backoff, limit)
}

// backoff is base·2^(n-1) capped at max, times a jitter in [0.5, 1.5).
func (s *Scheduler) backoff(n int) time.Duration {
	d := s.o.BaseBackoff
	for i := 1; i < n && d < s.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.o.MaxBackoff)
	return time.Duration(float64(d) * (0.5 + s.o.Jitter()))
}

// sleep waits d on the clock or until ctx ends; false when ctx ended.
func (s *Scheduler) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
