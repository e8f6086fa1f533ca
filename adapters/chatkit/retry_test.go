package chatkit

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/meetbot/meetbot/core"
)

// limitErr is a platform's rate-limit error whose text holds a secret URL.
type limitErr struct{ wait time.Duration }

func (e limitErr) Error() string { return "rate limited on https://api.test/webhooks/1/SECRET" }

func limited(err error) (time.Duration, bool) {
	if le, ok := errors.AsType[limitErr](err); ok {
		return le.wait, true
	}
	return 0, false
}

// callsFailing returns a call that fails with errs in turn, then succeeds,
// and the count of calls made.
func callsFailing(errs ...error) (func() error, *int) {
	n := 0
	return func() error {
		n++
		if n <= len(errs) {
			return errs[n-1]
		}
		return nil
	}, &n
}

// TestRetryWaitsAsAsked: each rate limit is waited out for exactly the
// time asked, and then the call goes through.
func TestRetryWaitsAsAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		call, n := callsFailing(limitErr{time.Second}, limitErr{2 * time.Second})
		start := time.Now()
		if err := (Retry{Limited: limited}).Do(t.Context(), call); err != nil {
			t.Fatal(err)
		}
		if *n != 3 || time.Since(start) != 3*time.Second {
			t.Fatalf("%d calls in %v, want 3 in 3s", *n, time.Since(start))
		}
	})
}

// TestRetryGivesUp: after Retries more tries, on a wait over MaxWait, or
// on one that would pass the context's deadline, Do fails at once with
// EUNAVAILABLE carrying the wait; the platform's error stays reachable
// with errors.As, but its text (a URL with a token) is not in the error.
func TestRetryGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := Retry{Limited: limited, Busy: "Busy; try again in a moment.", Retries: 2, MaxWait: 10 * time.Second}
		check := func(name string, err error, wantWait time.Duration) {
			t.Helper()
			e, ok := core.AsError(err)
			if !ok || e.Code != core.EUNAVAILABLE || e.RetryAfter != wantWait || e.Message != r.Busy {
				t.Fatalf("%s: %v", name, err)
			}
			if _, ok := errors.AsType[limitErr](err); !ok || strings.Contains(err.Error(), "SECRET") {
				t.Fatalf("%s: cause lost or leaked: %v", name, err)
			}
		}
		l := limitErr{time.Second}
		call, n := callsFailing(l, l, l, l)
		start := time.Now()
		check("tries", r.Do(t.Context(), call), time.Second)
		if *n != 3 || time.Since(start) != 2*time.Second {
			t.Fatalf("tries: %d calls in %v, want 3 in 2s", *n, time.Since(start))
		}

		call, n = callsFailing(limitErr{11 * time.Second})
		start = time.Now()
		check("cap", r.Do(t.Context(), call), 11*time.Second)
		if *n != 1 || time.Since(start) != 0 {
			t.Fatalf("cap: %d calls in %v", *n, time.Since(start))
		}

		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		call, n = callsFailing(limitErr{6 * time.Second})
		check("deadline", r.Do(ctx, call), 6*time.Second)
		if *n != 1 || time.Since(start) != 0 {
			t.Fatalf("deadline: %d calls in %v", *n, time.Since(start))
		}
	})
}

// TestRetryPassesOtherErrors: an error that is not a rate limit is the
// call's answer, as it is, with no retry.
func TestRetryPassesOtherErrors(t *testing.T) {
	boom := errors.New("boom")
	call, n := callsFailing(boom)
	if err := (Retry{Limited: limited}).Do(t.Context(), call); err != boom || *n != 1 {
		t.Fatalf("Do = %v after %d calls", err, *n)
	}
}

// TestRetryStopsWithContext: a context cancelled during the wait ends it
// with the rate-limit error rather than another call.
func TestRetryStopsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		call, n := callsFailing(limitErr{time.Second})
		go func() { time.Sleep(500 * time.Millisecond); cancel() }()
		err := (Retry{Limited: limited}).Do(ctx, call)
		if core.ErrorCode(err) != core.EUNAVAILABLE || !errors.Is(err, context.Canceled) || *n != 1 {
			t.Fatalf("Do = %v after %d calls", err, *n)
		}
	})
}
