package etcd

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// NextDue windows: etcd counts every key of a ranged Get whatever its limit,
// so NextDue never asks for "the first key of the due index" over the whole
// index. It asks for the first key at or before a starting point, then in
// windows after it that grow by firstWindow·windowGrowth^n: each read counts
// only the keys of its window, every earlier window having been empty, so
// the cost follows how far away the next job is, not how many are stored.
const (
	firstWindow  = time.Minute
	windowGrowth = 8
	// lastWindow is where the growth stops and the final read runs to the
	// end of the index (time.Duration would overflow past ~292 years).
	lastWindow = 100 * 365 * 24 * time.Hour
)

// dueHints remembers, per DB, the earliest pending Due the last NextDue
// found. It only chooses where NextDue starts looking, never what it
// finds: keyed by *DB because the hint is this process's, like a cache.
var dueHints sync.Map // *DB → *dueHint

type dueHint struct {
	mu sync.Mutex
	t  time.Time
}

func (db *DB) hint() *dueHint {
	v, ok := dueHints.Load(db)
	if !ok {
		v, _ = dueHints.LoadOrStore(db, new(dueHint))
	}
	return v.(*dueHint)
}

// NextDue returns when the earliest job becomes claimable: the earliest
// pending Due, or the oldest claim's ClaimedAt plus rescue. The claim index
// is small by nature (claims last one run) and is read whole with limit 1.
// The due index is read from a starting point: the later of the wall
// clock's now and the earliest Due the last call found. Everything at or
// before it is one range (jobs overdue, or planned since before the last
// earliest: few either way), then windows after it grow (see firstWindow).
// The first round (claims, up to the start, the minute after) is one Txn,
// so a busy install, or any install whose next job has not changed, answers
// in one round trip whatever it stores.
func (db *DB) NextDue(ctx context.Context, rescue time.Duration) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	due, claimed := db.dueIndex(), db.claimedIndex()
	h := db.hint()
	from := time.Now().UTC()
	h.mu.Lock()
	if h.t.After(from) {
		from = h.t
	}
	h.mu.Unlock()
	to := from.Add(firstWindow)
	first := func(key, end string) clientv3.Op {
		return clientv3.OpGet(key, clientv3.WithRange(end), clientv3.WithLimit(1), clientv3.WithKeysOnly())
	}
	resp, err := db.cli.Txn(ctx).Then(
		first(claimed, prefixEnd(claimed)),
		first(due, through(due, from)),
		first(through(due, from), through(due, to)),
	).Commit()
	if err != nil {
		return time.Time{}, false, storeErr(ctx, err)
	}
	var (
		at time.Time
		ok bool
	)
	if t, found, err := firstTime(claimed, resp.Responses[0].GetResponseRange().GetKvs()); err != nil {
		return time.Time{}, false, err
	} else if found {
		at, ok = t.Add(rescue), true
	}
	pending, found, err := firstTime(due, resp.Responses[1].GetResponseRange().GetKvs())
	if err == nil && !found {
		pending, found, err = firstTime(due, resp.Responses[2].GetResponseRange().GetKvs())
	}
	for w := firstWindow; err == nil && !found; {
		if ok && !at.After(to) {
			break // every pending job comes after the claim found
		}
		w *= windowGrowth
		start, end, last := through(due, to), prefixEnd(due), w >= lastWindow
		if !last {
			to = to.Add(w)
			end = through(due, to)
		}
		g, gerr := db.cli.Get(ctx, start, clientv3.WithRange(end), clientv3.WithLimit(1), clientv3.WithKeysOnly())
		if gerr != nil {
			return time.Time{}, false, storeErr(ctx, gerr)
		}
		pending, found, err = firstTime(due, g.Kvs)
		if last {
			break
		}
	}
	if err != nil {
		return time.Time{}, false, err
	}
	h.mu.Lock()
	h.t = pending // zero when nothing is pending, or a claim came first
	h.mu.Unlock()
	if found && (!ok || pending.Before(at)) {
		at, ok = pending, true
	}
	return at, ok, nil
}

// firstTime is the time of the first index entry among kvs.
func firstTime(index string, kvs []*mvccpb.KeyValue) (time.Time, bool, error) {
	if len(kvs) == 0 {
		return time.Time{}, false, nil
	}
	t, _, ok := parseIndexKey(index, string(kvs[0].Key))
	if !ok {
		return time.Time{}, false, core.Errorf(core.EINTERNAL, "meetbot's store holds a malformed job index key %q.", kvs[0].Key)
	}
	return t, true, nil
}

