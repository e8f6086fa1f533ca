package etcd

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
)

// LeaseOf is the lease of l's current session (0 when it has none), so a
// test can revoke it the way an expiry would.
func LeaseOf(l *Leader) clientv3.LeaseID {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.session == nil {
		return clientv3.NoLease
	}
	return l.session.Lease()
}

// WithReconnectPause returns o with the client retrying a lost endpoint
// every d, so a test that restarts its server waits milliseconds for the
// client to find it again, not gRPC's backoff of a second and more.
func WithReconnectPause(o Options, d time.Duration) Options {
	o.reconnect = d
	return o
}

// WatchDueFrom is WatchDue from revision from, calling relisted each time
// the watch had to be re-established.
func (db *DB) WatchDueFrom(ctx context.Context, from int64, wake func(), relisted func(error)) {
	db.watchDue(ctx, from, wake, relisted)
}

// DueIndex is the key prefix of the due index, for tests that seed it.
func (db *DB) DueIndex() string { return db.dueIndex() }

// SeedJobs stores jobs as PlanJobs would (record, due index entry,
// meeting index entry), but in Txns of up to MaxTxnOps puts with no reads,
// so a benchmark can store a million quickly. The jobs must be new.
func (db *DB) SeedJobs(ctx context.Context, jobs []core.DueJob) error {
	var ops []clientv3.Op
	flush := func() error {
		if len(ops) == 0 {
			return nil
		}
		_, err := db.cli.Txn(ctx).Then(ops...).Commit()
		ops = ops[:0]
		return err
	}
	for i := range jobs {
		j := &jobs[i]
		put, err := db.putJobOp(j)
		if err != nil {
			return err
		}
		mp, err := db.jobMeetingPrefix(j.Workspace, j.Meeting)
		if err != nil {
			return err
		}
		if len(ops)+3 > MaxTxnOps {
			if err := flush(); err != nil {
				return err
			}
		}
		ops = append(ops, put, clientv3.OpPut(db.stateKey(j), ""), clientv3.OpPut(mp+esc(j.ID), ""))
	}
	return flush()
}
