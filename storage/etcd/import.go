package etcd

import (
	"context"
	"fmt"
	"strconv"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
)

// The methods here exist for copying an existing store into etcd (bot
// migrate): unlike CreateMeeting they keep the ids the meetings already
// have, so join links, cards and "/meet cancel 12" keep working after the
// move.

// Empty reports whether nothing at all is stored under the prefix, so a
// copy can refuse to mix into a live install.
func (db *DB) Empty(ctx context.Context) (bool, error) {
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	resp, err := db.cli.Get(bctx, db.prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithLimit(1))
	if err != nil {
		return false, storeErr(ctx, err)
	}
	return len(resp.Kvs) == 0, nil
}

// ImportMeeting stores m exactly as given, its ID and Version kept, with
// its index entries, in one Txn, and raises the workspace's id counter to
// at least m.ID when the id is a number, so meetings created afterwards get
// higher ids. A meeting whose id is already stored is refused (ECONFLICT).
func (db *DB) ImportMeeting(ctx context.Context, m *core.Meeting) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validName(m.ID) {
		return fmt.Errorf("etcd: import of a meeting with id %q", m.ID)
	}
	k, err := db.keysOf(m.Workspace, m.ID)
	if err != nil {
		return err
	}
	n, numeric := parseID(m.ID)
	c := m.Clone()
	return db.withCounters(ctx, k, func(cs counterState) ([]clientv3.Cmp, []clientv3.Op, error) {
		cmps, ops, err := putMeetingOps(k, nil, c, cs)
		if err != nil {
			return nil, nil, err
		}
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k.record), "=", 0))
		if numeric && n > cs.last {
			ops = append(ops, clientv3.OpPut(k.lastID, strconv.FormatUint(n, 10)))
		}
		return cmps, ops, nil
	}, func(ctx context.Context) error {
		_, _, found, err := db.getOne(ctx, k.record)
		switch {
		case err != nil:
			return err // withCounters maps it
		case found:
			return core.Errorf(core.ECONFLICT, "Meeting %q of %s is already stored.", m.ID, m.Workspace)
		}
		return nil // the max duration moved: go again
	})
}

// RaiseMeetingCounter makes the workspace's last handed-out id at least
// last: a store being copied may have handed out ids of meetings since
// deleted, and ids are never reused.
func (db *DB) RaiseMeetingCounter(ctx context.Context, ws core.WorkspaceKey, last uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k, err := db.keysOf(ws, "")
	if err != nil {
		return err
	}
	return db.withCounters(ctx, k, func(cs counterState) ([]clientv3.Cmp, []clientv3.Op, error) {
		if last <= cs.last {
			return nil, nil, nil
		}
		return nil, []clientv3.Op{clientv3.OpPut(k.lastID, strconv.FormatUint(last, 10))}, nil
	}, nil)
}

// withCounters runs the Txn that build returns from the workspace's
// counters as read, guarded by the counter's revision, retrying when
// another writer moved it. When the Txn fails although the counter did not
// move, one of build's own compares failed: refused then says whether that
// is a refusal (its error) or a race to retry (nil). build returning no ops
// means nothing to do.
func (db *DB) withCounters(ctx context.Context, k meetingKeys, build func(counterState) ([]clientv3.Cmp, []clientv3.Op, error), refused func(context.Context) error) error {
	mu := db.stripe(k.lastID)
	mu.Lock()
	defer mu.Unlock()
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	for attempt := 1; ; attempt++ {
		resp, err := db.cli.Get(bctx, k.lastID[:len(k.lastID)-len(counterLastID)], clientv3.WithPrefix())
		if err != nil {
			return storeErr(ctx, err)
		}
		var cs counterState
		for _, kv := range resp.Kvs {
			if err := cs.set(k, string(kv.Key), kv.Value, kv.ModRevision); err != nil {
				return err
			}
		}
		cmps, ops, err := build(cs)
		if err != nil || len(ops) == 0 {
			return err
		}
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k.lastID), "=", cs.lastRev))
		tr, err := db.cli.Txn(bctx).If(cmps...).Then(ops...).Else(clientv3.OpGet(k.lastID)).Commit()
		if err != nil {
			return storeErr(ctx, err)
		}
		if tr.Succeeded {
			db.cache.committed(tr.Header.Revision, ops...)
			mu.forget(db.cacheKey(k.lastID))
			return nil
		}
		if _, rev, _ := kvOf(tr, 0); rev == cs.lastRev && refused != nil {
			if err := refused(bctx); err != nil {
				return storeErr(ctx, err)
			}
		}
		if attempt >= maxAttempts {
			return errContended("this workspace's meetings")
		}
		if err := backoff(bctx, attempt); err != nil {
			return storeErr(ctx, err)
		}
	}
}

// parseID reads a meeting id handed out by a counter.
func parseID(id string) (uint64, bool) {
	n, err := strconv.ParseUint(id, 10, 64)
	return n, err == nil && strconv.FormatUint(n, 10) == id
}
