package etcd

// Temporary: the job store (etcdjobs) replaces this file with the real hook,
// which returns the compares and deletes of every job of the meeting, so
// that DeleteMeeting removes a meeting and its jobs in one Txn.

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
)

// deleteMeetingJobsOps returns the compares pinning what it read of the
// meeting's jobs and the ops deleting them. See /work/wt/notes/keys.md.
func (db *DB) deleteMeetingJobsOps(ctx context.Context, ws core.WorkspaceKey, meetingID string) ([]clientv3.Cmp, []clientv3.Op, error) {
	return nil, nil, nil
}
