// Package chatkit holds what every chat adapter needs besides its
// platform's wire format, so Slack, Discord and the next platform behave
// alike and are fixed in one place:
//
//   - Answer and Deadline: answer within the platform's deadline, or
//     acknowledge ("defer") and deliver the result as a follow-up.
//   - Dedupe: a delivery (a platform retry, a replay, a gateway event seen
//     by two replicas) runs once, recorded in core.OnceStore. Its one
//     failure policy: a store that cannot record the delivery refuses it
//     with a plain sentence (an EUNAVAILABLE *core.Error), so a command
//     never runs twice and is never dropped without a word; the person
//     tries again.
//   - Set: a bounded, expiring set, for channels (and tokens) that posts
//     cannot reach, so their reminders pause with one log line and resume
//     on their own; MemoryOnce is a core.OnceStore on it for a single
//     process without a shared store.
//   - Retry: waits out a rate limit's Retry-After, a few times, never
//     longer than a cap and never past the context's deadline; beyond
//     that the call fails with EUNAVAILABLE carrying the wait, for the
//     scheduler to retry later.
//   - Group: counts the work that outlives its request, refuses new
//     requests once draining and lets shutdown wait for the rest (Drain).
//   - Text: fits user text to a platform's length limit on rune
//     boundaries with an ellipsis, escaping it with the platform's escape
//     and never cutting an escape in half.
//
// The package knows no platform: it imports core only, and each adapter
// passes in what differs (the escape function, how a rate limit is
// recognised, what a deferred answer looks like on the wire).
//
// # Adding a platform
//
// A third chat platform is one new package under adapters/ plus a case in
// cmd/bot's wiring. It writes these files, each holding only that
// platform's wire format and calling chatkit for the rest:
//
//   - <platform>.go: the package doc, Options (defaults through Or and
//     the Default* values here) and New, which builds a Deadline, a
//     Dedupe, a Retry, a Set for lost channels and a Group.
//   - transport.go: the platform's request verification (signature,
//     size cap with internal/httpbody) and the entry point every
//     delivery goes through: Group.Enter, Dedupe.First (keyed by the
//     platform's delivery id, SignedKey when there is none), then Answer
//     with the platform's deferred acknowledgement and follow-up.
//   - interact.go: commands and buttons mapped to core/chat lines, and
//     core's replies rendered for the platform.
//   - render.go: cards and texts in the platform's markup, with a Text
//     (its Escape and its way of counting length) for every piece of
//     user text.
//   - notify.go: core.Notifier (Remind, Announce) and, when the platform
//     can edit messages, core.CardKeeper (UpdateCard), with compile-time
//     assertions of both; lost channels go into the Set, REST calls
//     through Retry.Do.
//   - Close or Wait: Group.Drain on shutdown, so answers still on their
//     way are delivered before the store closes.
//   - Tests: a fake of the platform's API and a harness that signs its
//     requests, with chatkittest for the rest (recorded 429 waits, the
//     HTTP exchange, stored meetings) and its contract tests, such as
//     ListOrderAndPrivate, run through the platform's own wire format.
package chatkit
