// Package recur owns recurrence for meetbot: reading the phrases people type
// ("weekdays", "every 2 weeks on tue,thu", "monthly on the 15th"), checking
// RRULE bodies, describing them back in plain words, and expanding a rule
// into the instants a series starts at, in the zone it was written in.
//
// A series is stored as three things: an RRULE body such as
// "FREQ=WEEKLY;BYDAY=MO", the first start, and an IANA zone. The first
// start's wall clock in that zone is the DTSTART, never a UTC instant, so a
// 09:30 meeting stays at 09:30 local time across daylight-saving changes.
//
// Expansion uses github.com/teambition/rrule-go for the calendar rules, but
// runs it on wall-clock values in UTC (which has no clock changes) and turns
// each wall time into an instant with Date. The library, like time.Date,
// would put a 02:30 meeting on a spring-forward day at 01:30, an hour early;
// Date puts it at 03:30 as RFC 5545 asks.
//
// The package is a leaf (it imports nothing from meetbot) so that core, the
// command grammar, the time parser and the calendar export can all share it.
// Its errors are plain errors whose text is one sentence meant for the person
// who typed the rule, ending with an example that works.
package recur

import (
	"errors"
	"fmt"
)

// MaxCount is the largest COUNT a series may have. A thousand meetings is
// nearly four years of weekdays; more is almost certainly a typo.
const MaxCount = 1000

// MaxInterval is the largest INTERVAL accepted ("every 366 days").
const MaxInterval = 366

// maxRuleLen caps the RRULE text read. Real rules are a few dozen bytes.
const maxRuleLen = 300

// exampleRule is the rule most error messages offer; it validates.
const exampleRule = "FREQ=WEEKLY;BYDAY=MO"

// ErrNotRecurrence is returned (wrapped) by ParsePhrase when the words do not
// describe a repetition at all, as opposed to a repetition that was
// understood but cannot be used ("every 0 days"). A caller looking for a
// recurrence inside a longer line keeps searching on the first and reports
// the second.
var ErrNotRecurrence = errors.New("not a recurrence phrase")

// userError is an error whose text is meant for people as it is.
func userError(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}
