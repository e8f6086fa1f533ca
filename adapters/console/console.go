// Package console owns the stdin/stdout shell: the whole product without any
// chat credentials. It reads "/meet …" lines, runs them through core/chat
// like a chat adapter would, and prints replies as text or, with JSON set,
// as one JSON object per line (a stable scripting interface, documented in
// the README). Lines starting with ":" are console-only controls for trying
// permissions: ":user NAME", ":channel NAME", ":admin on|off", ":whoami";
// and ":join ID" / ":leave ID" enter and leave a meeting's room in local
// mode, so its card goes live and ends as it would with a browser.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
)

// WorkspaceID is the one workspace the console lives in.
const WorkspaceID = "local"

// maxLine caps one input line; longer lines are answered with an error and
// skipped, never buffered without bound.
const maxLine = 64 * 1024

// Options configure a Console.
type Options struct {
	Service *core.Service
	In      io.Reader
	Out     io.Writer
	// JSON prints one JSON object per line instead of text.
	JSON bool
	// Interactive prints a prompt and a greeting (stdin is a terminal).
	Interactive bool
	// User and Channel are who is typing and where, at start.
	User    string
	Channel string
	// The console reports no zone for the typing person: the machine's zone
	// is the service's configured default (cmd/bot puts it there when the
	// config names none), so a workspace zone set with "/meet settings
	// zone" comes before it, as it does for any member who set none.
	Logger zerolog.Logger
	// Rooms, when set, lets ":join <id>" and ":leave <id>" enter and leave
	// a meeting's room (local mode passes the RealtimeKit sandbox).
	Rooms RoomDriver
}

// Console is one console session.
type Console struct {
	opts    Options
	chat    *chat.Handler
	mu      sync.Mutex // serialises output: replies and events never interleave
	user    string
	channel string
	admins  map[string]bool
	// peers are the devices ":join" put in rooms, by user and meeting.
	peers map[string][]roomPeer
}

// New returns a Console.
func New(opts Options) *Console {
	if opts.User == "" {
		opts.User = "me"
	}
	if opts.Channel == "" {
		opts.Channel = "general"
	}
	return &Console{
		opts:    opts,
		chat:    chat.New(opts.Service),
		user:    opts.User,
		channel: opts.Channel,
		admins:  map[string]bool{},
		peers:   map[string][]roomPeer{},
	}
}

// Run reads lines until the input ends or ctx is done. Every input line
// yields exactly one reply. It returns nil at end of input.
func (c *Console) Run(ctx context.Context) error {
	sc := bufio.NewScanner(c.opts.In)
	sc.Buffer(make([]byte, 4096), maxLine)
	if c.opts.Interactive && !c.opts.JSON {
		c.printText("meetbot local console. Type \"/meet help\" for commands, \":user NAME\" to switch user, Ctrl-D to quit.")
		c.prompt()
	}
	for sc.Scan() {
		if ctx.Err() != nil {
			return nil
		}
		c.emit(c.handle(ctx, sc.Text()))
		c.prompt()
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			c.emit(output{OK: false, Text: "That line is too long (over 64 KiB); the rest of the input was skipped.", Error: &errOut{Code: string(core.EINVALID), Message: "That line is too long (over 64 KiB); the rest of the input was skipped."}})
			return nil
		}
		return fmt.Errorf("read input: %w", err)
	}
	return nil
}

func (c *Console) prompt() {
	if c.opts.Interactive && !c.opts.JSON {
		c.mu.Lock()
		fmt.Fprintf(c.opts.Out, "%s@#%s> ", c.user, c.channel)
		c.mu.Unlock()
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// handle runs one line and returns its single reply.
func (c *Console) handle(ctx context.Context, line string) output {
	line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
	switch {
	case line == "":
		return output{OK: true}
	case strings.HasPrefix(line, ":"):
		return c.control(ctx, line)
	}
	a := c.actor()
	r := c.chat.Handle(ctx, a, line)
	if r.Err != nil && r.Err.Code == core.EINTERNAL {
		c.opts.Logger.Error().Err(r.Err.Err).Str("user", a.User.String()).Str("verb", string(r.Verb)).Msg("command failed")
	}
	return c.toOutput(ctx, r)
}

// actor is the person typing, as core sees them.
func (c *Console) actor() core.Actor {
	return core.Actor{
		User:    core.UserKey{Workspace: core.WorkspaceKey{Platform: core.PlatformConsole, ID: WorkspaceID}, UserID: c.user},
		Name:    c.user,
		Channel: c.channel,
		IsAdmin: c.admins[c.user],
	}
}

// control handles the console-only ":" lines.
func (c *Console) control(ctx context.Context, line string) output {
	verb, arg, _ := strings.Cut(strings.TrimPrefix(line, ":"), " ")
	arg = strings.TrimSpace(arg)
	fail := func(msg string) output {
		return output{OK: false, Text: msg, Error: &errOut{Code: string(core.EINVALID), Message: msg}}
	}
	switch verb {
	case "user":
		arg = strings.TrimPrefix(arg, "@")
		if !nameRE.MatchString(arg) {
			return fail("A user name is 1 to 32 letters, digits, dots, dashes or underscores, for example \":user ana\".")
		}
		c.user = arg
		return output{OK: true, Text: fmt.Sprintf("You are now @%s.", c.user)}
	case "channel":
		arg = strings.TrimPrefix(arg, "#")
		if !nameRE.MatchString(arg) {
			return fail("A channel name is 1 to 32 letters, digits, dots, dashes or underscores, for example \":channel general\".")
		}
		c.channel = arg
		return output{OK: true, Text: fmt.Sprintf("You are now in #%s.", c.channel)}
	case "admin":
		switch arg {
		case "on":
			c.admins[c.user] = true
			return output{OK: true, Text: fmt.Sprintf("@%s is now a workspace admin.", c.user)}
		case "off":
			delete(c.admins, c.user)
			return output{OK: true, Text: fmt.Sprintf("@%s is no longer a workspace admin.", c.user)}
		}
		return fail("Use \":admin on\" or \":admin off\".")
	case "join":
		return c.enterRoom(ctx, arg)
	case "leave":
		return c.leaveRoom(arg)
	case "whoami":
		role := ""
		if c.admins[c.user] {
			role = " (workspace admin)"
		}
		return output{OK: true, Text: fmt.Sprintf("You are @%s%s in #%s.", c.user, role, c.channel)}
	}
	return fail(fmt.Sprintf("Unknown console command %q. Use \":user NAME\", \":channel NAME\", \":admin on|off\", \":join ID\", \":leave ID\" or \":whoami\".", ":"+verb))
}
