package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/metrics"
	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/scheduler"
	"github.com/meetbot/meetbot/storage"
)

// app is everything wired together for one process.
type app struct {
	cfg     Config
	log     zerolog.Logger
	store   core.Store
	backend *storage.Backend
	// replica names this process in claims, the election, logs and /readyz.
	replica string
	svc     *core.Service
	web     *web.Handler
	sched   *scheduler.Scheduler
	httpSrv *http.Server
	httpLn  net.Listener
	// metrics are this process's Prometheus metrics, served with pprof on
	// adminSrv when http.admin_listen is set (admin.go).
	metrics  *metrics.Metrics
	rtk      *realtimekit.Client
	adminSrv *http.Server
	adminLn  net.Listener
	// jobRan, when set (tests), is called after each job run is counted.
	jobRan func(core.DueJob)
	// notify routes reminders to each platform's adapter; wireSlack and
	// wireDiscord register theirs.
	notify  *platformNotifier
	closers []func() error
	// stopLoops ends the scheduler (resigning leadership), the watch and
	// the leader-only maintenance, and waits for them; set by start.
	stopLoops func()
	// stopRoomEvents ends the webhook hand-over loop or the poller (and
	// waits for them); set by wireRoomEvents, idempotent.
	stopRoomEvents func()
	// maint tracks the goroutines OnLead starts, so shutdown waits for
	// them.
	maint sync.WaitGroup
	// firstLead is closed when the first leadership's recovery is done;
	// start waits for it on bbolt, where this process always leads.
	firstLead     chan struct{}
	firstLeadOnce sync.Once
	// sandbox is the built-in RealtimeKit sandbox in local mode (nil
	// otherwise) and sandboxRoot its base URL, for room events.
	sandbox     *sandbox.Server
	sandboxRoot string
	// clock is the process's "now" (core's and the scheduler's): the wall
	// clock, or the scaled test clock MEETBOT_CLOCK asks for (clock.go),
	// which scaled then holds too.
	clock  core.Clock
	scaled *scaledClock
}

// newLogger builds the injected logger; nothing uses zerolog's global one.
func newLogger(cfg LogConfig, w io.Writer) zerolog.Logger {
	lvl, err := zerolog.ParseLevel(cfg.Level)
	if err != nil {
		lvl = zerolog.InfoLevel
	}
	w = logOutput(cfg.Format, w, isTerminal(w))
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger()
}

// localZone names the machine's IANA zone (TZ, then /etc/localtime), so local
// mode reads "tomorrow 3pm" in the zone of the person at the keyboard.
func localZone(getenv func(string) string) string {
	if tz := strings.TrimPrefix(getenv("TZ"), ":"); tz != "" {
		if _, err := time.LoadLocation(tz); err == nil && tz != "Local" {
			return tz
		}
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "zoneinfo/"); ok {
			if _, err := time.LoadLocation(name); err == nil {
				return name
			}
		}
	}
	return "UTC"
}

// buildApp opens storage, starts the sandbox if asked, connects to
// RealtimeKit, checks the presets and builds the service and web handler.
// The HTTP listener is opened here so a busy port fails before anything
// else starts; serving starts in start.
func buildApp(ctx context.Context, cfg Config, log zerolog.Logger, getenv func(string) string) (_ *app, err error) {
	a := &app{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			a.close()
		}
	}()
	if err := a.setClock(getenv); err != nil {
		return nil, err
	}
	publicURL, err := a.listen()
	if err != nil {
		return nil, err
	}
	if err := a.openStore(ctx); err != nil {
		return nil, err
	}
	a.newMetrics()
	if err := a.listenAdmin(); err != nil {
		return nil, err
	}
	conf, decode, err := a.connectRealtimeKit(ctx)
	if err != nil {
		return nil, err
	}
	a.rtk = conf
	if err := a.newService(ctx, conf, publicURL, getenv); err != nil {
		return nil, err
	}
	hooks, err := a.wireRoomEvents(ctx, conf)
	if err != nil {
		return nil, err
	}
	a.web = web.New(web.Options{
		Webhooks:     hooks,
		Service:      a.svc,
		Logger:       log.With().Str("component", "web").Logger(),
		Sandbox:      cfg.RealtimeKit.Sandbox,
		DecodeToken:  decode,
		Ready:        a.store.Ping,
		UIKitBaseURL: cfg.Web.UIKitBaseURL,
		Replica:      &web.Replica{Driver: a.backend.Driver, ID: a.replica, Leading: a.sched.Leading},
		Observe:      a.metrics.HTTPRequest,
	})
	if a.sandbox != nil {
		a.web.Handle("/sandbox/rtk/", a.sandbox.ClientHandler()) // the sandbox room page (Enter / Leave)
	}
	if err := a.wireSlack(ctx); err != nil {
		return nil, fmt.Errorf("set up Slack: %w", err)
	}
	if err := a.wireDiscord(ctx); err != nil {
		return nil, fmt.Errorf("set up Discord: %w", err)
	}
	if (cfg.Slack.Enabled() || cfg.Discord.Enabled()) && cfg.HTTP.PublicURL == "" {
		log.Warn().Str("join_links_on", publicURL).Msg("http.public_url is not set: join links point at this machine's listen address, which people in chat usually cannot open")
	}
	a.httpSrv = &http.Server{
		Handler:           a.web,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	return a, nil
}

