package core

import "time"

// Observer is told of the events an operator counts, times and alerts on:
// commands, join-link opens, calls to the video service, scheduler runs,
// notifier posts and webhook events. It is a port so that core stays free
// of any metrics library; adapters/metrics implements it on Prometheus.
//
// Every argument is drawn from a small fixed set (platform names, command
// verbs, error codes, job kinds, operation names, HTTP status codes), never
// an id or text a person typed, so an implementation can use them as label
// values without the number of series growing with the data. Methods are
// called on hot paths and from many goroutines at once: they must be cheap
// and safe for concurrent use, and must not block.
type Observer interface {
	// CommandDone reports one chat command handled for a person on
	// platform: verb is the command ("schedule", "list"; "unknown" when the
	// line did not parse), outcome is "ok" or the error code it failed
	// with (see Outcome).
	CommandDone(platform Platform, verb, outcome string, took time.Duration)
	// JoinOpened reports one opening of a personal join link and how long
	// core took to answer it.
	JoinOpened(outcome JoinOutcome, took time.Duration)
	// ConferenceCall reports one call to the video service: op names the
	// operation ("create_meeting"), status is the last HTTP status as a
	// decimal string, or "error" when no answer came at all.
	ConferenceCall(op, status string, took time.Duration)
	// JobRun reports one run of a due job: outcome is "done", "retried"
	// or "given_up", lag is how long after its due time the run finished.
	JobRun(kind JobKind, outcome string, lag time.Duration)
	// NotifierPost reports one post to a chat platform: kind is "reminder"
	// or "announcement", outcome "ok" or an error code.
	NotifierPost(platform Platform, kind, outcome string)
	// WebhookEvent reports one webhook delivery from the video service:
	// event is its type ("meeting.started"; "unknown" for types meetbot
	// does not know), outcome "accepted", "duplicate" or "rejected".
	WebhookEvent(event, outcome string)
}

// JoinOutcome is what opening a personal join link came to.
type JoinOutcome string

// The join outcomes. Together they are every answer a link can get, so the
// issued share of all opens is the health of the join path.
const (
	// JoinIssued: inside the window; the page carries a participant token.
	JoinIssued JoinOutcome = "issued"
	// JoinTooEarly: before the window; the page counts down.
	JoinTooEarly JoinOutcome = "too_early"
	// JoinEnded: the occurrence is over or the meeting was cancelled.
	JoinEnded JoinOutcome = "ended"
	// JoinRefused: a forged, expired, foreign or removed person's link.
	JoinRefused JoinOutcome = "refused"
	// JoinUnavailable: the video service or the store could not answer.
	JoinUnavailable JoinOutcome = "unavailable"
	// JoinFailed: an internal error (a bug, or a broken record).
	JoinFailed JoinOutcome = "error"
)

// joinOutcomeOf classifies what OpenLink returned.
func joinOutcomeOf(page *JoinPage, err error) JoinOutcome {
	if err == nil {
		if page != nil && page.Phase == PhaseBefore {
			return JoinTooEarly
		}
		return JoinIssued
	}
	switch ErrorCode(err) {
	case EENDED:
		return JoinEnded
	case ETOOEARLY:
		return JoinTooEarly
	case EUNAVAILABLE:
		return JoinUnavailable
	case EINTERNAL:
		return JoinFailed
	default:
		return JoinRefused
	}
}

// Outcome is the outcome label of err: "ok" for nil, else its error code
// ("invalid", "unavailable", ...; "internal" for an uncoded error).
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return string(ErrorCode(err))
}

// NopObserver observes nothing; it is what a Service without Deps.Observer
// uses, so callers never check for nil.
type NopObserver struct{}

var _ Observer = NopObserver{}

// CommandDone implements Observer.
func (NopObserver) CommandDone(Platform, string, string, time.Duration) {}

// JoinOpened implements Observer.
func (NopObserver) JoinOpened(JoinOutcome, time.Duration) {}

// ConferenceCall implements Observer.
func (NopObserver) ConferenceCall(string, string, time.Duration) {}

// JobRun implements Observer.
func (NopObserver) JobRun(JobKind, string, time.Duration) {}

// NotifierPost implements Observer.
func (NopObserver) NotifierPost(Platform, string, string) {}

// WebhookEvent implements Observer.
func (NopObserver) WebhookEvent(string, string) {}

// Observer returns the Service's observer (Deps.Observer, or a NopObserver),
// so adapters that handle commands report them to the same place.
func (s *Service) Observer() Observer { return s.obs }

// PendingJobCounter is an optional face of a store: the number of due
// jobs not yet done, by kind, read from counts the store keeps as it
// writes (never by scanning the jobs), so a metrics scrape may ask for it
// at any rate. storage/bolt implements it; a store that does not is simply
// not shown in meetbot_scheduler_jobs_pending.
type PendingJobCounter interface {
	PendingJobs() map[JobKind]int
}

// JobKinds lists every due-job kind, for the metrics and store counts that
// report each kind, 0 included. A new kind must be added here.
func JobKinds() []JobKind {
	return []JobKind{JobRemind, JobOpen, JobClose, JobProvision, JobRevoke, JobRoom}
}
