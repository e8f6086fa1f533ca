package etcd

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/connectivity"

	"github.com/meetbot/meetbot/core"
)

// Limits of the read cache. An install far past them (more live meetings
// and people than 100k records) only pays a read for what was evicted.
const (
	defaultCacheEntries = 100_000
	defaultCacheBytes   = 64 << 20
	// cacheProbeEvery is how often an idle watch is asked for a progress
	// notification, and cacheStaleAfter how long it may stay silent before
	// the cache stops trusting it: a stream that stalled without breaking
	// (a half-open connection) cannot make the cache serve old records for
	// longer than that.
	cacheProbeEvery = 500 * time.Millisecond
	cacheStaleAfter = 2 * time.Second
)

// errCacheStale ends a watch that stopped answering progress requests.
var errCacheStale = errors.New("etcd: read-cache watch answered no progress request in time")

// errCacheBroken ends a watch on a test's request.
var errCacheBroken = errors.New("etcd: read-cache watch broken on request")

// readCache keeps the records point reads return (meetings, participants,
// users, workspace settings, secrets, installations) so that a warm join
// costs no round trip. One watch on the whole prefix keeps it current: every
// event on a cached key replaces or tombstones it. The rules that keep it
// from ever going backwards:
//
//   - Every entry carries the revision it is true at (the record's
//     ModRevision, or for an absent record the revision of the read or the
//     delete that found it absent). Nothing replaces an entry with an older
//     one, so events, reads and this process's own writes may arrive in any
//     order.
//   - A key with no entry is only filled from a read or write at or after
//     the revision the watch has reached (seen): every later change of it is
//     then still to come through the watch, while a change the watch already
//     passed (and skipped, the key not being cached then) could be newer
//     than the read.
//   - The cache serves only while its watch is established, the client's
//     connection is up, and the watch answered within cacheStaleAfter. A
//     watch that errs, is cancelled or falls behind a compaction empties the
//     cache, which then fills again from reads once a new watch runs.
//
// A nil *readCache (Options.NoReadCache) caches nothing; every method is
// safe on it.
type readCache struct {
	prefix     string
	maxEntries int
	maxBytes   int
	ready      func() bool // the client's connection is up

	mu      sync.RWMutex
	entries map[string]cacheEntry
	size    int
	serving bool
	seen    int64     // the watch has delivered every event up to here
	heard   time.Time // last response of the watch
	changed chan struct{}
	now     func() time.Time
	// Test hooks: from, when set, is the revision the next watch starts at
	// (to make it start behind a compaction); restarted is called with the
	// error of every watch that ended.
	from      int64
	restarted func(error)

	probe  chan struct{} // Sync asks the watch for progress now
	breakc chan struct{} // a test breaks the watch
	cancel context.CancelFunc
	done   chan struct{}
	hits   atomic.Int64
}

// cacheEntry is one cached record; absent marks a record known not to
// exist at rev.
type cacheEntry struct {
	val    []byte
	rev    int64
	absent bool
}

func (e cacheEntry) cost(key string) int { return len(key) + len(e.val) + 64 }

func newReadCache(prefix string, ready func() bool) *readCache {
	return &readCache{
		prefix: prefix, maxEntries: defaultCacheEntries, maxBytes: defaultCacheBytes, ready: ready,
		entries: map[string]cacheEntry{}, changed: make(chan struct{}), now: time.Now,
		probe: make(chan struct{}, 1), breakc: make(chan struct{}, 1), done: make(chan struct{}),
	}
}

// connReady reports whether the client's connection to the cluster is up.
func connReady(cli *clientv3.Client) func() bool {
	return func() bool {
		cc := cli.ActiveConnection()
		return cc != nil && cc.GetState() == connectivity.Ready
	}
}

// cacheable reports whether key is a record kind the point reads serve.
func (c *readCache) cacheable(key string) bool {
	rest, ok := strings.CutPrefix(key, c.prefix)
	if !ok {
		return false
	}
	kind, _, ok := strings.Cut(rest, "/")
	if !ok {
		return false
	}
	switch kind {
	case kindMeetings, kindParticipants, kindUsers, kindWorkspaces, kindSecrets, kindInstalls:
		return true
	}
	return false
}

// get returns key's cached record: hit is false when the cache cannot
// answer (no entry, or it is not serving), and the caller reads etcd. The
// value is a copy, so a caller may keep or change it.
func (c *readCache) get(key string) (v []byte, modRev int64, found, hit bool) {
	if c == nil {
		return nil, 0, false, false
	}
	c.mu.RLock()
	e, ok := c.entries[key]
	serving := c.serving
	c.mu.RUnlock()
	if !ok || !serving || !c.ready() {
		return nil, 0, false, false
	}
	c.hits.Add(1)
	if e.absent {
		return nil, 0, false, true
	}
	return bytes.Clone(e.val), e.rev, true, true
}