// listen opens the HTTP listener and returns the public URL join links are
// built on: http.public_url, else the listener's own address.
func (a *app) listen() (string, error) {
	ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
	if err != nil {
		return "", fmt.Errorf("cannot listen on %s (is another meetbot running? set http.listen in a config to use another address): %w", a.cfg.HTTP.Listen, err)
	}
	a.httpLn = ln
	a.closers = append(a.closers, func() error { _ = ln.Close(); return nil })
	if a.cfg.HTTP.PublicURL != "" {
		return a.cfg.HTTP.PublicURL, nil
	}
	return "http://" + ln.Addr().String(), nil
}

// openStore names this replica and opens the configured store.
func (a *app) openStore(ctx context.Context) error {
	cfg := a.cfg
	a.replica = replicaID(cfg, os.Hostname, os.Getpid())
	scfg, err := storageConfig(cfg, a.replica, a.log)
	if err != nil {
		return err
	}
	if cfg.Storage.Driver == storage.Bolt {
		if err := os.MkdirAll(filepath.Dir(cfg.Storage.Bolt.Path), 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
	}
	backend, err := storage.Open(ctx, scfg)
	if err != nil {
		return fmt.Errorf("open the %s store: %w", cfg.Storage.Driver, err)
	}
	a.backend, a.store = backend, backend.Store
	a.closers = append(a.closers, backend.Close)
	return nil
}

// connectRealtimeKit sets up the RealtimeKit client (against the built-in
// sandbox when realtimekit.sandbox is set) and checks the presets. decode
// reads the sandbox's participant tokens for the join page; nil otherwise.
func (a *app) connectRealtimeKit(ctx context.Context) (_ *realtimekit.Client, decode func(string) (map[string]any, error), err error) {
	rk := a.cfg.RealtimeKit
	if rk.Sandbox {
		base, err := a.startSandbox()
		if err != nil {
			return nil, nil, fmt.Errorf("start the RealtimeKit sandbox: %w", err)
		}
		rk.BaseURL = base
		rk.AccountID, rk.AppID, rk.APIToken = "local-account", "local-app", "sandbox-token"
		decode = sandbox.DecodeTokenMap
	}
	conf, err := realtimekit.New(realtimekit.Config{
		BaseURL:      rk.BaseURL,
		AccountID:    rk.AccountID,
		AppID:        rk.AppID,
		APIToken:     rk.APIToken,
		CallTimeout:  rk.CallTimeout.D(),
		Budget:       rk.Budget.Calls,
		BudgetWindow: rk.Budget.Window.D(),
		Observer:     a.observer(),
	}, a.log.With().Str("component", "realtimekit").Logger())
	if err != nil {
		return nil, nil, fmt.Errorf("set up RealtimeKit: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := conf.CheckPresets(pctx, rk.Presets.Host, rk.Presets.Participant); err != nil {
		return nil, nil, fmt.Errorf("check RealtimeKit presets: %s", core.ErrorMessage(err))
	}
	return conf, decode, nil
}

// startSandbox serves the built-in RealtimeKit sandbox on a loopback port
// and returns its API base URL. It keeps its rooms next to the store, so a
// restart finds the rooms meetbot recorded (issue 10, item 8).
func (a *app) startSandbox() (string, error) {
	sopts := sandbox.Options{Logger: a.log.With().Str("component", "sandbox").Logger()}
	sb := sandbox.New(sopts)
	if statePath := sandboxStatePath(a.cfg, a.replica); statePath != "" {
		if err := os.MkdirAll(filepath.Dir(statePath), 0o700); err != nil {
			return "", err
		}
		var err error
		if sb, err = sandbox.Open(statePath, sopts); err != nil {
			return "", err
		}
	}
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: sb, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(sln) }()
	a.sandbox, a.sandboxRoot = sb, "http://"+sln.Addr().String()
	a.closers = append(a.closers, srv.Close)
	return "http://" + sln.Addr().String() + "/client/v4/", nil
}

// newService builds core.Service from the meetings and join sections, and
// the scheduler that runs its jobs while this replica leads.
func (a *app) newService(ctx context.Context, conf core.Conference, publicURL string, getenv func(string) string) error {
	cfg := a.cfg
	zone := cfg.Meetings.DefaultTimeZone
	if zone == "" {
		zone = localZone(getenv)
	}
	var joinKey []byte
	if cfg.Join.SigningKey != "" {
		joinKey = []byte(cfg.Join.SigningKey)
	}
	sealer, err := tokenSealer(cfg)
	if err != nil {
		return err
	}
	svc, err := core.NewService(ctx, core.Config{
		EarlyJoin:         explicit(cfg.Meetings.EarlyJoin.D()),
		Grace:             explicit(cfg.Meetings.Grace.D()),
		DefaultDuration:   cfg.Meetings.DefaultDuration.D(),
		MaxDuration:       cfg.Meetings.MaxDuration.D(),
		DefaultTimeZone:   zone,
		HostPreset:        cfg.RealtimeKit.Presets.Host,
		ParticipantPreset: cfg.RealtimeKit.Presets.Participant,
		PublicURL:         publicURL,
		LinkTTL:           cfg.Join.LinkTTL.D(),
		Reminders:         reminderLeads(cfg.Meetings.Reminders),
		Media:             cfg.Meetings.Media.Settings(),
	}, core.Deps{
		Store:      a.store,
		Conference: conf,
		Clock:      a.clock,
		Logger:     a.log.With().Str("component", "core").Logger(),
		Sealer:     sealer,
		Observer:   a.observer(),
	}, joinKey)
	if err != nil {
		return err
	}
	a.svc = svc
	a.notify = newPlatformNotifier(a.log.With().Str("component", "notify").Logger(), a.observer())
	svc.SetNotifier(a.notify)
	a.firstLead = make(chan struct{})
	a.sched = scheduler.New(a.schedulerClock(scheduler.Options{
		Store:  a.store,
		Runner: svc,
		Leader: a.backend.Leader,
		Logger: a.log.With().Str("replica", a.replica).Logger(),
		Owner:  a.replica,
		OnLead: a.onLead,
		OnRun:  a.observeJob,
	}))
	svc.SetWaker(a.sched.Wake)
	return nil
}

// sandboxStatePath is where the built-in sandbox keeps its rooms: next to
// the bbolt file, so a restart finds the rooms meetbot recorded (issue 10,
// item 8). With etcd the same directory holds one file per replica, since
// each replica runs its own sandbox and two must not share a file.
func sandboxStatePath(cfg Config, replica string) string {
	dbPath := cfg.Storage.Bolt.Path
	if dbPath == "" {
		return ""
	}
	name := "sandbox.json"
	if cfg.Storage.Driver == storage.Etcd {
		name = "sandbox-" + replica + ".json"
	}
	return filepath.Join(filepath.Dir(dbPath), name)
}

// start serves HTTP and runs the scheduler, which finishes what a previous
// run left undone each time this replica gains leadership (onLead). On
// bbolt, where this process always leads, start returns after that
// recovery, as before there were several replicas.
func (a *app) start(ctx context.Context) {
	a.serveAdmin()
	go func() {
		if err := a.httpSrv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error().Err(err).Msg("web server stopped")
		}
	}()
	loopCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.sched.Run(loopCtx)
	}()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		if a.backend.Watch != nil {
			// Another replica's schedule wakes this one's scheduler at
			// once; a follower's wake is a no-op.
			a.backend.Watch(loopCtx, a.sched.Wake)
		}
	}()
	var once sync.Once
	a.stopLoops = func() {
		once.Do(func() {
			led := a.sched.Leading()
			stop()
			<-done
			<-watched
			a.maint.Wait()
			if a.backend.Resign != nil {
				// The scheduler has stopped and recorded its last runs:
				// hand the lead over now, not when the lease runs out.
				rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				if err := a.backend.Resign(rctx); err != nil {
					a.log.Warn().Err(err).Str("replica", a.replica).Msg("resigning leadership failed; another replica leads once the lease runs out")
				} else if led {
					a.log.Info().Str("replica", a.replica).Msg("leadership resigned")
				}
				cancel()
			}
		})
	}
	a.closers = append(a.closers, func() error { a.stopLoops(); return nil })
	if a.backend.Driver == storage.Bolt {
		select {
		case <-a.firstLead:
		case <-ctx.Done():
		case <-time.After(35 * time.Second): // recovery's own bound, and a little
		}
	}
}

