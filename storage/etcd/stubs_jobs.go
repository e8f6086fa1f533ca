package etcd

// Temporary stubs: each is replaced by its real implementation (owner: the
// jobs/leader helper). Delete a stub when its method exists.

import (
	"context"
	"time"

	"github.com/meetbot/meetbot/core"
)

var _ core.Store = (*DB)(nil)

func (db *DB) PlanJobs(ctx context.Context, ws core.WorkspaceKey, meetingID string, jobs []core.DueJob) error {
	return notYet()
}
func (db *DB) NextDue(ctx context.Context, rescue time.Duration) (time.Time, bool, error) {
	return time.Time{}, false, notYet()
}
func (db *DB) ClaimDue(ctx context.Context, now time.Time, limit int, owner string, rescue time.Duration) ([]core.DueJob, error) {
	return nil, notYet()
}
func (db *DB) CompleteJob(ctx context.Context, id, owner string, doneAt time.Time, postRef string) error {
	return notYet()
}
func (db *DB) RetryJob(ctx context.Context, id, owner string, at time.Time, lastErr string) error {
	return notYet()
}
func (db *DB) FailJob(ctx context.Context, id, owner string, at time.Time, reason string) error {
	return notYet()
}
func (db *DB) FindJobs(ctx context.Context, ws core.WorkspaceKey, meetingID string) ([]core.DueJob, error) {
	return nil, notYet()
}
func (db *DB) PruneJobs(ctx context.Context, doneBefore time.Time) (int, error) { return 0, notYet() }

// Leader is the election of this install's replicas (see NewLeader).
type Leader struct{ db *DB }

// NewLeader returns the core.Leader that campaigns through db's cluster.
func NewLeader(db *DB) *Leader { return &Leader{db: db} }

var _ core.Leader = (*Leader)(nil)

// Lead blocks until this replica leads.
func (l *Leader) Lead(ctx context.Context) (context.Context, error) { return nil, notYet() }

// WatchDue calls wake whenever another replica changes the due index, until
// ctx ends, so a meeting scheduled elsewhere wakes this scheduler at once.
func (db *DB) WatchDue(ctx context.Context, wake func()) {}
