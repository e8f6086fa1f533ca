package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

// lingerOptions is what serveWhileOpen needs: where the meetings are, the
// clock that says what time it is (waits are on the standard library's
// timers, which tests run inside a testing/synctest bubble),
// where to say so and what to name in that line.
type lingerOptions struct {
	// Open returns the ids of the meetings whose join window is open now
	// and when the last of those windows closes (core.Service.OpenWindows
	// for the console's workspace).
	Open  func(ctx context.Context) ([]string, time.Time, error)
	Clock core.Clock
	Out   io.Writer
	URL   string // where join links are served
	Zone  string // IANA zone the closing time is written in
}

// serveWhileOpen keeps the process, and so the web server behind the join
// links it printed, running after piped input ended, for as long as a
// meeting's join window is open: a link from `printf '/meet now x\n/meet
// join\n' | bot` then works until that window closes. It says so in one
// line (with how to stop sooner), then returns when no window is open any
// more or ctx ends (Ctrl-C). With no window open it returns at once,
// silently.
func serveWhileOpen(ctx context.Context, o lingerOptions) error {
	ids, until, err := o.Open(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	what := "meeting " + ids[0] + " is"
	if len(ids) > 1 {
		what = "meetings " + strings.Join(ids, ", ") + " are"
	}
	fmt.Fprintf(o.Out, "End of input: still serving join links on %s while %s open (until %s). Press Ctrl-C to stop sooner.\n",
		o.URL, what, core.ClockTime(until, o.Zone, o.Clock.Now()))
	for {
		t := time.NewTimer(until.Sub(o.Clock.Now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		// A window may have opened meanwhile (the next meeting), or the
		// open one been moved: look again rather than trust the first answer.
		if ids, until, err = o.Open(ctx); err != nil || len(ids) == 0 {
			return err
		}
	}
}

// pipedFile reports whether stdin is a file of this process (a pipe or a
// redirect) and not a terminal: only then does someone outside rely on the
// process staying up after the input ends. A caller that hands run an
// in-memory reader (tests, embedding) gets the console's plain end.
func pipedFile(stdin io.Reader) bool {
	_, ok := stdin.(*os.File)
	return ok && !isTerminal(stdin)
}
