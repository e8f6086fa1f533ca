package etcd

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// PutInstallation creates or replaces the workspace's installation.
func (db *DB) PutInstallation(ctx context.Context, in *core.Installation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k, err := db.wsKey(kindInstalls, in.Workspace)
	if err != nil {
		return err
	}
	v, err := record.EncodeInstallation(in)
	if err != nil {
		return internal(err)
	}
	return db.put(ctx, k, v)
}

// FindInstallation returns ENOTFOUND when the workspace has none.
func (db *DB) FindInstallation(ctx context.Context, ws core.WorkspaceKey) (*core.Installation, error) {
	k, err := db.wsKey(kindInstalls, ws)
	return findRecord(ctx, db, k, err, func() error { return core.Errorf(core.ENOTFOUND, "meetbot is not installed in this workspace.") },
		func(v []byte) (*core.Installation, error) { return record.DecodeInstallation(ws, v) })
}

// DeleteInstallation forgets the workspace's token; a missing one is not an
// error.
func (db *DB) DeleteInstallation(ctx context.Context, ws core.WorkspaceKey) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k, err := db.wsKey(kindInstalls, ws)
	if err != nil {
		return err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	resp, err := db.cli.Delete(bctx, k)
	if err != nil {
		return storeErr(ctx, err)
	}
	db.cache.committed(resp.Header.Revision, clientv3.OpDelete(k))
	return nil
}

// maxOnceKey bounds a delivery key; platform ids are far shorter.
const maxOnceKey = 512

// Once records key until now+ttl and reports whether it was new, in one
// Txn: put when the key was never created; otherwise put only when its
// stored expiry is at or before now, which the nested Txn asks by comparing
// the fixed-width value bytewise (see onceValue). No read comes first and
// no lease is needed, so two replicas handed the same retried delivery get
// exactly one true between them.
func (db *DB) Once(ctx context.Context, key string, now time.Time, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if key == "" || len(key) > maxOnceKey {
		return false, fmt.Errorf("etcd: delivery key is empty or longer than %d bytes", maxOnceKey)
	}
	k := db.prefix + kindOnce + "/" + esc(key)
	exp := onceValue(now.Add(ttl))
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	tr, err := db.cli.Txn(bctx).
		If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
		Then(clientv3.OpPut(k, exp)).
		Else(clientv3.OpTxn(
			[]clientv3.Cmp{clientv3.Compare(clientv3.Value(k), "<", onceValue(now.Add(1)))},
			[]clientv3.Op{clientv3.OpPut(k, exp)}, nil)).
		Commit()
	if err != nil {
		return false, storeErr(ctx, err)
	}
	if tr.Succeeded {
		return true, nil
	}
	if len(tr.Responses) == 0 || tr.Responses[0].GetResponseTxn() == nil {
		return false, fmt.Errorf("etcd: record delivery: the Txn answered no nested result")
	}
	return tr.Responses[0].GetResponseTxn().Succeeded, nil
}

// PruneOnce forgets keys that ran out before now. It pages through the
// keys (they are the last few minutes' deliveries, so few) and deletes the
// expired ones in Txns that compare each key's revision, so a key claimed
// again meanwhile is kept.
func (db *DB) PruneOnce(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	prefix := db.prefix + kindOnce + "/"
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

// deleteAll runs the deletes ops[i] guarded by cmps[i] in one Txn and, if
// one guard fails, one by one, so a single re-claimed key does not keep the
// others. It returns how many it deleted.
func (db *DB) deleteAll(ctx, bctx context.Context, cmps []clientv3.Cmp, ops []clientv3.Op) (int, error) {
	if len(ops) == 0 {
		return 0, nil
	}
	tr, err := db.cli.Txn(bctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return 0, storeErr(ctx, err)
	}
	if tr.Succeeded {
		return len(ops), nil
	}
	n := 0
	for i := range ops {
		tr, err := db.cli.Txn(bctx).If(cmps[i]).Then(ops[i]).Commit()
		if err != nil {
			return n, storeErr(ctx, err)
		}
		if tr.Succeeded {
			n++
		}
	}
	return n, nil
}
