package etcd

import (
	"context"
	"slices"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
)

// jobsDelete is what deleting a meeting's jobs takes: the compares and ops
// that go into DeleteMeeting's own Txn, and the jobs that did not fit
// there, deleted right after it by deleteLeftJobs.
type jobsDelete struct {
	cmps []clientv3.Cmp
	ops  []clientv3.Op
	left []string
}

// deleteMeetingJobsOps reads the meeting's jobs and returns how to delete
// every one of them (done ones included). DeleteMeeting's Txn gets the
// compare pinning the meeting's index range, the range delete of that
// index, and as many jobs (each pinned to the record read, its record and
// state entry deleted) as fit in opsRoom ops and cmpRoom compares, pending
// jobs first: then a meeting of any ordinary size goes in one Txn, and a
// huge one at least stops its pending work with the meeting. The jobs that
// do not fit are left for deleteLeftJobs; until they are gone they are
// jobs of a deleted meeting, which core runs as no-ops and pruning removes
// once done.
func (db *DB) deleteMeetingJobsOps(ctx context.Context, ws core.WorkspaceKey, meetingID string, opsRoom, cmpRoom int) (jobsDelete, error) {
	mp, err := db.jobMeetingPrefix(ws, meetingID)
	if err != nil {
		return jobsDelete{}, err
	}
	indexed, recs, rev, err := db.meetingJobs(ctx, mp, nil)
	if err != nil {
		return jobsDelete{}, err
	}
	d := jobsDelete{
		cmps: []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(mp), "<", rev+1).WithPrefix()},
		ops:  []clientv3.Op{clientv3.OpDelete(mp, clientv3.WithPrefix())},
	}
	// Pending (and undecodable) jobs before done ones, so the work that
	// could still run is what the meeting's own Txn deletes.
	done := func(id string) bool { j := recs[id].job; return j != nil && !j.DoneAt.IsZero() }
	slices.SortStableFunc(indexed, func(a, b string) int {
		switch x, y := done(a), done(b); {
		case x == y:
			return 0
		case y:
			return -1
		}
		return 1
	})
	for _, id := range indexed {
		cmps, ops := db.jobDeleteOf(ws, meetingID, id, recs[id])
		if len(ops) == 0 {
			continue
		}
		if len(d.left) > 0 || len(d.ops)+len(ops) > opsRoom || len(d.cmps)+len(cmps) > cmpRoom {
			d.left = append(d.left, id)
			continue
		}
		d.cmps, d.ops = append(d.cmps, cmps...), append(d.ops, ops...)
	}
	return d, nil
}

// jobDeleteOf returns the compare and deletes of one job record read as s:
// none for an absent record or another meeting's job found under this
// meeting's index (a bug: the record stays, its index entry goes with the
// range delete); an undecodable record still goes, its state entry, if
// any, dropped as a stray when a claim or prune meets it.
func (db *DB) jobDeleteOf(ws core.WorkspaceKey, meetingID, id string, s storedJob) ([]clientv3.Cmp, []clientv3.Op) {
	switch {
	case s.err != nil:
		return []clientv3.Cmp{db.pinned(id, s)}, []clientv3.Op{clientv3.OpDelete(db.jobKey(id))}
	case s.job == nil, s.job.Workspace != ws || s.job.Meeting != meetingID:
		return nil, nil
	}
	return []clientv3.Cmp{db.pinned(id, s)}, []clientv3.Op{clientv3.OpDelete(db.jobKey(id)), clientv3.OpDelete(db.stateKey(s.job))}
}

// deleteLeftJobs deletes the jobs of a deleted meeting that did not fit in
// its Txn, in Txns of MaxTxnOps/2 jobs, each pinned to the records it read.
// A batch whose record changed meanwhile (a replica claimed or finished a
// job) is read again and retried, up to maxAttempts times; a job still
// left after that belongs to a meeting that no longer exists, so it runs as
// a no-op and pruning deletes it.
func (db *DB) deleteLeftJobs(ctx context.Context, ws core.WorkspaceKey, meetingID string, ids []string) error {
	for attempt := 1; len(ids) > 0; attempt++ {
		if attempt > maxAttempts {
			db.log.Warn().Str("meeting", meetingID).Int("jobs", len(ids)).
				Msg("jobs of a deleted meeting kept changing while being deleted; they run as no-ops and are pruned when done")
			return nil
		}
		recs, err := db.readJobs(ctx, ids)
		if err != nil {
			return err
		}
		var retry []string
		for chunk := range slices.Chunk(ids, MaxTxnOps/2) {
			var cmps []clientv3.Cmp
			var ops []clientv3.Op
			for _, id := range chunk {
				c, o := db.jobDeleteOf(ws, meetingID, id, recs[id])
				cmps, ops = append(cmps, c...), append(ops, o...)
			}
			if len(ops) == 0 {
				continue
			}
			tr, err := db.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
			if err != nil {
				return storeErr(ctx, err)
			}
			if !tr.Succeeded {
				retry = append(retry, chunk...)
			}
		}
		if ids = retry; len(ids) > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return storeErr(ctx, err)
			}
		}
	}
	return nil
}
