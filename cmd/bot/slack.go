package main

import (
	"context"
	"crypto/rand"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/adapters/slack/install"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/seal"
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
	tokens, err := a.slackTokens(log)
	if err != nil {
		return err
	}
	if tokens != nil {
		opts.Tokens = tokens
		// Learn the bot token's workspace now, not inside the first
		// command's 3 seconds; a failure is retried on first use.
		pctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := tokens.Prepare(pctx); err != nil {
				log.Warn().Err(err).Msg("could not check the Slack bot token yet; the first command will try again")
			}
		}()
		a.closers = append(a.closers, func() error { stop(); <-done; return nil })
	} else {
		log.Warn().Msg("Slack has no bot token (slack.bot_token or OAuth installs): commands are answered, but no cards, reminders or DMs are posted")
	}
	var events *install.Handler
	if tokens != nil {
		// Events reach this handler over HTTP (with a signing secret) or
		// over Socket Mode, so an uninstall is acted on either way.
		if events, err = a.slackInstall(ctx, tokens, log); err != nil {
			return err
		}
		opts.Events = events.HandleEvent
	}
	sl := slack.New(opts)
	if cfg.SigningSecret != "" {
		sl.Register(a.web.Handle)
		log.Info().Msg("Slack endpoints on /slack/commands and /slack/interactions")
	}
	if events != nil {
		events.Register(a.web.Handle)
		if cfg.ClientID != "" {
			log.Info().Str("install_url", a.cfg.HTTP.PublicURL+install.InstallPath).Msg("Slack OAuth installs open")
		}
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

// slackTokens returns where the Slack adapter gets bot tokens: the one
// configured token (only ever handed to its own team), or the sealed
// tokens of OAuth installs. nil when neither is configured.
func (a *app) slackTokens(log zerolog.Logger) (*install.Tokens, error) {
	cfg := a.cfg.Slack
	switch {
	case cfg.BotToken != "":
		return install.NewTokens(install.TokensOptions{BotToken: cfg.BotToken, APIURL: cfg.APIURL, Logger: log})
	case cfg.ClientID != "":
		key, err := seal.ParseKey(a.cfg.Storage.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("storage.encryption_key: %w", err)
		}
		box, err := seal.New(key)
		if err != nil {
			return nil, err
		}
		return install.NewTokens(install.TokensOptions{Store: a.store, Box: box, PublicURL: a.cfg.HTTP.PublicURL, Logger: log})
	}
	return nil, nil
}

// slackInstall builds the OAuth install flow (when a client id is set) and
// the Events API handler, which forgets a workspace's token when the app is
// uninstalled or its tokens are revoked.
func (a *app) slackInstall(ctx context.Context, tokens *install.Tokens, log zerolog.Logger) (*install.Handler, error) {
	cfg := a.cfg.Slack
	o := install.Options{
		Tokens:        tokens,
		Once:          a.store,
		APIURL:        cfg.APIURL,
		SigningSecret: cfg.SigningSecret,
		PublicURL:     a.cfg.HTTP.PublicURL,
		Logger:        log,
		// Per-address install limits see the proxy's view when trusted.
		TrustForwardedFor: a.cfg.HTTP.TrustForwardedFor,
	}
	if cfg.ClientID != "" {
		// The state key lives in the store so every replica accepts the
		// states the others hand out.
		key, err := a.store.Secret(ctx, "slack-oauth-state", func() ([]byte, error) {
			b := make([]byte, 32)
			_, err := rand.Read(b)
			return b, err
		})
		if err != nil {
			return nil, fmt.Errorf("load the OAuth state key: %w", err)
		}
		o.ClientID, o.ClientSecret, o.StateKey = cfg.ClientID, cfg.ClientSecret, key
	}
	return install.New(o)
}
