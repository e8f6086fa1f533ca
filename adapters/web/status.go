package web

import (
	"errors"
	"math"
	"net/http"
	"time"

	"github.com/meetbot/meetbot/core"
)

// StatusFor is the single place where core error codes become HTTP statuses.
// Handlers never look at error text, so a reworded message can't change a
// status, and a new endpoint gets the same answers as the join page.
//
// ETOOEARLY maps to 409 rather than 425: 425 is defined for requests sent
// in TLS early data, and clients may retry it blindly; "the meeting is not
// open yet" is a conflict with the resource's current state. EINVALID is
// 400; an expired join link is refined to 410 by StatusForError, which can
// see the error's cause. EUNAVAILABLE is 503; callers add Retry-After (see retryAfterSeconds).
// Anything unknown, including a nil error's empty code, is 500, so a missing
// case fails loudly instead of looking like success.
func StatusFor(code core.Code) int {
	switch code {
	case core.EINVALID:
		return http.StatusBadRequest
	case core.EFORBIDDEN:
		return http.StatusForbidden
	case core.ENOTFOUND:
		return http.StatusNotFound
	case core.ETOOEARLY, core.ECONFLICT:
		return http.StatusConflict
	case core.EENDED:
		return http.StatusGone
	case core.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// StatusForError is StatusFor applied to err's code, with one refinement
// that needs the error itself: an authentic join link that has expired
// (core.ErrLinkExpired, a typed cause, not text) is 410 Gone rather than 400,
// because the link is permanently used up while a forged one is simply bad.
func StatusForError(err error) int {
	if errors.Is(err, core.ErrLinkExpired) {
		return http.StatusGone
	}
	return StatusFor(core.ErrorCode(err))
}

// defaultRetryAfter is what a 503 asks for when the video service gave no
// hint: long enough not to hammer a struggling upstream, short enough that a
// person waiting to join will try again.
const defaultRetryAfter = 30 * time.Second

// retryAfterSeconds returns the whole seconds to send in Retry-After for an
// EUNAVAILABLE error: the upstream's own hint when core carried one, else
// defaultRetryAfter, clamped to [1 s, 1 h] so a bogus hint can't tell
// clients to never come back.
func retryAfterSeconds(err error) int {
	d := defaultRetryAfter
	if e, ok := core.AsError(err); ok && e.RetryAfter > 0 {
		d = e.RetryAfter
	}
	secs := int(math.Ceil(d.Seconds()))
	return min(max(secs, 1), 3600)
}
