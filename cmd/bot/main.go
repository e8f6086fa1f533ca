// Command bot runs meetbot. Subcommands:
//
//	bot [console] [--config FILE] [--json] [--no-wait]
//	                                         the console (local mode without a config)
//	bot serve --config FILE                  the web server and chat adapters
//	bot sandbox [--listen ADDR] [--token T]  the RealtimeKit sandbox alone
//	bot check-config --config FILE           list every problem in a config
//	bot register-commands --config FILE [--guild ID]
//	                                         overwrite the Discord /meet command
//	bot migrate --from bolt --to etcd --config FILE [--bolt PATH]
//	                                         copy a bbolt store into an empty etcd prefix
//	bot version                              print the version, commit and Go version
//	bot healthcheck [--config FILE] [--addr HOST:PORT] [--ready]
//	                                         exit 0 if a running meetbot answers /healthz (/readyz)
//
// Only this package wires adapters and storage to core.
//
// MEETBOT_CLOCK=RATEx@EPOCH (for example 6x@2026-12-04T02:40:00Z) runs the
// process on a clock RATE times faster than real time from EPOCH on, for
// soak tests only (cmd/soak): see clock.go. It is logged as a warning at
// start, and a malformed value stops the start; production never sets it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// Embedded zone data: meetings are stored with IANA zones, and a
	// minimal container image may have none.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// usage is printed for "help" and unknown subcommands.
const usage = `meetbot: schedule RealtimeKit video meetings from chat.

Usage:
  bot [console] [--config FILE] [--json] [--user NAME] [--channel NAME] [--no-wait]
        The console. Without --config: local mode (RealtimeKit sandbox,
        bbolt file in ./data, join links on http://127.0.0.1:8080).
        With piped input it keeps serving join links after the input ends
        while a meeting's window is open (Ctrl-C stops it), unless --no-wait.
  bot serve --config FILE
        Serve join links and chat adapters until SIGTERM.
  bot sandbox [--listen ADDR] [--token TOKEN]
        Serve the RealtimeKit sandbox API alone (default 127.0.0.1:8787;
        any non-empty API token is accepted unless --token names one).
  bot check-config --config FILE
        Check a config file and list every problem at once.
  bot register-commands --config FILE [--guild ID]
        Overwrite the Discord /meet command: in one server (instant) or
        globally (may take up to an hour to appear).
  bot migrate --from bolt --to etcd --config FILE [--bolt PATH]
        Copy a bbolt store (storage.bolt.path, or PATH) into the etcd
        cluster of storage.etcd, whose prefix must be empty. Stop meetbot
        first; the bbolt file is only read.
  bot version
        Print the version, the commit it was built from and the Go version.
  bot healthcheck [--config FILE] [--addr HOST:PORT] [--ready] [--timeout 3s]
        Ask the meetbot listening on http.listen (or HOST:PORT) for
        /healthz, or /readyz with --ready; exit 0 on 200, else 1. The
        image's HEALTHCHECK runs it.
`

// run is main without the process: tests call it with their own streams.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	sub := "console"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	var err error
	switch sub {
	case "console":
		err = runConsole(ctx, args, stdin, stdout, stderr, getenv)
	case "serve":
		err = runServe(ctx, args, stderr, getenv)
	case "sandbox":
		err = runSandbox(ctx, args, stderr)
	case "check-config":
		err = runCheckConfig(args, stdout, stderr, getenv)
	case "register-commands":
		err = runRegisterCommands(ctx, args, stdout, stderr, getenv)
	case "migrate":
		err = runMigrate(ctx, args, stdout, stderr, getenv)
	case "version":
		err = runVersion(args, stdout, stderr)
	case "healthcheck":
		err = runHealthcheck(ctx, args, stdout, stderr, getenv)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "bot: unknown subcommand %q.\n\n%s", sub, usage)
		return 2
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "bot %s: %v\n", sub, err)
			return 2
		}
		fmt.Fprintf(stderr, "bot %s: %v\n", sub, err)
		return 1
	}
	return 0
}

// usageError marks bad flags, so run exits 2 like flag does.
type usageError struct{ error }

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// loadOrLocal reads the config file, or returns local mode's defaults when
// path is empty.
func loadOrLocal(path string, getenv func(string) string) (Config, error) {
	if path == "" {
		return DefaultConfig(), nil
	}
	cfg, problems, err := LoadConfig(path, getenv)
	if err != nil {
		if len(problems) > 0 {
			return cfg, fmt.Errorf("%s has %d problem(s):\n  - %s\nRun \"bot check-config --config %s\" after fixing them", path, len(problems), joinLines(problems), path)
		}
		return cfg, err
	}
	return cfg, nil
}

func joinLines(p []string) string {
	out := ""
	for i, s := range p {
		if i > 0 {
			out += "\n  - "
		}
		out += s
	}
	return out
}

func runCheckConfig(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("check-config", stderr)
	path := fs.String("config", "", "config file to check")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *path == "" {
		return usageError{errors.New("--config FILE is required")}
	}
	cfg, problems, err := LoadConfig(*path, getenv)
	if err != nil && len(problems) == 0 {
		return err
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "%s has %d problem(s):\n", *path, len(problems))
		for _, p := range problems {
			fmt.Fprintf(stdout, "  - %s\n", p)
		}
		return errors.New("config is not valid")
	}
	fmt.Fprintf(stdout, "%s is valid.\n", *path)
	for _, n := range cfg.roomEventNotes() {
		fmt.Fprintf(stdout, "  note: %s\n", n)
	}
	return nil
}
