package chatkit

import "time"

// The defaults every chat adapter shares, in one place so the platforms
// cannot drift apart. Each is what an adapter option means when left zero.
const (
	// DefaultAckWait is how long an answer may take before the request is
	// deferred: inside the 3 seconds Slack and Discord allow, with room
	// for the answer's own trip.
	DefaultAckWait = 2500 * time.Millisecond
	// DefaultWorkTimeout bounds a command's work once acknowledged, and
	// separately the delivery of its follow-up.
	DefaultWorkTimeout = 30 * time.Second
	// DefaultDedupeTTL is how long a delivery is remembered, longer than
	// any platform retries or a signed request stays replayable.
	DefaultDedupeTTL = 10 * time.Minute
	// DefaultMaxBody caps a request body; larger ones get 413 before
	// anything is parsed.
	DefaultMaxBody int64 = 64 << 10
	// DefaultMaxRateWait is the longest Retry-After waited for in place;
	// a longer one fails the call so the scheduler retries later.
	DefaultMaxRateWait = 30 * time.Second
	// DefaultRetries is how many times a rate-limited call is tried again.
	DefaultRetries = 3
	// LostFor is how long a channel (or token) that posts cannot reach is
	// left alone: long enough that a removed bot logs once an hour, not
	// once per reminder; short enough that reminders resume by themselves
	// once an admin gives access back.
	LostFor = time.Hour
	// MaxRemembered bounds every in-memory set of this package's users
	// (lost channels, deliveries), so a flood of distinct keys cannot
	// grow memory without limit.
	MaxRemembered = 100_000
)

// Or returns v, or def when v is zero or negative: an option left unset
// takes its default.
func Or[T ~int | ~int64 | ~float64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