// ClaimDue claims, for owner, up to limit jobs due at or before now or
// whose claim is at least rescue old, and returns them ordered by Due (then
// id), rescued claims taken oldest first. One claim is one Txn of three
// ops a job, so it takes at most 40 jobs (claimBatch) whatever limit asks;
// the scheduler claims again until nothing is left. The Txn compares every
// record it read, and the leader's fence when ctx carries one: a replica
// that lost the lead gets ECONFLICT and claims nothing.
//
// Its reads range over the claim index up to now-rescue and the due index
// up to now, or, in a backlog of overdue jobs, up to a little past where
// the last claim stopped (see claimReads): they count about the jobs they
// claim, not every job stored or overdue.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, limit int, owner string, rescue time.Duration) ([]core.DueJob, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, nil
	}
	if now.IsZero() || owner == "" {
		return nil, fmt.Errorf("etcd: claim due jobs needs a time and an owner (got %v, %q)", now, owner)
	}
	now = now.UTC()
	n := min(limit, claimBatch)
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		out, done, err := db.claimOnce(ctx, now, n, owner, rescue)
		if err != nil || done {
			return out, err
		}
		if err := backoff(ctx, attempt); err != nil {
			return nil, storeErr(ctx, err)
		}
	}
	return nil, errContended("the due jobs")
}

// claimOnce is one round of ClaimDue; done is false when it must read again
// (a compare failed, or it only removed stray index entries).
func (db *DB) claimOnce(ctx context.Context, now time.Time, n int, owner string, rescue time.Duration) ([]core.DueJob, bool, error) {
	due, claimed := db.dueIndex(), db.claimedIndex()
	dueKvs, claimedKvs, err := db.claimReads(ctx, now, n, rescue)
	if err != nil {
		return nil, false, err
	}
	type entry struct{ index, key, id string }
	var entries []entry
	var ids []string
	var strays []string
	for i, index := range []string{due, claimed} {
		for _, kv := range [][]*mvccpb.KeyValue{dueKvs, claimedKvs}[i] {
			k := string(kv.Key)
			if _, id, ok := parseIndexKey(index, k); ok {
				entries = append(entries, entry{index, k, id})
				ids = append(ids, id)
			} else {
				strays = append(strays, k)
			}
		}
	}
	if len(entries)+len(strays) == 0 {
		return nil, true, nil
	}
	recs, err := db.readJobs(ctx, ids)
	if err != nil {
		return nil, false, err
	}
	var cands []*core.DueJob
	for _, e := range entries {
		s := recs[e.id]
		if s.job != nil && db.stateKey(s.job) == e.key {
			cands = append(cands, s.job)
			continue
		}
		// Left in place, a stray would sit at the front of its index and
		// make NextDue report work that ClaimDue never finds.
		ev := db.log.Error().Str("job", e.id).Str("index", e.index[len(db.prefix):])
		if s.err != nil {
			ev = ev.Err(s.err)
		}
		ev.Bool("missing", s.err == nil && s.job == nil).Msg("job index entry does not match its record; removing the entry")
		strays = append(strays, e.key)
	}
	slices.SortFunc(cands, func(a, b *core.DueJob) int { return byDue(*a, *b) })
	cands = cands[:min(n, len(cands))]

	cmps := fenced(ctx)
	var ops []clientv3.Op
	out := make([]core.DueJob, 0, len(cands))
	for _, j := range cands {
		cmps = append(cmps, db.pinned(j.ID, recs[j.ID]))
		old := db.stateKey(j)
		c := *j
		c.ClaimedBy, c.ClaimedAt = owner, now
		put, err := db.putJobOp(&c)
		if err != nil {
			return nil, false, err
		}
		ops = append(ops, put)
		// A claim retaken at the instant it was made (a new term retakes
		// every claim, and a fake clock may not have moved) keeps its index
		// entry: etcd refuses a Txn that deletes and puts one key.
		if k := db.stateKey(&c); k != old {
			ops = append(ops, clientv3.OpDelete(old), clientv3.OpPut(k, ""))
		}
		out = append(out, c)
	}
	for _, k := range strays {
		if len(ops) == MaxTxnOps {
			break
		}
		ops = append(ops, clientv3.OpDelete(k))
	}
	ok, err := db.commitFenced(ctx, cmps, ops)
	if err != nil || !ok {
		return nil, false, err
	}
	if len(out) == 0 {
		return nil, false, nil // strays only: look again
	}
	return out, true, nil
}

