package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// runHealthcheck asks a running meetbot whether it is up: `bot healthcheck`
// GETs http://<http.listen>/healthz (or /readyz with --ready, which also
// checks the store) and fails unless the answer is 200. It exists for the
// image's HEALTHCHECK, since the distroless image has no shell or curl.
func runHealthcheck(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("healthcheck", stderr)
	path := fs.String("config", "", "config file whose http.listen to ask (default: local mode's 127.0.0.1:8080)")
	addr := fs.String("addr", "", "host:port to ask instead of the config's http.listen")
	ready := fs.Bool("ready", false, "ask /readyz (store reachable) instead of /healthz (process up)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	target := *addr
	if target == "" {
		cfg, err := loadOrLocal(*path, getenv)
		if err != nil {
			return err
		}
		target = cfg.HTTP.Listen
	}
	url, err := healthURL(target, *ready)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: %s answered %s", url, resp.Status)
	}
	_, err = fmt.Fprintf(stdout, "%s answered %s\n", url, resp.Status)
	return err
}

// healthURL is the health endpoint of a server listening on listen. A
// wildcard host (":8080", "0.0.0.0:8080", "[::]:8080") is asked on the
// loopback address, where the check runs.
func healthURL(listen string, ready bool) (string, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("health check: %q is not host:port", listen)
	}
	if port == "0" || port == "" {
		return "", errors.New("health check: http.listen has no fixed port; pass --addr HOST:PORT")
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	path := "/healthz"
	if ready {
		path = "/readyz"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
