package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/meetbot/meetbot/adapters/metrics"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
)

// newMetrics builds the Prometheus metrics of this process, once the store
// is open (whether it keeps pending-job counts decides that gauge). They are kept
// whether or not http.admin_listen is set (counting costs next to
// nothing), so turning the admin listener on never changes what runs. The
// gauges read a's parts at scrape time, through closures, because those
// parts are built after the metrics that observe them.
func (a *app) newMetrics() {
	var pending func() map[core.JobKind]int
	if c, ok := a.store.(core.PendingJobCounter); ok {
		pending = c.PendingJobs // etcd keeps no counts: no gauge rather than zeros
	}
	a.metrics = metrics.New(metrics.Options{
		Leading: func() bool { return a.sched != nil && a.sched.Leading() },
		BudgetLeft: func(p core.Priority) int {
			if a.rtk == nil {
				return 0
			}
			return a.rtk.BudgetLeft(p)
		},
		PendingJobs: pending,
		Version:     version,
	})
}

// observer is what the service, the RealtimeKit client and the notifier
// report to.
func (a *app) observer() core.Observer {
	if a.metrics == nil {
		return core.NopObserver{}
	}
	return a.metrics
}

// observeJob fits scheduler.Options.OnRun: it counts each run by kind and
// outcome and times how late after its due time the run finished.
func (a *app) observeJob(j core.DueJob, o scheduler.Outcome, _ error) {
	outcome := "done"
	switch o {
	case scheduler.Retried:
		outcome = "retried"
	case scheduler.GivenUp:
		outcome = "given_up"
	}
	a.observer().JobRun(j.Kind, outcome, time.Since(j.Due))
	if a.jobRan != nil {
		a.jobRan(j)
	}
}

// listenAdmin opens http.admin_listen when it is set, so a busy port fails
// at start like the public one. Without it there is no admin listener at
// all: metrics and pprof are never served on the public port.
func (a *app) listenAdmin() error {
	addr := a.cfg.HTTP.AdminListen
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on http.admin_listen %s: %w", addr, err)
	}
	a.adminLn = ln
	a.adminSrv = &http.Server{
		Handler:           a.metrics.Admin(),
		ReadHeaderTimeout: 5 * time.Second,
		// No WriteTimeout: a CPU profile or trace streams for as long as
		// its ?seconds= asks.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 16 << 10,
	}
	a.closers = append(a.closers, func() error { _ = a.adminSrv.Close(); _ = ln.Close(); return nil })
	a.log.Info().Str("admin_listen", ln.Addr().String()).Msg("admin listener: /metrics and /debug/pprof/")
	return nil
}

// serveAdmin serves the admin listener, if any, until it is closed.
func (a *app) serveAdmin() {
	if a.adminSrv == nil {
		return
	}
	go func() {
		if err := a.adminSrv.Serve(a.adminLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error().Err(err).Msg("admin server stopped")
		}
	}()
}
