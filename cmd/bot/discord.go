package main

import (
	"context"
	"fmt"
	"sync"

	dg "github.com/bwmarrin/discordgo"
	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/core"
)

// discordOptions are the adapter's options from the config.
func discordOptions(cfg DiscordConfig) discord.Options {
	return discord.Options{
		BotToken:      cfg.BotToken,
		ApplicationID: cfg.ApplicationID,
		PublicKey:     cfg.PublicKey,
		APIURL:        cfg.APIURL,
		MirrorEvents:  cfg.MirrorEvents,
	}
}

// gatewayOn reports whether to connect to Discord's gateway: with a bot
// token, unless discord.gateway is false.
func gatewayOn(cfg DiscordConfig) bool {
	return cfg.BotToken != "" && (cfg.Gateway == nil || *cfg.Gateway)
}

// wireDiscord starts the Discord adapter when it is configured and routes
// Discord meetings' reminders to it: the HTTP interactions endpoint with a
// public key, the gateway with a bot token (unless turned off).
func (a *app) wireDiscord(_ context.Context) error {
	cfg := a.cfg.Discord
	if !cfg.Enabled() {
		return nil
	}
	o := discordOptions(cfg)
	o.Service, o.Store = a.svc, a.store
	o.Logger = a.log.With().Str("component", "discord").Logger()
	routeDiscordgoLogs(o.Logger)
	dc, err := discord.New(o)
	if err != nil {
		return err
	}
	// Closed before the store (closers run last-in first-out), after the
	// web server stopped taking interactions.
	a.closers = append(a.closers, dc.Close)
	if cfg.PublicKey != "" {
		dc.Register(a.web.Handle)
		a.log.Info().Msg("Discord interactions endpoint on /discord/interactions")
	}
	if gatewayOn(cfg) {
		if err := dc.OpenGateway(); err != nil {
			return fmt.Errorf("connect to the Discord gateway (check discord.bot_token): %w", err)
		}
		a.log.Info().Msg("Discord gateway connected")
	}
	a.notify.set(core.PlatformDiscord, dc)
	return nil
}

var discordgoLogs sync.Once

// routeDiscordgoLogs sends discordgo's own log lines (gateway reconnects,
// rate-limit waits) to our logger instead of the standard log package.
// discordgo has one package-wide hook, so the first app's logger wins.
func routeDiscordgoLogs(log zerolog.Logger) {
	discordgoLogs.Do(func() {
		log = log.With().Str("source", "discordgo").Logger()
		dg.Logger = func(level, _ int, format string, args ...any) {
			ev := log.Debug()
			switch level {
			case dg.LogError:
				ev = log.Error()
			case dg.LogWarning:
				ev = log.Warn()
			case dg.LogInformational:
				ev = log.Info()
			}
			ev.Msgf(format, args...)
		}
	})
}
