package etcd

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// Group commit bounds: how many creates of one workspace share a Txn
// (each takes at most 4 ops, so 16 stay far under MaxTxnOps) and how many
// record bytes, so the request stays well under etcd's 1.5 MiB.
const (
	maxGroup      = 16
	maxGroupBytes = 512 << 10
)

// pendingCreate is one CreateMeeting waiting for its workspace's next
// group commit.
type pendingCreate struct {
	draft *core.Meeting
	size  int // its encoded record's bytes
	done  chan createResult
}

// createResult answers a pendingCreate: its id or error, or lead, which
// makes it the workspace's next committer.
type createResult struct {
	id   string
	err  error
	lead bool
}

// CreateMeeting assigns the workspace's next id, sets Version to 1 and
// stores m, its index entries and the advanced counter in one Txn that
// compares the counter's revision: of several replicas creating at once,
// each round exactly one wins and the rest retry with the counter the Txn
// handed back, so ids stay dense and unique.
//
// Within one process, creates of a workspace are group-committed: the
// first caller commits for everyone queued behind it (up to maxGroup), so
// concurrent schedules in one workspace share a raft round and its fsync
// instead of taking turns, as bbolt's batch does. Each caller still gets
// its own result; a failure of the shared Txn fails them all, and nothing
// of any is stored.
func (db *DB) CreateMeeting(ctx context.Context, m *core.Meeting) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	keys, err := db.keysOf(m.Workspace, "")
	if err != nil {
		return err
	}
	ck := db.cacheKey(keys.lastID)
	st := db.stripe(keys.lastID)
	p := &pendingCreate{draft: m.Clone(), done: make(chan createResult, 1)}
	// Refuse a meeting too large to store before it joins a group, so it
	// cannot fail the others' Txn.
	v, err := record.EncodeMeeting(p.draft)
	if err != nil {
		return internal(err)
	}
	if p.size = len(v); p.size > maxRecord {
		return errTooLarge(p.size)
	}
	st.Lock()
	if st.queues == nil {
		st.queues, st.busy = make(map[string][]*pendingCreate), make(map[string]bool)
	}
	st.queues[ck] = append(st.queues[ck], p)
	lead := !st.busy[ck]
	st.busy[ck] = true
	st.Unlock()
	for {
		if lead {
			// The committer works for others too, so its own cancellation
			// must not fail their creates; each Txn is still bounded.
			db.commitCreates(context.WithoutCancel(ctx), keys, ck, st)
		}
		r := <-p.done // always delivered: every queued create is answered or made committer
		if lead = r.lead; lead {
			continue
		}
		if r.err != nil {
			return r.err
		}
		m.ID, m.Version = r.id, 1
		return nil
	}
}

// CreatePlannedMeeting creates m and then plans the jobs plan returns for
// it. The two are separate Txns here (creates are group-committed per
// workspace, plans are not). Once the meeting is stored the call succeeds:
// the person's meeting exists, so a plan that still fails after a few
// tries (an etcd leader change) is logged, not returned, and is left to
// recovery, which plans a pending meeting that has no room job on the next
// leader's start, as after a crash between the two.
func (db *DB) CreatePlannedMeeting(ctx context.Context, m *core.Meeting, plan func(*core.Meeting) []core.DueJob) error {
	if plan == nil {
		return internal(fmt.Errorf("create planned meeting without a plan"))
	}
	if err := db.CreateMeeting(ctx, m); err != nil {
		return err
	}
	jobs := plan(m.Clone())
	pctx := context.WithoutCancel(ctx)
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		if err = db.PlanJobs(pctx, m.Workspace, m.ID, jobs); err == nil {
			return nil
		}
		_ = backoff(pctx, attempt+3)
	}
	db.log.Error().Err(err).Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Msg("meeting stored but its jobs not planned; recovery plans them")
	return nil
}

// commitCreates commits one group of the workspace's queued creates (the
// oldest first), answers them, and then hands the committer's role to the
// oldest create still queued, or gives it up when none is. Each caller so
// commits at most one group beyond its own wait.
func (db *DB) commitCreates(ctx context.Context, keys meetingKeys, ck string, st *stripe) {
	for first := true; ; first = false {
		st.Lock()
		queue := st.queues[ck]
		if len(queue) == 0 {
			delete(st.queues, ck)
			delete(st.busy, ck)
			st.Unlock()
			return
		}
		if !first {
			st.Unlock()
			queue[0].done <- createResult{lead: true}
			return
		}
		n, bytes := 1, queue[0].size
		for n < len(queue) && n < maxGroup && bytes+queue[n].size <= maxGroupBytes {
			bytes += queue[n].size
			n++
		}
		group := append([]*pendingCreate(nil), queue[:n]...)
		st.queues[ck] = queue[n:]
		cs, cached := st.cached(ck)
		st.Unlock()

		ids, err := db.createGroup(ctx, keys, ck, st, group, cs, cached)
		for i, p := range group {
			if err != nil {
				p.done <- createResult{err: err}
			} else {
				p.done <- createResult{id: ids[i]}
			}
		}
	}
}

