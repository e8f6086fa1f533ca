package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/meetbot/meetbot/adapters/console"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
)

func runConsole(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("console", stderr)
	path := fs.String("config", "", "config file (none: local mode)")
	asJSON := fs.Bool("json", false, "print one JSON object per line")
	user := fs.String("user", "", "who is typing at start (default: $USER, else \"me\")")
	channel := fs.String("channel", "general", "channel at start")
	noWait := fs.Bool("no-wait", false, "with piped input: exit at its end even while a meeting's window is open (its join links then stop working)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	cfg, err := loadOrLocal(*path, getenv)
	if err != nil {
		return err
	}
	// The console owns stdout; logs go to stderr, and only warnings unless
	// the config asks for more.
	if *path == "" {
		cfg.Log.Level, cfg.Log.Format = "warn", "console"
	}
	log := newLogger(cfg.Log, stderr)
	a, err := buildApp(ctx, cfg, log, getenv)
	if err != nil {
		return err
	}
	defer a.shutdown()
	u := *user
	if u == "" {
		u = getenv("USER")
	}
	c := console.New(console.Options{
		Service:     a.svc,
		In:          stdin,
		Out:         stdout,
		JSON:        *asJSON,
		Interactive: isTerminal(stdin),
		User:        u,
		Channel:     *channel,
		Logger:      log.With().Str("component", "console").Logger(),
		Rooms:       a.roomDriver(),
	})
	// The console posts reminders and announcements; set it before the
	// scheduler starts.
	a.svc.SetNotifier(c)
	a.start(ctx)
	if isTerminal(stdin) && !*asJSON {
		fmt.Fprintf(stdout, "Join links are served on %s (RealtimeKit sandbox: %v, data: %s).\n", a.svc.Config().PublicURL, cfg.RealtimeKit.Sandbox, dataWhere(cfg))
	}
	if err := c.Run(ctx); err != nil || !pipedFile(stdin) || *noWait || ctx.Err() != nil {
		return err
	}
	// The process's piped input ended: the links it printed work only while
	// this process serves them, so keep serving while a window is open.
	return serveWhileOpen(ctx, lingerOptions{
		Open: func(ctx context.Context) ([]string, time.Time, error) {
			return a.svc.OpenWindows(ctx, core.WorkspaceKey{Platform: core.PlatformConsole, ID: console.WorkspaceID})
		},
		Clock: a.clock,
		Out:   stderr,
		URL:   a.svc.Config().PublicURL,
		Zone:  a.svc.Config().DefaultTimeZone,
	})
}

func runServe(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("serve", stderr)
	path := fs.String("config", "", "config file (none: local defaults)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	cfg, err := loadOrLocal(*path, getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log, stderr)
	a, err := buildApp(ctx, cfg, log, getenv)
	if err != nil {
		return err
	}
	a.start(ctx)
	log.Info().Str("listen", a.httpLn.Addr().String()).Str("public_url", a.svc.Config().PublicURL).Bool("sandbox", cfg.RealtimeKit.Sandbox).
		Str("driver", a.backend.Driver).Str("replica", a.replica).Msg("meetbot serving")
	<-ctx.Done()
	log.Info().Str("replica", a.replica).Msg("shutting down: stopping the scheduler (resigning leadership), then draining requests")
	a.shutdown()
	return nil
}

func runSandbox(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlagSet("sandbox", stderr)
	listen := fs.String("listen", "127.0.0.1:8787", "address to serve the sandbox API on")
	token := fs.String("token", "", "require this bearer token (default: any non-empty token)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	log := newLogger(LogConfig{Level: "info", Format: "console"}, stderr)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", *listen, err)
	}
	srv := &http.Server{
		Handler:           sandbox.New(sandbox.Options{Logger: log, APIToken: *token}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	log.Info().Str("base_url", "http://"+ln.Addr().String()+"/client/v4/").Msg("RealtimeKit sandbox serving; use any account and app id")
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// dataWhere says where the records live, for the console's banner.
func dataWhere(cfg Config) string {
	if cfg.Storage.Driver == "etcd" {
		return "etcd " + strings.Join(cfg.Storage.Etcd.Endpoints, ",") + " under " + cfg.Storage.Etcd.Prefix
	}
	return cfg.Storage.Bolt.Path
}
