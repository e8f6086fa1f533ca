package main

import (
	"io"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// isTerminal reports whether v (stdin, stdout or stderr) is an interactive
// terminal: the console prompts only then (otherwise it reads a script to
// its end), and console-format logs are coloured only then. A file, a
// pipe, /dev/null or a journal is not one, whatever its file mode says.
func isTerminal(v any) bool {
	f, ok := v.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// logOutput is where and how log lines are written to w. "console" gives
// human-readable lines, with ANSI colours only when terminal is true, so a
// redirected or piped stderr (a file, a pager, a log collector) never gets
// escape codes. Anything else, "json" being the default of every config
// and of serve, gives one JSON object per line, never coloured.
func logOutput(format string, w io.Writer, terminal bool) io.Writer {
	if format != "console" {
		return w
	}
	return zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly, NoColor: !terminal}
}
