package core

import (
	"context"
	"errors"
	"strconv"
	"time"
)

// JobKind names what a due job does when its time comes.
type JobKind string

// The due-job kinds.
const (
	// JobRemind posts a reminder Lead before the occurrence starts.
	JobRemind JobKind = "remind"
	// JobOpen sets the room ACTIVE when the join window opens.
	JobOpen JobKind = "open"
	// JobClose kicks everyone and sets the room INACTIVE when it closes.
	JobClose JobKind = "close"
	// JobProvision creates participants for invitees and "yes" RSVPs during
	// the reminder lead time, so a large meeting's start needs no API calls.
	JobProvision JobKind = "provision"
	// JobRevoke deletes the RealtimeKit participants of removed users whose
	// deletion failed when they were removed, retried until it succeeds.
	JobRevoke JobKind = "revoke"
	// JobRoom creates a pending meeting's RealtimeKit room in the
	// background, so scheduling never waits on the video service. It is
	// due as soon as the meeting is stored and retried with backoff (never
	// given up) until the room exists; a join or the window's opening
	// creates it first if the service was down all along.
	JobRoom JobKind = "room"
)

// DueJob is one thing the scheduler must do at a time. Its ID is derived
// from (workspace, meeting, occurrence, kind, lead), so planning the same
// meeting twice writes the same jobs: re-planning is an upsert.
type DueJob struct {
	ID         string
	Due        time.Time
	Workspace  WorkspaceKey
	Meeting    string
	Occurrence time.Time // the occurrence's start
	Kind       JobKind
	Lead       time.Duration // for JobRemind: how long before the start

	// Attempts counts failed deliveries; the scheduler gives up at a cap.
	Attempts int
	// LastError is the last failure, for logs (never shown to users).
	LastError string
	// ClaimedBy and ClaimedAt mark a job taken by a scheduler; a claim
	// older than the rescue timeout is taken again (at-least-once).
	ClaimedBy string
	ClaimedAt time.Time
	// DoneAt is set when the job completed (or was given up, see Failed).
	DoneAt time.Time
	Failed bool
	// PostRef refers to what was posted (a message id), so a second
	// delivery can be recognised and skipped.
	PostRef string
}

// JobID returns the deterministic id of a job.
func JobID(ws WorkspaceKey, meeting string, occurrence time.Time, kind JobKind, lead time.Duration) string {
	id := string(ws.Platform) + "/" + ws.ID + "/" + meeting + "/" + strconv.FormatInt(occurrence.Unix(), 10) + "/" + string(kind)
	if kind == JobRemind {
		id += "/" + strconv.FormatInt(int64(lead/time.Second), 10)
	}
	return id
}

// roomJobID is the id of the job that creates m's room under its current
// tag: a room replaced under a new tag (lost upstream) gets a new job,
// while re-planning the same intent keeps one.
func roomJobID(m *Meeting) string {
	return JobID(m.Workspace, m.ID, time.Unix(0, 0), JobRoom, 0) + "/" + m.RoomTag
}

