package main

import (
	"context"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/core"
)

// wireSlack mounts the Slack adapter when it is configured, routes Slack
// meetings' reminders and card updates to it, and connects Socket Mode when
// an app-level token is set.
func (a *app) wireSlack(ctx context.Context) error {
	cfg := a.cfg.Slack
	if !cfg.Enabled() {
		return nil
	}
	log := a.log.With().Str("component", "slack").Logger()
	opts := slack.Options{
		Service:       a.svc,
		SigningSecret: cfg.SigningSecret,
		Logger:        log,
		APIURL:        cfg.APIURL,
		Store:         a.store,
	}
	if cfg.BotToken != "" {
		opts.Tokens = slack.StaticToken(cfg.BotToken)
	}
	// TODO(install): when cfg.ClientID is set, build install.NewTokens over
	// a.store (sealed with storage.encryption_key) and set opts.Tokens to
	// it; register install.Handler's routes (GET /slack/install, GET
	// /slack/oauth/callback, POST /slack/events) with a.web.Handle, and set
	// opts.Events = handler.HandleEvent so events over Socket Mode reach it.
	sl := slack.New(opts)
	if cfg.SigningSecret != "" {
		sl.Register(a.web.Handle)
		log.Info().Msg("Slack endpoints on /slack/commands and /slack/interactions")
	}
	a.notify.set(core.PlatformSlack, sl)
	// Deliver answers still on their way through response_url first.
	a.closers = append(a.closers, func() error { sl.Wait(); return nil })
	if cfg.AppToken != "" {
		sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := sl.RunSocketMode(sctx, cfg.AppToken); err != nil {
				log.Error().Err(err).Msg("Slack Socket Mode stopped; commands from Slack are not received until restart")
			}
		}()
		a.closers = append(a.closers, func() error { stop(); <-done; return nil })
		log.Info().Msg("Slack Socket Mode connecting")
	}
	return nil
}
