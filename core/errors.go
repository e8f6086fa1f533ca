package core

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error so that every adapter can map it to a reply and an
// HTTP status in one place, without looking at the error text.
type Code string

// The error codes. Adapters switch on these; the set is closed on purpose so a
// new failure mode has to pick the closest existing meaning.
const (
	EINVALID     Code = "invalid"     // the user's input is wrong; the message says how to fix it
	ENOTFOUND    Code = "not_found"   // no such meeting (or not visible to this user)
	EFORBIDDEN   Code = "forbidden"   // the user may not do this
	ECONFLICT    Code = "conflict"    // the record changed underneath; retry
	ETOOEARLY    Code = "too_early"   // the join window has not opened yet
	EENDED       Code = "ended"       // the meeting ended or was cancelled
	EUNAVAILABLE Code = "unavailable" // a dependency (the video service) is down or busy; retry later
	EINTERNAL    Code = "internal"    // a bug or an unexpected failure; logged at the edge
)

// Error is an error meant to be shown to a user. Message is one plain sentence
// (or two) that says what was wrong and how to fix it. The optional fields
// carry facts an adapter may render in its own way (local time, countdown).
type Error struct {
	Code    Code
	Message string

	// OpensAt is set with ETOOEARLY: when the join window opens.
	OpensAt time.Time
	// EndedAt is set with EENDED when the meeting ran its course.
	EndedAt time.Time
	// CancelledBy is set with EENDED when the meeting was cancelled.
	CancelledBy string
	// RetryAfter is set with EUNAVAILABLE when the dependency told us how long to wait.
	RetryAfter time.Duration

	// Err is the underlying cause, kept for logs; it is never shown to users.
	Err error
}

// Error implements error. It returns the user-facing message, plus the cause
// for logs when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap exposes the cause to errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a formatted user-facing message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error that keeps err as its cause (for logs) and shows msg to
// the user.
func Wrap(code Code, err error, msg string) *Error {
	return &Error{Code: code, Message: msg, Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for
// any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err. Errors that are not
// *Error (bugs, I/O failures) get a generic sentence, because their text may
// hold details that must not reach a chat channel.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok && e.Code != EINTERNAL {
		return e.Message
	}
	return "Something went wrong on our side. Please try again; if it keeps happening, tell your workspace admin."
}

// AsError returns the first *Error in err's chain.
func AsError(err error) (*Error, bool) {
	return errors.AsType[*Error](err)
}
