package main

import (
	"context"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/core"
)

// wireSlack mounts the Slack adapter when it is configured and routes Slack
// meetings' reminders to it.
func (a *app) wireSlack(_ context.Context) error {
	cfg := a.cfg.Slack
	if !cfg.Enabled() {
		return nil
	}
	sl := slack.New(slack.Options{
		Service:       a.svc,
		SigningSecret: cfg.SigningSecret,
		Logger:        a.log.With().Str("component", "slack").Logger(),
	})
	sl.Register(a.web.Handle)
	// Deliver answers still on their way through response_url first.
	a.closers = append(a.closers, func() error { sl.Wait(); return nil })
	_ = core.PlatformSlack
	a.log.Info().Msg("Slack endpoints on /slack/commands and /slack/interactions")
	return nil
}
