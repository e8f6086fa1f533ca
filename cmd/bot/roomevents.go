package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/meetbot/meetbot/adapters/console"
	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/webhook"
	"github.com/meetbot/meetbot/core"
)

// Room events (issue 13): how meetbot learns what happens in its rooms.
//
//   - Sandbox (local mode): the sandbox sends signed webhooks to this
//     process's own listener; its key document is the sandbox's.
//   - Real RealtimeKit with an https http.public_url: one webhook for
//     <public_url>/realtimekit/webhooks is registered (found by URL,
//     updated if it differs, created if absent) and received.
//   - Real RealtimeKit without one (Socket Mode, the Discord gateway):
//     the leader polls the active session of each open room about once a
//     minute, in the API budget's background share.
//
// Either way the events reach core's RoomEventHandler.

// validateRoomEvents checks realtimekit.webhook_key_url.
func (c Config) validateRoomEvents(add func(format string, args ...any)) {
	if c.RealtimeKit.Sandbox {
		return
	}
	if u, err := url.Parse(c.RealtimeKit.WebhookKeyURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		add("realtimekit.webhook_key_url: %q must be an absolute URL (default %s)", c.RealtimeKit.WebhookKeyURL, webhook.DefaultKeyURL)
	}
}

// roomEventNotes are what check-config says about room events without
// calling the config invalid: a public URL RealtimeKit cannot deliver to.
func (c Config) roomEventNotes() []string {
	if c.RealtimeKit.Sandbox {
		return nil
	}
	switch u := c.HTTP.PublicURL; {
	case u == "":
		return []string{"http.public_url is not set: RealtimeKit webhooks cannot reach meetbot, so it polls each open room's active session about once a minute (cards go live and end with up to a minute's delay; no recordings or summaries)"}
	case !strings.HasPrefix(strings.ToLower(u), "https://"):
		return []string{fmt.Sprintf("http.public_url %q is not https: RealtimeKit webhooks need https, so meetbot polls active sessions instead (no recordings or summaries)", u)}
	}
	return nil
}

// webhookMode reports whether real RealtimeKit can deliver webhooks here.
func (c Config) webhookMode() bool {
	return !c.RealtimeKit.Sandbox && strings.HasPrefix(strings.ToLower(c.HTTP.PublicURL), "https://")
}

// wireRoomEvents sets up the webhook receiver or the poller and starts
// their loops (stopped by shutdown before the card flush, or by close,
// before the store closes). It returns the
// webhook endpoint for the web server, nil when webhooks are not used.
func (a *app) wireRoomEvents(ctx context.Context, conf *realtimekit.Client) (http.Handler, error) {
	handler, ok := any(a.svc).(core.RoomEventHandler)
	if !ok {
		a.log.Debug().Msg("this build does not act on room events; webhooks and polling are off")
		return nil, nil
	}
	log := a.log.With().Str("component", "room-events").Logger()
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var loops []func(context.Context) error
	var endpoint http.Handler
	switch {
	case a.sandbox != nil || a.cfg.webhookMode():
		keyURL, hookURL := a.cfg.RealtimeKit.WebhookKeyURL, strings.TrimSuffix(a.cfg.HTTP.PublicURL, "/")+webhook.Path
		if a.sandbox != nil {
			// The sandbox signs with its own key and delivers to this
			// process's listener, whatever public_url says.
			keyURL = a.sandboxRoot + "/.well-known/webhooks.json"
			hookURL = "http://" + loopbackAddr(a.httpLn.Addr()) + webhook.Path
			a.sandbox.SetBaseURL(a.sandboxRoot)
		}
		rc, err := webhook.New(webhook.Options{Inbox: a.store, Handler: handler, KeyURL: keyURL, Logger: log})
		if err != nil {
			cancel()
			return nil, err
		}
		rctx, rcancel := context.WithTimeout(ctx, 15*time.Second)
		res, err := conf.EnsureWebhook(rctx, hookURL, webhook.Events)
		rcancel()
		if err != nil {
			// Deliveries to a webhook registered earlier still arrive; the
			// next start tries again.
			log.Warn().Str("url", hookURL).Str("error", core.ErrorMessage(err)).Msg("RealtimeKit webhook not registered; room events arrive only if it was registered before")
		} else {
			log.Info().Str("action", res.Action).Str("webhook", res.ID).Str("url", hookURL).Int("removed_duplicates", len(res.Removed)).
				Strs("events", webhook.Events).Msg("RealtimeKit webhook registered")
		}
		loops = append(loops, rc.Run)
		endpoint = rc
	default:
		p, err := core.NewRoomPoller(core.RoomPollerOptions{Rooms: a.store, Insight: conf, Handler: handler,
			Leading: a.sched.Leading, Logger: log})
		if err != nil {
			cancel()
			return nil, err
		}
		log.Info().Dur("every", core.DefaultRoomPollEvery).Msg("no https public_url: polling active sessions of open rooms instead of webhooks")
		loops = append(loops, p.Run)
	}
	done := make(chan struct{}, len(loops))
	for _, run := range loops {
		go func() {
			defer func() { done <- struct{}{} }()
			_ = run(loopCtx)
		}()
	}
	a.stopRoomEvents = sync.OnceFunc(func() {
		cancel()
		for range loops {
			<-done
		}
	})
	a.closers = append(a.closers, func() error { a.stopRoomEvents(); return nil })
	return endpoint, nil
}

// roomDriver is the console's ":join" / ":leave": the sandbox in local
// mode, none otherwise (a nil interface, not a nil *sandbox.Server).
func (a *app) roomDriver() console.RoomDriver {
	if a.sandbox == nil {
		return nil
	}
	return a.sandbox
}

// loopbackAddr is where this process's listener is reached from the same
// machine: an unspecified host (0.0.0.0, ::) becomes 127.0.0.1.
func loopbackAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