// filled records what a read of key found: its value at modRev, or its
// absence, as of the response's revision at.
func (c *readCache) filled(key string, v []byte, modRev int64, found bool, at int64) {
	if c == nil || !c.cacheable(key) {
		return
	}
	e := cacheEntry{val: v, rev: modRev}
	if !found {
		e = cacheEntry{rev: at, absent: true}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offer(key, e, at)
}

// committed records the writes of a Txn (or Put, or Delete) this process
// made and etcd committed at rev, so this replica reads its own writes at
// once instead of after the watch delivers them. Puts store the value,
// deletes (ranges too) leave tombstones; other ops are ignored.
func (c *readCache) committed(rev int64, ops ...clientv3.Op) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.serving {
		return
	}
	for _, op := range ops {
		key := string(op.KeyBytes())
		switch {
		case op.IsPut() && c.cacheable(key):
			c.offer(key, cacheEntry{val: bytes.Clone(op.ValueBytes()), rev: rev}, rev)
		case op.IsDelete() && len(op.RangeBytes()) == 0 && c.cacheable(key):
			c.offer(key, cacheEntry{rev: rev, absent: true}, rev)
		case op.IsDelete():
			c.tombstoneRange(key, string(op.RangeBytes()), rev)
		}
	}
}

// offer stores e for key unless the cache knows something newer; at is
// the revision the information is true at. Call with mu held.
func (c *readCache) offer(key string, e cacheEntry, at int64) {
	if !c.serving {
		return
	}
	old, ok := c.entries[key]
	switch {
	case ok && old.rev >= e.rev:
		return
	case !ok && at < c.seen:
		// The watch is past this read: it may have carried (and skipped)
		// a newer change of the key.
		return
	}
	c.put(key, e, old, ok)
}

// tombstoneRange marks every cached key in [from, end) deleted at rev (a
// meeting's participants go with one ranged delete). It walks the whole
// cache, which only DeleteMeeting asks for. Call with mu held.
func (c *readCache) tombstoneRange(from, end string, rev int64) {
	for k, old := range c.entries {
		if k < from || (end != "\x00" && k >= end) || old.rev >= rev {
			continue
		}
		c.put(k, cacheEntry{rev: rev, absent: true}, old, true)
	}
}

// put stores e, evicting random entries while the cache is over its
// limits. A value too large to be worth its room is not kept, and neither
// is what it replaces. Call with mu held.
func (c *readCache) put(key string, e, old cacheEntry, had bool) {
	if had {
		c.size -= old.cost(key)
		delete(c.entries, key)
	}
	if e.cost(key) > c.maxBytes/64 {
		return
	}
	for k, v := range c.entries {
		if len(c.entries) < c.maxEntries && c.size+e.cost(key) <= c.maxBytes {
			break
		}
		c.size -= v.cost(k)
		delete(c.entries, k)
	}
	c.entries[key] = e
	c.size += e.cost(key)
}

// apply takes one watch response: events replace or tombstone the keys the
// cache holds (a key it does not hold stays out; reads bring it in), and
// every response moves seen on.
func (c *readCache) apply(resp clientv3.WatchResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.heard = c.now()
	seen := c.seen
	for _, ev := range resp.Events {
		rev := ev.Kv.ModRevision
		seen = max(seen, rev)
		key := string(ev.Kv.Key)
		old, ok := c.entries[key]
		if !ok || old.rev >= rev {
			continue
		}
		if ev.Type == mvccpb.DELETE {
			c.put(key, cacheEntry{rev: rev, absent: true}, old, true)
		} else {
			c.put(key, cacheEntry{val: ev.Kv.Value, rev: rev}, old, true)
		}
	}
	if len(resp.Events) == 0 && resp.IsProgressNotify() {
		// A progress notification: every event up to the header's
		// revision has been delivered.
		seen = max(seen, resp.Header.Revision)
	}
	c.advance(seen)
}

// up starts serving from a watch established after revision from-1.
func (c *readCache) up(from int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.serving, c.heard = true, c.now()
	c.advance(from - 1)
}

// advance moves seen and wakes Sync. Call with mu held.
func (c *readCache) advance(seen int64) {
	c.seen = max(c.seen, seen)
	close(c.changed)
	c.changed = make(chan struct{})
}

// reset empties the cache and stops serving until a new watch is up.
func (c *readCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries, c.size, c.serving, c.seen = map[string]cacheEntry{}, 0, false, 0
	close(c.changed)
	c.changed = make(chan struct{})
}

// silentFor is how long the watch has said nothing.
func (c *readCache) silentFor() time.Duration {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.now().Sub(c.heard)
}

// caughtUp reports whether the watch serves and has seen rev; otherwise
// it returns a channel closed at the next change.
func (c *readCache) caughtUp(rev int64) (bool, <-chan struct{}) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.serving && c.seen >= rev, c.changed
}

// startCache runs the cache's watch until Close.
func (db *DB) startCache() {
	c := newReadCache(db.prefix, connReady(db.cli))
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	db.cache = c
	go db.runCache(ctx, c)
}

// stopCache ends the watch and waits for it; safe to call twice.
func (db *DB) stopCache() {
	if c := db.cache; c != nil {
		c.cancel()
		<-c.done
	}
}