// createGroup stores group under consecutive ids after the counter, in one
// Txn, and returns the ids in the group's order. When another replica won
// the round it retries with the counters the Txn handed back, so the next
// attempt needs no read.
func (db *DB) createGroup(ctx context.Context, keys meetingKeys, ck string, st *stripe, group []*pendingCreate, cs counterState, cached bool) ([]string, error) {
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	counters := strings.TrimSuffix(keys.lastID, counterLastID)
	if !cached {
		resp, err := db.cli.Get(bctx, counters, clientv3.WithPrefix())
		if err != nil {
			return nil, storeErr(ctx, err)
		}
		var err2 error
		if cs, err2 = countersOf(keys, resp.Kvs); err2 != nil {
			return nil, err2
		}
	}
	for attempt := 1; ; attempt++ {
		ids, cmps, ops, maxDur, err := db.groupOps(group, cs)
		if err != nil {
			return nil, err
		}
		tr, err := db.cli.Txn(bctx).If(cmps...).Then(ops...).
			Else(clientv3.OpGet(counters, clientv3.WithPrefix())).
			Commit()
		if err != nil {
			st.Lock()
			st.forget(ck) // the Txn may or may not have landed
			st.Unlock()
			return nil, storeErr(ctx, err)
		}
		if tr.Succeeded {
			db.cache.committed(tr.Header.Revision, ops...)
			cs.last, cs.lastRev = cs.last+uint64(len(group)), tr.Header.Revision
			if maxDur > cs.maxDur {
				cs.maxDur, cs.maxDurRev = maxDur, tr.Header.Revision
			}
			st.Lock()
			st.remember(ck, cs)
			st.Unlock()
			return ids, nil
		}
		before, beforeDur := cs.lastRev, cs.maxDurRev
		fresh, err := countersOf(keys, tr.Responses[0].GetResponseRange().Kvs)
		if err != nil {
			st.Lock()
			st.forget(ck)
			st.Unlock()
			return nil, err
		}
		cs = fresh
		st.Lock()
		st.remember(ck, cs)
		st.Unlock()
		if cs.lastRev == before && cs.maxDurRev == beforeDur {
			// Neither counter moved, so an id after the counter is taken:
			// the counter is behind the stored meetings and every retry
			// would fail alike.
			return nil, core.Wrap(core.ECONFLICT, fmt.Errorf("etcd: a meeting id after %d of %s is already taken", cs.last, group[0].draft.Workspace),
				"Could not pick a new meeting id. Please try again.")
		}
		if attempt >= maxAttempts {
			return nil, errContended("this workspace's meetings")
		}
		if attempt > 1 { // the first loss hands back a fresh counter: use it at once
			if err := backoff(bctx, attempt-1); err != nil {
				return nil, storeErr(ctx, err)
			}
		}
	}
}

// groupOps builds the one Txn of a group: each meeting under the next id,
// with a compare that its key is new, the counter advanced past them all
// (compared on its revision), and the workspace's longest duration raised
// once if any of them is longer.
func (db *DB) groupOps(group []*pendingCreate, cs counterState) (ids []string, cmps []clientv3.Cmp, ops []clientv3.Op, maxDur uint64, err error) {
	noRaise := cs
	noRaise.maxDur = ^uint64(0) // the raise is added once, below
	var k meetingKeys
	for i, p := range group {
		id := strconv.FormatUint(cs.last+uint64(i)+1, 10)
		c := p.draft.Clone()
		c.ID, c.Version = id, 1
		if k, err = db.keysOf(c.Workspace, id); err != nil {
			return nil, nil, nil, 0, err
		}
		_, mops, err := putMeetingOps(k, nil, c, noRaise)
		if err != nil {
			return nil, nil, nil, 0, err
		}
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k.record), "=", 0))
		ops = appendRoomOnce(ops, mops, k.roomPrefix)
		ids = append(ids, id)
		if c.Duration > 0 {
			maxDur = max(maxDur, uint64(c.Duration))
		}
	}
	cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k.lastID), "=", cs.lastRev))
	ops = append(ops, clientv3.OpPut(k.lastID, ids[len(ids)-1]))
	if maxDur > cs.maxDur {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k.maxDur), "=", cs.maxDurRev))
		ops = append(ops, clientv3.OpPut(k.maxDur, strconv.FormatUint(maxDur, 10)))
	}
	return ids, cmps, ops, maxDur, nil
}
