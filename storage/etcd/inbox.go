package etcd

import (
	"context"
	"encoding/hex"
	"errors"
	"sync"
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
//	inbox_keys/<key>       dedupe key, holding record.InboxClaim (expiry
//	                       and the id of the entry that claimed it)
const (
	kindInboxQueue = "inbox_queue"
	kindInboxKeys  = "inbox_keys"
)

// maxAcceptTries bounds the read-then-Txn loop of ClaimInbox; only a
// racing writer of the same keys makes it go round, and then the next read
// sees that writer's keys and answers "not new".
const maxAcceptTries = 5

func (db *DB) inboxQueueKey(e *core.InboxEntry) string {
	return db.key(kindInboxQueue, hex.EncodeToString(record.InboxOrder(e.Received)), esc(e.ID))
}

// Bounds of one AcceptInbox Txn (one raft proposal): under etcd's default
// of 128 operations and 1.5 MiB per request.
const (
	maxTxnEntries = 100
	maxTxnBytes   = 1 << 20
)

// AcceptInbox appends the entries to the queue in as few Txns as the
// bounds allow (an entry of up to 1 MiB goes alone), sent at once: etcd
// folds concurrent proposals into one raft round and one WAL write.
func (db *DB) AcceptInbox(ctx context.Context, entries []*core.InboxEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var chunks [][]clientv3.Op
	var ops []clientv3.Op
	size := 0
	for _, e := range entries {
		if err := record.CheckInbox(e); err != nil {
			return internal(err)
		}
		v, err := record.EncodeInbox(e)
		if err != nil {
			return internal(err)
		}
		if len(ops) == maxTxnEntries || (len(ops) > 0 && size+len(v) > maxTxnBytes) {
			chunks, ops, size = append(chunks, ops), nil, 0
		}
		ops = append(ops, clientv3.OpPut(db.inboxQueueKey(e), string(v)))
		size += len(v)
	}
	if len(ops) > 0 {
		chunks = append(chunks, ops)
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	errs := make([]error, len(chunks))
	var wg sync.WaitGroup
	for i, c := range chunks {
		wg.Go(func() {
			_, err := db.cli.Txn(bctx).Then(c...).Commit()
			errs[i] = storeErr(ctx, err)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// KnownInbox reports whether one of keys is claimed and not expired. The
// reads are serializable (answered by the member the client talks to,
// without a raft round): a claim made elsewhere a moment ago may be
// missed, which only means the delivery is stored and ClaimInbox drops it.
func (db *DB) KnownInbox(ctx context.Context, keys []string, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	for _, k := range record.InboxKeys(keys) {
		resp, err := db.cli.Get(bctx, db.key(kindInboxKeys, esc(k)), clientv3.WithSerializable())
		if err != nil {
			return false, storeErr(ctx, err)
		}
		for _, kv := range resp.Kvs {
			if exp, _, ok := record.ParseInboxClaim(kv.Value); ok && exp.After(now) {
				return true, nil
			}
		}
	}
	return false, nil
}

// ClaimInbox records e's keys for e unless another entry holds one and
// it has not expired. It reads the keys, then writes them in one Txn only
// if each is still as read, so two replicas handling the same delivery
// hand it over once between them.
func (db *DB) ClaimInbox(ctx context.Context, e *core.InboxEntry, now time.Time, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := record.CheckInbox(e); err != nil {
		return false, internal(err)
	}
	all := record.InboxKeys(e.Keys)
	if len(all) == 0 {
		return true, nil
	}
	ks := make([]string, len(all))
	gets := make([]clientv3.Op, len(all))
	for i, k := range all {
		ks[i] = db.key(kindInboxKeys, esc(k))
		gets[i] = clientv3.OpGet(ks[i])
	}
	claim := string(record.InboxClaim(now.Add(ttl), e.ID))
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	for range maxAcceptTries {
		rd, err := db.cli.Txn(bctx).Then(gets...).Commit()
		if err != nil {
			return false, storeErr(ctx, err)
		}
		cmps := make([]clientv3.Cmp, 0, len(ks))
		puts := make([]clientv3.Op, 0, len(ks))
		for i, r := range rd.Responses {
			kvs := r.GetResponseRange().GetKvs()
			if len(kvs) == 0 {
				cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(ks[i]), "=", 0))
			} else {
				if exp, id, ok := record.ParseInboxClaim(kvs[0].Value); ok && exp.After(now) && id != e.ID {
					return false, nil
				}
				cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(ks[i]), "=", kvs[0].ModRevision))
			}
			puts = append(puts, clientv3.OpPut(ks[i], claim))
		}
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
			if exp, _, ok := record.ParseInboxClaim(kv.Value); ok && exp.After(now) {
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
