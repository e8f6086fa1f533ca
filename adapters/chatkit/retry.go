package chatkit

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
)

// Retry waits out a platform's rate limit: a call answered "too many
// requests" is tried again after the wait the platform asks for, at most
// Retries more times, never waiting longer than MaxWait and never past
// the context's deadline. When it gives up on a rate limit the call fails
// with an EUNAVAILABLE *core.Error carrying the wait (RetryAfter), so the
// scheduler retries the job later and a person reads a plain sentence.
type Retry struct {
	// Limited reports whether err is the platform's rate limit and how
	// long it asks to wait (the platform's own default when it named
	// none). Required.
	Limited func(err error) (wait time.Duration, ok bool)
	// Busy is the sentence shown when the limit outlasts what Retry waits
	// for, e.g. "Slack is rate limiting meetbot; please try again in a
	// moment."
	Busy string
	// Retries is how many times a limited call is tried again; default
	// DefaultRetries.
	Retries int
	// MaxWait is the longest wait honoured in place; default
	// DefaultMaxRateWait.
	MaxWait time.Duration
	// Sleep waits d or until ctx ends; default a timer. Tests record the
	// waits instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger notes each wait.
	Logger zerolog.Logger
}

// Do runs call, and again after each rate limit as Retry describes. An
// error that is not a rate limit is returned as it is.
func (r Retry) Do(ctx context.Context, call func() error) error {
	sleep := r.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	for attempt := 0; ; attempt++ {
		err := call()
		if err == nil {
			return nil
		}
		wait, limited := r.Limited(err)
		if !limited {
			return err
		}
		dl, hasDeadline := ctx.Deadline()
		if attempt >= Or(r.Retries, DefaultRetries) || wait > Or(r.MaxWait, DefaultMaxRateWait) ||
			hasDeadline && time.Until(dl) < wait {
			return r.busy(wait, err, nil)
		}
		r.Logger.Warn().Dur("retry_after", wait).Int("attempt", attempt+1).Msg("rate limited; waiting as asked")
		if serr := sleep(ctx, wait); serr != nil {
			return r.busy(wait, err, serr)
		}
	}
}

// busy is the error of a call the rate limit outlasted; waitErr is why
// the wait itself ended early (the context's error), if it did.
func (r Retry) busy(wait time.Duration, err, waitErr error) error {
	e := core.Wrap(core.EUNAVAILABLE, limitedError{wait: wait, err: err, waitErr: waitErr}, r.Busy)
	e.RetryAfter = wait
	return e
}

// limitedError keeps the platform's rate-limit error (and the context's,
// when it cut the wait short) for errors.Is and As, while its text holds
// no request URL: some platforms put tokens in theirs.
type limitedError struct {
	wait    time.Duration
	err     error
	waitErr error
}

func (e limitedError) Error() string {
	if e.waitErr != nil {
		return fmt.Sprintf("rate limited (asked to wait %s): %v", e.wait, e.waitErr)
	}
	return fmt.Sprintf("rate limited (asked to wait %s)", e.wait)
}

func (e limitedError) Unwrap() []error {
	if e.waitErr != nil {
		return []error{e.err, e.waitErr}
	}
	return []error{e.err}
}

// Sleep waits d or until ctx ends, returning ctx's error then.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
