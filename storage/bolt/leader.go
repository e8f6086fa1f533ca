package bolt

import (
	"context"

	"github.com/meetbot/meetbot/core"
)

// Leader is the core.Leader of a bbolt deployment. There is nothing to
// elect: bbolt holds an exclusive lock on the file for as long as the DB is
// open, so a second process cannot even open the store, and the process
// that holds it is the only one that could run the scheduler. Lead therefore
// grants leadership at once and for the whole of ctx; it is never lost,
// short of the process itself stopping. Running several replicas needs the
// etcd backend, whose Leader holds a real election.
type Leader struct {
	db *DB
}

// NewLeader returns the leader of the process that has db open.
func NewLeader(db *DB) *Leader { return &Leader{db: db} }

var _ core.Leader = (*Leader)(nil)

// Lead returns ctx itself: leadership lasts exactly as long as the caller's
// context. It fails only when ctx has already ended or the store is closed,
// since a closed store no longer holds the file lock that makes this
// process the leader.
func (l *Leader) Lead(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := l.db.readable(ctx); err != nil {
		return nil, err
	}
	return ctx, nil
}
