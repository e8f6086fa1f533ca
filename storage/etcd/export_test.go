package etcd

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
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

// WatchDueFrom is WatchDue from revision from, calling relisted each time
// the watch had to be re-established.
func (db *DB) WatchDueFrom(ctx context.Context, from int64, wake func(), relisted func(error)) {
	db.watchDue(ctx, from, wake, relisted)
}

// DueIndex is the key prefix of the due index, for tests that seed it.
func (db *DB) DueIndex() string { return db.dueIndex() }
