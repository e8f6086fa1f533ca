package etcd

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// UpdateMeeting reads the meeting, applies fn to a copy and stores the
// result with its index changes in one Txn that compares the meeting's mod
// revision; when another writer got there first, the Txn hands back the
// fresh record and fn runs again on it, so no update is lost. Updates of
// one meeting take turns within a process (a meeting's start brings many
// RSVPs and joins at once), so only other replicas make it retry.
func (db *DB) UpdateMeeting(ctx context.Context, ws core.WorkspaceKey, id string, fn func(*core.Meeting) error) (*core.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := wsPart(ws); err != nil {
		return nil, err
	}
	if !validName(id) {
		return nil, errNoMeeting(id)
	}
	k, err := db.keysOf(ws, id)
	if err != nil {
		return nil, err
	}
	mu := db.stripe(k.record)
	mu.Lock()
	defer mu.Unlock()

	bctx, cancel := db.bounded(ctx)
	defer cancel()
	reads := []clientv3.Op{clientv3.OpGet(k.record), clientv3.OpGet(k.maxDur)}
	tr, err := db.cli.Txn(bctx).Then(reads...).Commit()
	if err != nil {
		return nil, storeErr(ctx, err)
	}
	for attempt := 1; ; attempt++ {
		v, rev, found := kvOf(tr, 0)
		if !found {
			return nil, errNoMeeting(id)
		}
		var cs counterState
		if dv, drev, ok := kvOf(tr, 1); ok {
			if cs.maxDur, err = parseCounter(dv); err != nil {
				return nil, err
			}
			cs.maxDurRev = drev
		}
		old, err := record.DecodeMeeting(ws, id, v)
		if err != nil {
			return nil, internal(err)
		}
		m := old.Clone()
		if err := fn(m); err != nil {
			return nil, err
		}
		if m.ID != old.ID || m.Workspace != old.Workspace {
			return nil, fmt.Errorf("etcd: update of meeting %q in %s changed its key to %q in %s", id, ws, m.ID, m.Workspace)
		}
		m.Version = old.Version + 1
		cmps, ops, err := putMeetingOps(k, old, m, cs)
		if err != nil {
			return nil, err
		}
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k.record), "=", rev))
		tr, err = db.cli.Txn(bctx).If(cmps...).Then(ops...).Else(reads...).Commit()
		if err != nil {
			return nil, storeErr(ctx, err)
		}
		if tr.Succeeded {
			db.cache.committed(tr.Header.Revision, ops...)
			return m.Clone(), nil // fn may have kept m
		}
		if attempt >= maxAttempts {
			return nil, errContended(fmt.Sprintf("meeting %q", id))
		}
		if attempt > 1 {
			if err := backoff(bctx, attempt-1); err != nil {
				return nil, storeErr(ctx, err)
			}
		}
	}
}

// DeleteMeeting removes the meeting, its index entries, its participants
// and its due jobs (done ones too) in one Txn, so nothing is left that the
// scheduler could run or that nothing would ever clean up. The Txn compares
// the meeting's revision, and the jobs' compares come from the job store's
// hook, so a concurrent update or re-plan makes it start over rather than
// leave something behind. A meeting with more jobs than one Txn holds
// (MaxTxnOps) loses its pending ones with it and the rest right after, in
// Txns of their own (see deleteMeetingJobsOps).
func (db *DB) DeleteMeeting(ctx context.Context, ws core.WorkspaceKey, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := wsPart(ws); err != nil {
		return err
	}
	if !validName(id) {
		return nil
	}
	k, err := db.keysOf(ws, id)
	if err != nil {
		return err
	}
	participants, err := db.wsKey(kindParticipants, ws, id)
	if err != nil {
		return err
	}
	attendance, err := db.attendancePrefix(ws, id)
	if err != nil {
		return err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	for attempt := 1; ; attempt++ {
		v, rev, found, err := db.getOne(bctx, k.record)
		if err != nil {
			return storeErr(ctx, err)
		}
		ops := []clientv3.Op{
			clientv3.OpDelete(k.pending), clientv3.OpDelete(k.active),
			clientv3.OpDelete(participants+"/", clientv3.WithPrefix()),
			clientv3.OpDelete(attendance, clientv3.WithPrefix()),
		}
		if found {
			ops = append(ops, clientv3.OpDelete(k.record))
			if m, err := record.DecodeMeeting(ws, id, v); err == nil && m.RoomID != "" {
				ops = append(ops, clientv3.OpDelete(k.roomPrefix+esc(m.RoomID)))
			}
			starts, err := db.startKeysOf(bctx, k, ws, id, v)
			if err != nil {
				return storeErr(ctx, err)
			}
			for _, s := range starts {
				ops = append(ops, clientv3.OpDelete(s))
			}
		}
		// The record's compare is one; the job store fills the rest.
		jd, err := db.deleteMeetingJobsOps(bctx, ws, id, MaxTxnOps-len(ops), MaxTxnOps-1)
		if err != nil {
			return storeErr(ctx, err)
		}
		cmps := append([]clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(k.record), "=", rev)}, jd.cmps...)
		tr, err := db.cli.Txn(bctx).If(cmps...).Then(append(ops, jd.ops...)...).Commit()
		if err != nil {
			return storeErr(ctx, err)
		}
		if tr.Succeeded {
			// Tombstones for the record and every cached participant, so
			// this replica does not serve them until the watch says so.
			db.cache.committed(tr.Header.Revision, ops...)
			return db.deleteLeftJobs(bctx, ws, id, jd.left)
		}
		if attempt >= maxAttempts {
			return errContended(fmt.Sprintf("meeting %q", id))
		}
		if err := backoff(bctx, attempt); err != nil {
			return storeErr(ctx, err)
		}
	}
}

// startKeysOf returns the start index entries of a meeting being deleted.
// A record that no longer decodes still has to go, so then it finds them
// by ranging the workspace's index for the id.
func (db *DB) startKeysOf(ctx context.Context, k meetingKeys, ws core.WorkspaceKey, id string, v []byte) ([]string, error) {
	if m, err := record.DecodeMeeting(ws, id, v); err == nil {
		return []string{k.startKey(m.Start, id)}, nil
	}
	resp, err := db.cli.Get(ctx, k.startPrefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, kv := range resp.Kvs {
		if strings.HasSuffix(string(kv.Key), "/"+esc(id)) && len(kv.Key) == len(k.startPrefix)+timeHexLen+1+len(esc(id)) {
			out = append(out, string(kv.Key))
		}
	}
	return out, nil
}
