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
	// (the owner crashed between claim and completion). Default 2m.
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
}

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
	def(&o.Rescue, 2*time.Minute)
	def(&o.JobTimeout, o.Rescue/2)
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
		s.lead(lctx)
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
// job or a wake-up.
func (s *Scheduler) lead(ctx context.Context) {
	for ctx.Err() == nil {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
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
			timer = time.NewTimer(d)
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

// RunDue claims and runs every job due now, batch after batch, and returns
// how many it ran. It stops between jobs when ctx ends (leadership lost).
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	total := 0
	for ctx.Err() == nil {
		jobs, err := s.o.Store.ClaimDue(ctx, s.o.Clock.Now(), s.o.Batch, s.o.Owner, s.o.Rescue)
		if err != nil {
			return total, fmt.Errorf("claim due jobs: %w", err)
		}
		if len(jobs) == 0 {
			return total, nil
		}
		s.runBatch(ctx, jobs)
		total += len(jobs)
	}
	return total, ctx.Err()
}

// runBatch runs a claimed batch with a bounded number of workers, in due
// order of start.
func (s *Scheduler) runBatch(ctx context.Context, jobs []core.DueJob) {
	work := make(chan core.DueJob)
	var wg sync.WaitGroup
	for range min(s.o.Workers, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				s.runOne(ctx, j)
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break // leadership lost: leave the rest claimed; rescue retakes them
		}
		work <- j
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
	case j.Attempts+1 >= s.o.MaxAttempts && j.Kind != core.JobClose:
		outcome = GivenUp
		log.Error().Err(err).Int("attempts", j.Attempts+1).Msg("job given up after repeated failures")
		if ferr := s.o.Store.FailJob(rctx, j.ID, s.o.Owner, now, err.Error()); ferr != nil && core.ErrorCode(ferr) != core.ENOTFOUND {
			log.Error().Err(ferr).Msg("could not record the given-up job")
		}
	default:
		// Closing a room is never given up: an open room lets every token
		// ever issued in. Past the cap it retries at the longest backoff.
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