// DueJobStore keeps due jobs under a time-ordered index, so finding what is
// due costs a seek, not a scan of every meeting.
type DueJobStore interface {
	// PlanJobs makes jobs the complete set of not-yet-done jobs of one
	// meeting: jobs with new ids are added, pending jobs whose id is not in
	// jobs are deleted, and jobs already done are left alone (so a re-plan
	// never repeats a reminder that went out). All in one transaction.
	PlanJobs(ctx context.Context, ws WorkspaceKey, meetingID string, jobs []DueJob) error
	// NextDue returns when the earliest job becomes claimable: the earliest
	// pending Due, or the earliest claim's ClaimedAt+rescue. ok is false
	// when there is nothing at all.
	NextDue(ctx context.Context, rescue time.Duration) (at time.Time, ok bool, err error)
	// ClaimDue atomically claims up to limit jobs due at or before now (and
	// jobs whose claim is older than rescue), in due order, for owner.
	ClaimDue(ctx context.Context, now time.Time, limit int, owner string, rescue time.Duration) ([]DueJob, error)
	// CompleteJob marks a job owner has claimed done, with a reference to
	// what it did. Like RetryJob it changes nothing when owner no longer
	// holds the claim (a rescuer took it over, or it is done already), so a
	// scheduler that was paused or deposed between claim and completion
	// cannot record the outcome of a run that is now someone else's.
	// Backends with elected leaders also fence it on leadership (see
	// Leader): a completion made after this process lost the lead fails
	// with ECONFLICT.
	CompleteJob(ctx context.Context, id, owner string, doneAt time.Time, postRef string) error
	// RetryJob releases owner's claim and makes the job due again at at.
	// When the job is no longer claimed by owner (it was rescued by another
	// scheduler, or is done) nothing changes, so a stale owner's late
	// failure cannot release the claim of the scheduler now running it.
	RetryJob(ctx context.Context, id, owner string, at time.Time, lastErr string) error
	// FailJob gives a job up: done, marked Failed, with the reason. Like
	// RetryJob it changes nothing unless owner still holds the claim.
	FailJob(ctx context.Context, id, owner string, at time.Time, reason string) error
	// FindJobs lists a meeting's jobs (pending, claimed and done), by Due.
	FindJobs(ctx context.Context, ws WorkspaceKey, meetingID string) ([]DueJob, error)
	// PruneJobs deletes done jobs (completed or given up) whose DoneAt is
	// before doneBefore and returns how many it deleted. Done jobs make a
	// re-plan idempotent, so doneBefore must be well in the past (days).
	// It is a maintenance task, not the hot path, and may work in chunks.
	PruneJobs(ctx context.Context, doneBefore time.Time) (int, error)
}

// Leader decides which process runs the scheduler. Lead blocks until this
// process leads (or ctx ends) and returns a context that is cancelled the
// moment leadership is lost, so the scheduler stops acting at once. The
// returned context may carry a backend's fencing token: the scheduler
// passes it (or a context derived from it, values kept) to ClaimDue,
// CompleteJob, RetryJob and FailJob, so a backend can refuse those of a
// deposed leader in the same transaction that would apply them.
type Leader interface {
	Lead(ctx context.Context) (context.Context, error)
}

// Reminder is what a Notifier posts: a meeting's occurrence is coming up
// (or started Late ago, after downtime).
type Reminder struct {
	Meeting    *Meeting
	Occurrence Occurrence
	Window     Window
	// Lead is how long before the start the reminder was planned for.
	Lead time.Duration
	// Late is how long after its due time it is being sent (downtime).
	Late time.Duration
	// DMs lists users to remind personally (invitees, "yes" RSVPs) when the
	// workspace asks for it; empty otherwise.
	DMs []string
}

// Announcement tells a channel (and the people who said yes) that a
// meeting changed: moved, skipped or cancelled.
type Announcement struct {
	Kind       string // "moved", "skipped", "cancelled"
	Meeting    *Meeting
	Occurrence Occurrence // the occurrence affected (the old time, for a move)
	NewStart   time.Time  // for "moved"
	By         string     // user id
	DMs        []string
}

// Notifier posts to chat for the scheduler. Each adapter (console, Slack,
// Discord) implements it. Remind returns a reference to the post (a
// message id) so a repeated delivery can be recognised.
type Notifier interface {
	Remind(ctx context.Context, r Reminder) (postRef string, err error)
	Announce(ctx context.Context, a Announcement) error
}

// RetryBefore marks a job's failure with the time its retry must come
// before: the end of the window an open serves, the opening of the next
// window for a close, the opening of the window for provisioning. The
// scheduler shortens its backoff to stay inside it, so no retry delay can
// push a job past the window it is for. A zero at changes nothing.
func RetryBefore(err error, at time.Time) error {
	if err == nil || at.IsZero() {
		return err
	}
	return &retryBefore{err: err, at: at}
}

// RetryDeadline returns the time a failure marked by RetryBefore must be
// retried before.
func RetryDeadline(err error) (time.Time, bool) {
	if r, ok := errors.AsType[*retryBefore](err); ok {
		return r.at, true
	}
	return time.Time{}, false
}

type retryBefore struct {
	err error
	at  time.Time
}

func (r *retryBefore) Error() string { return r.err.Error() }
func (r *retryBefore) Unwrap() error { return r.err }