// runCache keeps one watch running, re-establishing it (after emptying the
// cache) whenever it ends, with a growing pause while the cluster is away.
func (db *DB) runCache(ctx context.Context, c *readCache) {
	defer close(c.done)
	pause := 50 * time.Millisecond
	for ctx.Err() == nil {
		began := time.Now()
		err := db.followCache(ctx, c)
		c.reset()
		if ctx.Err() != nil || db.cli.Ctx().Err() != nil {
			return
		}
		ev := db.log.Warn()
		if errors.Is(err, rpctypes.ErrCompacted) {
			ev = db.log.Info() // the watch fell behind a compaction: expected now and then
		}
		ev.Err(err).Msg("read-cache watch ended; the cache is empty until it runs again")
		c.mu.RLock()
		hook := c.restarted
		c.mu.RUnlock()
		if hook != nil {
			hook(err)
		}
		if time.Since(began) > 10*time.Second {
			pause = 50 * time.Millisecond
		}
		if !pauseFor(ctx, pause) {
			return
		}
		// Each try is one small read; a cluster that comes back is
		// served from the cache again within a second.
		pause = min(2*pause, time.Second)
	}
}

// followCache runs one watch from the current revision until it fails.
func (db *DB) followCache(ctx context.Context, c *readCache) error {
	rev, err := db.currentRev(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	from := rev + 1
	if c.from > 0 {
		from, c.from = c.from, 0
	}
	c.mu.Unlock()
	// The leader requirement ends the watch when its member loses the
	// cluster, instead of leaving it silently behind.
	wctx, stop := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer stop()
	wch := db.cli.Watch(wctx, db.prefix, clientv3.WithPrefix(), clientv3.WithRev(from),
		clientv3.WithCreatedNotify(), clientv3.WithProgressNotify())
	tick := time.NewTicker(cacheProbeEvery)
	defer tick.Stop()
	created := false
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.breakc:
			return errCacheBroken
		case resp, ok := <-wch:
			switch {
			case !ok:
				return errors.New("etcd: read-cache watch closed")
			case resp.Err() != nil:
				return resp.Err()
			case resp.Canceled:
				return errors.New("etcd: read-cache watch cancelled")
			case resp.Created:
				created = true
				c.up(from)
			default:
				c.apply(resp)
			}
		case <-tick.C:
			if !created {
				continue
			}
			if quiet := c.silentFor(); quiet > cacheStaleAfter {
				return errCacheStale
			} else if quiet >= cacheProbeEvery {
				db.requestProgress(wctx)
			}
		case <-c.probe:
			db.requestProgress(wctx)
		}
	}
}

// requestProgress asks the server to tell the watch its current revision.
// wctx carries the watch's metadata, which names its stream.
func (db *DB) requestProgress(wctx context.Context) {
	pctx, cancel := context.WithTimeout(wctx, cacheProbeEvery)
	defer cancel()
	// An error shows as silence, which the staleness check handles.
	_ = db.cli.RequestProgress(pctx)
}

// Sync waits until this store's read cache has seen every write committed
// anywhere in the cluster before the call, so the reads that follow see
// them. Without it a record another replica wrote a moment ago may read as
// it was for as long as the watch takes to deliver the change (usually
// milliseconds). Production code does not need it: writes compare the
// revisions they read and retry. Tests that write through one client and
// read through another call it (storagetest does, through an optional
// interface). With Options.NoReadCache it returns at once.
func (db *DB) Sync(ctx context.Context) error {
	if db.cache == nil {
		return ctx.Err()
	}
	rev, err := db.currentRev(ctx)
	if err != nil {
		return err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	for {
		ok, changed := db.cache.caughtUp(rev)
		if ok {
			return nil
		}
		select {
		case db.cache.probe <- struct{}{}:
		default:
		}
		select {
		case <-changed:
		case <-bctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return core.Wrap(core.EUNAVAILABLE, errors.New("etcd: read-cache watch did not catch up"), UnavailableMessage)
		}
	}
}

// readOne is getOne through the read cache: a cached record costs no round
// trip, and a read from etcd fills the cache. A record another replica
// changed may read as it was for the watch's delay (see Sync); every write
// that depends on what it read compares the revision and retries, so only
// what a person sees can lag, never what is stored.
func (db *DB) readOne(ctx context.Context, key string) (value []byte, modRev int64, found bool, err error) {
	if v, rev, ok, hit := db.cache.get(key); hit {
		return v, rev, ok, nil
	}
	resp, err := db.cli.Get(ctx, key)
	if err != nil {
		return nil, 0, false, err
	}
	if len(resp.Kvs) == 0 {
		db.cache.filled(key, nil, 0, false, resp.Header.Revision)
		return nil, 0, false, nil
	}
	kv := resp.Kvs[0]
	db.cache.filled(key, kv.Value, kv.ModRevision, true, resp.Header.Revision)
	return bytes.Clone(kv.Value), kv.ModRevision, true, nil
}