// onLead runs each time this replica gains leadership, with the
// leadership's context: it finishes half-done work (intents, rooms left
// open) and starts the daily pruning, both only on the leader, so
// replicas never race each other at it.
func (a *app) onLead(lctx context.Context) {
	a.log.Info().Str("replica", a.replica).Str("driver", a.backend.Driver).Msg("this replica leads: recovering and running the scheduler")
	rctx, cancel := context.WithTimeout(lctx, 30*time.Second)
	if err := a.svc.Recover(rctx); err != nil && lctx.Err() == nil {
		a.log.Warn().Err(err).Msg("recovery left work for the next start")
	}
	cancel()
	a.firstLeadOnce.Do(func() { close(a.firstLead) })
	a.maint.Add(1)
	go func() {
		defer a.maint.Done()
		a.pruneLoop(lctx)
	}()
}

// jobRetention is how long done jobs are kept. They make a re-plan of a
// recent occurrence a no-op; older ones only take space.
const jobRetention = 14 * 24 * time.Hour

// pruneLoop deletes old done jobs and expired delivery keys once a day,
// until ctx ends (leadership lost, or shutdown).
func (a *app) pruneLoop(ctx context.Context) {
	t := time.NewTicker(24 * time.Hour)
	defer t.Stop()
	for {
		// Jobs are done on the process's clock; delivery keys expire on
		// the wall clock (the chat adapters stamp them).
		if n, err := a.backend.Pruner.PruneJobs(ctx, a.clock.Now().Add(-jobRetention)); err != nil && ctx.Err() == nil {
			a.log.Warn().Err(err).Msg("pruning old jobs failed")
		} else if n > 0 {
			a.log.Info().Int("jobs", n).Msg("old jobs pruned")
		}
		if _, err := a.backend.Pruner.PruneOnce(ctx, time.Now()); err != nil && ctx.Err() == nil {
			a.log.Warn().Err(err).Msg("pruning old delivery keys failed")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// shutdown stops the scheduler first, so leadership is resigned at once
// and another replica takes over without waiting out the lease, then
// drains in-flight HTTP requests, then stops the room-event loops and
// lands the card redraws still held back by their pacing, then closes
// everything (the store last but one, the listener last).
func (a *app) shutdown() {
	if a.stopLoops != nil {
		a.stopLoops()
	}
	if a.httpSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.httpSrv.Shutdown(ctx)
	}
	if a.stopRoomEvents != nil {
		// Stored deliveries not yet handed over wait in the inbox for the
		// next start (or another replica).
		a.stopRoomEvents()
	}
	if a.svc != nil {
		// No room event comes any more: land the card redraws the pacing
		// still holds, while the chat adapters are open.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if left := a.svc.FlushCards(ctx); left > 0 {
			a.log.Warn().Int("cards", left).Msg("shutting down with card redraws still pending; those cards show an older room state until the next change")
		}
		cancel()
	}
	a.close()
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		if err := a.closers[i](); err != nil {
			a.log.Warn().Err(err).Msg("close")
		}
	}
	a.closers = nil
}

// logNotifier stands in for a chat adapter in serve mode until one is
// configured: reminders are logged (meeting id and time only, no links).
type logNotifier struct{ log zerolog.Logger }

func (n logNotifier) Remind(_ context.Context, r core.Reminder) (string, error) {
	n.log.Info().Str("workspace", r.Meeting.Workspace.String()).Str("meeting", r.Meeting.ID).Time("start", r.Occurrence.Start).Dur("late", r.Late).Msg("reminder (no chat adapter configured)")
	return "", nil
}

func (n logNotifier) Announce(_ context.Context, an core.Announcement) error {
	n.log.Info().Str("workspace", an.Meeting.Workspace.String()).Str("meeting", an.Meeting.ID).Str("kind", an.Kind).Msg("announcement (no chat adapter configured)")
	return nil
}

// reminderLeads converts the configured lead times, keeping an explicit
// empty list (no reminders) distinct from "not configured".
func reminderLeads(ds []Duration) []time.Duration {
	out := make([]time.Duration, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.D())
	}
	return out
}

// explicit passes a configured duration to core, where 0 would mean "the
// default": an operator's 0s means none, which core spells as negative.
func explicit(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
