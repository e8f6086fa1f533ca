package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/meetbot/meetbot/adapters/discord"
)

// runRegisterCommands implements "bot register-commands [--guild ID]
// --config FILE": it overwrites the Discord application's command set with
// /meet, in one guild (available at once, for testing) or globally.
// Overwriting is idempotent, so running it again is safe.
func runRegisterCommands(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := newFlagSet("register-commands", stderr)
	path := fs.String("config", "", "config file with discord.bot_token and discord.application_id")
	guild := fs.String("guild", "", "guild (server) id; without it the commands are registered globally")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *path == "" {
		return usageError{errors.New("--config FILE is required (it holds discord.bot_token and discord.application_id)")}
	}
	if g := *guild; g != "" && (len(g) > 20 || strings.Trim(g, "0123456789") != "") {
		return usageError{fmt.Errorf("--guild %q is not a server id; copy it with Developer Mode on (right-click the server → Copy Server ID)", g)}
	}
	cfg, err := loadOrLocal(*path, getenv)
	if err != nil {
		return err
	}
	d := cfg.Discord
	if d.BotToken == "" || d.ApplicationID == "" {
		return errors.New("set discord.bot_token and discord.application_id in the config to register commands")
	}
	o := discordOptions(d)
	o.Logger = newLogger(cfg.Log, stderr)
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmds, err := discord.RegisterCommands(rctx, o, *guild)
	if err != nil {
		return fmt.Errorf("register the Discord commands: %w", err)
	}
	where := "globally (Discord may take up to an hour to show them everywhere)"
	if *guild != "" {
		where = "in guild " + *guild + " (available now)"
	}
	fmt.Fprintf(stdout, "Registered %d command(s) %s.\n", len(cmds), where)
	return nil
}