// claimReads returns the first n entries of the due index at or before now
// and of the claim index at or before now-rescue. etcd counts every key of
// a range, so with a backlog of overdue jobs (after downtime) "everything
// up to now" would cost the whole backlog on every claim. When the hint
// says where the last claim stopped, the due range instead ends a minute
// past that point, growing as NextDue's windows do until it holds n entries
// or reaches now: the first n entries of a range that starts at the index's
// start are the first n of any longer one, so the result is the same, and
// each claim counts about what it takes. The hint is then moved to the
// last entry read.
func (db *DB) claimReads(ctx context.Context, now time.Time, n int, rescue time.Duration) (dueKvs, claimedKvs []*mvccpb.KeyValue, err error) {
	due, claimed := db.dueIndex(), db.claimedIndex()
	h := db.hint()
	h.mu.Lock()
	from := h.t
	h.mu.Unlock()
	windowed := !from.IsZero() && from.Before(now)
	w, end := firstWindow, now
	if windowed && from.Add(w).Before(now) {
		end = from.Add(w)
	}
	resp, err := db.cli.Txn(ctx).Then(
		clientv3.OpGet(due, clientv3.WithRange(through(due, end)), clientv3.WithLimit(int64(n)), clientv3.WithKeysOnly()),
		clientv3.OpGet(claimed, clientv3.WithRange(through(claimed, now.Add(-rescue))), clientv3.WithLimit(int64(n)), clientv3.WithKeysOnly()),
	).Commit()
	if err != nil {
		return nil, nil, storeErr(ctx, err)
	}
	dueKvs = resp.Responses[0].GetResponseRange().GetKvs()
	claimedKvs = resp.Responses[1].GetResponseRange().GetKvs()
	for len(dueKvs) < n && end.Before(now) {
		if w *= windowGrowth; w >= lastWindow || !from.Add(w).Before(now) {
			end = now
		} else {
			end = from.Add(w)
		}
		g, err := db.cli.Get(ctx, due, clientv3.WithRange(through(due, end)), clientv3.WithLimit(int64(n)), clientv3.WithKeysOnly())
		if err != nil {
			return nil, nil, storeErr(ctx, err)
		}
		dueKvs = g.Kvs
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case len(dueKvs) == n:
		// A backlog: the next claim starts looking where this one stopped.
		if t, _, ok := parseIndexKey(due, string(dueKvs[n-1].Key)); ok {
			h.t = t
		}
	case !h.t.After(now):
		h.t = time.Time{} // nothing more is overdue; NextDue sets the next hint
	}
	return dueKvs, claimedKvs, nil
}

// commitFenced commits a Txn whose compares may start with the fence. ok is
// false when a record compare failed (read again); a failed fence is
// ECONFLICT, told apart by reading the leader key in the Else branch.
func (db *DB) commitFenced(ctx context.Context, cmps []clientv3.Cmp, ops []clientv3.Op) (bool, error) {
	txn := db.cli.Txn(ctx).If(cmps...).Then(ops...)
	f, fencedCtx := fenceFrom(ctx)
	if fencedCtx {
		txn = txn.Else(clientv3.OpGet(f.key))
	}
	resp, err := txn.Commit()
	if err != nil {
		return false, storeErr(ctx, err)
	}
	if resp.Succeeded {
		return true, nil
	}
	if fencedCtx {
		kvs := resp.Responses[0].GetResponseRange().GetKvs()
		if len(kvs) == 0 || kvs[0].CreateRevision != f.rev {
			return false, errDeposed()
		}
	}
	return false, nil
}

// finishJob applies change to a job that is not done and still claimed by
// owner, moving its state index entry to match, in one fenced Txn. A job
// already done, or claimed by another owner, is left as it is (the first
// outcome wins). ENOTFOUND for an unknown id.
func (db *DB) finishJob(ctx context.Context, id, owner string, change func(*core.DueJob)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validName(id) {
		return errNoJob(id)
	}
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	key := db.jobKey(id)
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		recs, err := db.readJobs(ctx, []string{id})
		if err != nil {
			return err
		}
		s := recs[id]
		switch {
		case s.err != nil:
			return s.err
		case s.job == nil:
			return errNoJob(id)
		case !s.job.DoneAt.IsZero() || s.job.ClaimedBy != owner:
			return nil
		}
		j := *s.job
		old := db.stateKey(&j)
		change(&j)
		put, err := db.putJobOp(&j)
		if err != nil {
			return err
		}
		cmps := append(fenced(ctx), clientv3.Compare(clientv3.ModRevision(key), "=", s.modRev))
		ok, err := db.commitFenced(ctx, cmps, []clientv3.Op{put, clientv3.OpDelete(old), clientv3.OpPut(db.stateKey(&j), "")})
		if err != nil || ok {
			return err
		}
		if err := backoff(ctx, attempt); err != nil {
			return storeErr(ctx, err)
		}
	}
	return errContended("this job")
}

// CompleteJob marks the job done at doneAt with postRef, when owner still
// holds its claim; otherwise (a rescuer took it over, or it is done) it
// changes nothing. With a leader's fence in ctx, a completion after the
// lead was lost is ECONFLICT and changes nothing: the job stays claimed and
// the new leader's rescue runs it. ENOTFOUND for an unknown id, which
// includes a job a re-plan dropped while it ran.
func (db *DB) CompleteJob(ctx context.Context, id, owner string, doneAt time.Time, postRef string) error {
	change, err := record.Completed(id, owner, doneAt, postRef)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	return db.finishJob(ctx, id, owner, change)
}

// FailJob gives the job up: done at at, Failed, with reason as LastError,
// counting one more failed attempt. Fenced like CompleteJob.
func (db *DB) FailJob(ctx context.Context, id, owner string, at time.Time, reason string) error {
	change, err := record.GivenUp(id, at, reason)
	if err != nil {
		return fmt.Errorf("etcd: %w", err)
	}
	return db.finishJob(ctx, id, owner, change)
}

// RetryJob releases owner's claim, counts the failed attempt and makes the
// job pending again, due at at. Fenced like CompleteJob.
func (db *DB) RetryJob(ctx context.Context, id, owner string, at time.Time, lastErr string) error {
	return db.finishJob(ctx, id, owner, record.Retried(at, lastErr))
}
