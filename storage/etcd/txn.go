package etcd

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
)

// maxAttempts bounds the optimistic retries of one write. A write loses a
// round only when another client changed the same key in between, and each
// round that someone loses someone else wins, so running out takes far more
// contention than three replicas produce (see RunShared and the
// concurrent-create test).
const maxAttempts = 100

// errContended is what a write answers when it lost every round.
func errContended(what string) error {
	return core.Errorf(core.ECONFLICT, "Too many changes to %s at once. Please try again.", what)
}

// backoff waits before attempt n (from 1) of a write that lost a race: a
// short random time growing with n, so racers spread out instead of
// colliding again in lockstep. It returns the context's error if ctx ends
// first.
func backoff(ctx context.Context, n int) error {
	limit := time.Millisecond << min(n, 6) // 2ms … 64ms
	t := time.NewTimer(rand.N(limit) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// stripes serialise, inside one process, the writes that all replicas
// fight over (a workspace's meeting counter, a busy meeting): the process
// then sends one contender at a time instead of fifty, and only other
// replicas can make it lose a round. The stripe is picked by the DB's
// address and the key, so two clients in one process (the tests' two
// replicas) almost always still contend through etcd, and nothing has to
// be cleaned up when a DB closes.
var stripes [256]stripe

// stripe is one lock of stripes, with what the writes it serialises may
// remember between calls.
type stripe struct {
	sync.Mutex
	// counters caches per workspace (keyed by cacheKey of its last-id
	// key) the counters this process last read or wrote, so a create
	// usually costs one Txn instead of a read and a Txn. A stale entry is
	// harmless: the Txn's compare on the counter's revision fails and hands
	// back the fresh state. Guarded by the mutex.
	counters map[string]counterState
	// queues and busy are the group commit of CreateMeeting (create.go):
	// per workspace, the creates waiting and whether a committer runs.
	// Guarded by the mutex.
	queues map[string][]*pendingCreate
	busy   map[string]bool
}

// maxCachedCounters bounds one stripe's cache; past it the cache starts
// over (an install with that many active workspaces loses one read each).
const maxCachedCounters = 1024

func (db *DB) stripe(key string) *stripe {
	h := fnv.New64a()
	_, _ = h.Write([]byte(db.cacheKey(key)))
	return &stripes[h.Sum64()%uint64(len(stripes))]
}

// cacheKey names key for this DB alone, so two clients in one process do
// not share cached state.
func (db *DB) cacheKey(key string) string { return fmt.Sprintf("%p\x00%s", db, key) }

// cached returns the counters remembered for k; call with st locked.
func (st *stripe) cached(key string) (counterState, bool) {
	cs, ok := st.counters[key]
	return cs, ok
}

// remember stores cs for k; call with st locked.
func (st *stripe) remember(key string, cs counterState) {
	if st.counters == nil || len(st.counters) >= maxCachedCounters {
		st.counters = make(map[string]counterState)
	}
	st.counters[key] = cs
}

// forget drops what is remembered for k; call with st locked.
func (st *stripe) forget(key string) { delete(st.counters, key) }

// kvOf returns the first key of the Get at position i of a Txn's
// responses; found is false when the key is absent.
func kvOf(resp *clientv3.TxnResponse, i int) (value []byte, modRev int64, found bool) {
	if i >= len(resp.Responses) {
		return nil, 0, false
	}
	g := resp.Responses[i].GetResponseRange()
	if g == nil || len(g.Kvs) == 0 {
		return nil, 0, false
	}
	return g.Kvs[0].Value, g.Kvs[0].ModRevision, true
}

// getOne reads one key; found is false when it is absent.
func (db *DB) getOne(ctx context.Context, key string) (value []byte, modRev int64, found bool, err error) {
	resp, err := db.cli.Get(ctx, key)
	if err != nil {
		return nil, 0, false, err
	}
	if len(resp.Kvs) == 0 {
		return nil, 0, false, nil
	}
	return resp.Kvs[0].Value, resp.Kvs[0].ModRevision, true, nil
}

// casUpdate is the read-modify-write of one record: it reads key, asks
// change for the new value, and writes it only if key is still at the
// revision read, retrying with the fresh value otherwise. change returns
// write=false to store nothing (its answer stands); an error from change
// ends the update with nothing stored. Updates of one key take turns within
// the process, so only other replicas make it retry.
func (db *DB) casUpdate(ctx context.Context, key, what string, change func(v []byte, found bool) (nv []byte, write bool, err error)) error {
	mu := db.stripe(key)
	mu.Lock()
	defer mu.Unlock()
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	// A cached value may be a moment old; the Txn's compare then fails
	// and hands back the fresh one.
	v, rev, found, err := db.readOne(ctx, key)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		nv, write, err := change(v, found)
		if err != nil || !write {
			return err
		}
		put := clientv3.OpPut(key, string(nv))
		resp, err := db.cli.Txn(bctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
			Then(put).
			Else(clientv3.OpGet(key)).
			Commit()
		if err != nil {
			return storeErr(ctx, err)
		}
		if resp.Succeeded {
			db.cache.committed(resp.Header.Revision, put)
			return nil
		}
		if attempt >= maxAttempts {
			return errContended(what)
		}
		v, rev, found = kvOf(resp, 0)
		if attempt > 1 { // the first loss hands back the fresh value: use it at once
			if err := backoff(bctx, attempt-1); err != nil {
				return storeErr(ctx, err)
			}
		}
	}
}
