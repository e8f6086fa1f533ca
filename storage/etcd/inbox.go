package etcd

import (
	"context"
	"encoding/hex"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// The room-event inbox:
//
//	inbox_queue/<T>/<id>   pending entry (record.EncodeInbox); <T> is the
//	                       hex big-endian receive time, so a range read
//	                       lists them oldest first
//	inbox_keys/<key>       dedupe key, holding its expiry (onceValue)
const (
	kindInboxQueue = "inbox_queue"
	kindInboxKeys  = "inbox_keys"
)

// maxAcceptTries bounds the read-then-Txn loop of AcceptInbox; only a
// racing writer of the same keys makes it go round, and then the next read
// sees that writer's keys and answers "not new".
const maxAcceptTries = 5

func (db *DB) inboxQueueKey(e *core.InboxEntry) string {
	return db.key(kindInboxQueue, hex.EncodeToString(record.InboxOrder(e.Received)), esc(e.ID))
}

// AcceptInbox stores the batch's entries one after the other (etcd's raft
// already folds concurrent proposals into one disk write, and each entry
// needs its own condition), each with its keys in one Txn.
func (db *DB) AcceptInbox(ctx context.Context, batch []*core.InboxAccept, now time.Time, ttl time.Duration) error {
	for _, a := range batch {
		a.Fresh = false
	}
	for _, a := range batch {
		fresh, err := db.acceptOne(ctx, a.Entry, a.Keys, now, ttl)
		if err != nil {
			return err
		}
		a.Fresh = fresh
	}
	return nil
}

// acceptOne stores e and its keys in one Txn unless its id or one of its
// keys is known and not expired. It reads the keys first, then commits
// only if each is still as read (absent, or the same expired revision), so
// two replicas handed the same delivery store it once between them.
func (db *DB) acceptOne(ctx context.Context, e *core.InboxEntry, keys []string, now time.Time, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := record.CheckInbox(e, keys); err != nil {
		return false, internal(err)
	}
	v, err := record.EncodeInbox(e)
	if err != nil {
		return false, internal(err)
	}
	all := record.InboxKeys(e, keys)
	ks := make([]string, len(all))
	gets := make([]clientv3.Op, len(all))
	for i, k := range all {
		ks[i] = db.key(kindInboxKeys, esc(k))
		gets[i] = clientv3.OpGet(ks[i])
	}
	exp := onceValue(now.Add(ttl))
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	for range maxAcceptTries {
		rd, err := db.cli.Txn(bctx).Then(gets...).Commit()
		if err != nil {
			return false, storeErr(ctx, err)
		}
		cmps := make([]clientv3.Cmp, 0, len(ks))
		puts := make([]clientv3.Op, 0, len(ks)+1)
		for i, r := range rd.Responses {
			kvs := r.GetResponseRange().GetKvs()
			if len(kvs) == 0 {
				cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(ks[i]), "=", 0))
			} else {
				if t, ok := parseOnceValue(kvs[0].Value); !ok || t.After(now) {
					return false, nil
				}
				cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(ks[i]), "=", kvs[0].ModRevision))
			}
			puts = append(puts, clientv3.OpPut(ks[i], exp))
		}
		puts = append(puts, clientv3.OpPut(db.inboxQueueKey(e), string(v)))
		tr, err := db.cli.Txn(bctx).If(cmps...).Then(puts...).Commit()
		if err != nil {
			return false, storeErr(ctx, err)
		}
		if tr.Succeeded {
			return true, nil
		}
	}
	return false, nil
}

// PendingInbox returns up to limit pending entries, oldest first, in one
// range read.
func (db *DB) PendingInbox(ctx context.Context, limit int) ([]*core.InboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	prefix := db.key(kindInboxQueue) + "/"
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	resp, err := db.cli.Get(bctx, prefix, clientv3.WithRange(prefixEnd(prefix)), clientv3.WithLimit(int64(limit)))
	if err != nil {
		return nil, storeErr(ctx, err)
	}
	out := make([]*core.InboxEntry, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		e, err := record.DecodeInbox(kv.Value)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, e)
	}
	return out, nil
}

// RetryInbox rewrites a pending entry's attempt count, only if it is still
// pending.
func (db *DB) RetryInbox(ctx context.Context, e *core.InboxEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := record.EncodeInbox(e)
	if err != nil {
		return internal(err)
	}
	k := db.inboxQueueKey(e)
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	tr, err := db.cli.Txn(bctx).If(clientv3.Compare(clientv3.CreateRevision(k), ">", 0)).
		Then(clientv3.OpPut(k, string(v))).Commit()
	if err != nil {
		return storeErr(ctx, err)
	}
	if !tr.Succeeded {
		return core.Errorf(core.ENOTFOUND, "That delivery is no longer pending.")
	}
	return nil
}

// DoneInbox removes a handled entry; its dedupe keys stay.
func (db *DB) DoneInbox(ctx context.Context, e *core.InboxEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	if _, err := db.cli.Delete(bctx, db.inboxQueueKey(e)); err != nil {
		return storeErr(ctx, err)
	}
	return nil
}

// PruneInbox forgets expired dedupe keys, page by page, each delete guarded
// by the revision read so a key accepted again meanwhile is kept.
func (db *DB) PruneInbox(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	prefix := db.key(kindInboxKeys) + "/"
	from, end := prefix, prefixEnd(prefix)
	n := 0
	for {
		resp, err := db.cli.Get(bctx, from, clientv3.WithRange(end), clientv3.WithLimit(pageSize))
		if err != nil {
			return n, storeErr(ctx, err)
		}
		var cmps []clientv3.Cmp
		var ops []clientv3.Op
		for _, kv := range resp.Kvs {
			if exp, ok := parseOnceValue(kv.Value); ok && exp.After(now) {
				continue
			}
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(string(kv.Key)), "=", kv.ModRevision))
			ops = append(ops, clientv3.OpDelete(string(kv.Key)))
		}
		d, err := db.deleteAll(ctx, bctx, cmps, ops)
		n += d
		if err != nil {
			return n, err
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return n, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}
