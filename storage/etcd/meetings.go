package etcd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// pageSize is how many index keys one ranged Get returns; the meetings they
// name are then read in one Txn of as many Gets, so it stays under
// MaxTxnOps.
const pageSize = 100

// maxRecord bounds one stored meeting. etcd refuses requests over 1.5 MiB
// by default; a meeting Txn carries one record plus small index keys, so a
// record under 1 MiB always fits, and one that grew past it (thousands of
// invitees) is refused with a sentence instead of a store error.
const maxRecord = 1 << 20

func errNoMeeting(id string) error {
	return core.Errorf(core.ENOTFOUND,
		"There is no meeting %q here. Use \"/meet list\" to see this channel's meetings.", id)
}

// errTooLarge refuses a meeting record of n bytes, over maxRecord.
func errTooLarge(n int) error {
	return core.Errorf(core.EINVALID,
		"This meeting has grown too large to store (%d KiB). Remove some invitees or exceptions and try again.", n>>10)
}

func internal(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("etcd: %w", err)
}

// countersOf reads a workspace's counters from the keys under its counter
// prefix. Counters that are absent stay zero, as for a new workspace.
func countersOf(k meetingKeys, kvs []*mvccpb.KeyValue) (counterState, error) {
	var cs counterState
	for _, kv := range kvs {
		if err := cs.set(k, string(kv.Key), kv.Value, kv.ModRevision); err != nil {
			return counterState{}, err
		}
	}
	return cs, nil
}

// counterState holds a workspace's counters as a write read them, with
// their revisions for the Txn's compares.
type counterState struct {
	last, maxDur       uint64
	lastRev, maxDurRev int64
}

func (cs *counterState) set(k meetingKeys, key string, v []byte, rev int64) error {
	n, err := parseCounter(v)
	if err != nil {
		return err
	}
	switch key {
	case k.lastID:
		cs.last, cs.lastRev = n, rev
	case k.maxDur:
		cs.maxDur, cs.maxDurRev = n, rev
	}
	return nil
}

// putMeetingOps returns the compares and ops that store m and keep its
// indexes in step. old is the stored version being replaced, nil for a new
// meeting; cs is the workspace's max duration as read, which m may raise
// (then the Txn compares its revision, so two raises cannot undo each
// other).
func putMeetingOps(k meetingKeys, old, m *core.Meeting, cs counterState) ([]clientv3.Cmp, []clientv3.Op, error) {
	v, err := record.EncodeMeeting(m)
	if err != nil {
		return nil, nil, internal(err)
	}
	if len(v) > maxRecord {
		return nil, nil, errTooLarge(len(v))
	}
	ops := []clientv3.Op{clientv3.OpPut(k.record, string(v))}
	if old == nil || !old.Start.Equal(m.Start) {
		if old != nil {
			ops = append(ops, clientv3.OpDelete(k.startKey(old.Start, old.ID)))
		}
		ops = append(ops, clientv3.OpPut(k.startKey(m.Start, m.ID), ""))
	}
	ops = syncIndex(ops, k.pending, old, m, func(x *core.Meeting) bool { return x.State == core.StatePending })
	ops = syncIndex(ops, k.active, old, m, func(x *core.Meeting) bool { return x.RoomStatus == core.RoomActive })
	ops = roomOps(ops, k, old, m)
	var cmps []clientv3.Cmp
	// Remember the longest duration seen in the workspace, so FindMeetings
	// can start at EndsAfter-maxDuration instead of the beginning. It never
	// shrinks, which only makes that start more conservative.
	if m.Duration > 0 && uint64(m.Duration) > cs.maxDur {
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k.maxDur), "=", cs.maxDurRev))
		ops = append(ops, clientv3.OpPut(k.maxDur, strconv.FormatUint(uint64(m.Duration), 10)))
	}
	return cmps, ops, nil
}

// syncIndex adds the op that keeps a set-like index key in step with a
// predicate over the meeting: put when it becomes true, deleted when it
// becomes false.
func syncIndex(ops []clientv3.Op, key string, old, m *core.Meeting, in func(*core.Meeting) bool) []clientv3.Op {
	was := old != nil && in(old)
	switch is := in(m); {
	case is && !was:
		return append(ops, clientv3.OpPut(key, ""))
	case !is && was:
		return append(ops, clientv3.OpDelete(key))
	}
	return ops
}

// FindMeetingByID returns ENOTFOUND for an id that ws does not have, also
// when another workspace has it: the key includes the workspace.
func (db *DB) FindMeetingByID(ctx context.Context, ws core.WorkspaceKey, id string) (*core.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := wsPart(ws); err != nil {
		return nil, err
	}
	if !validName(id) {
		return nil, errNoMeeting(id)
	}
	key, err := db.wsKey(kindMeetings, ws, id) // keysOf's record, without the rest
	return findRecord(ctx, db, key, err, func() error { return errNoMeeting(id) },
		func(v []byte) (*core.Meeting, error) { return record.DecodeMeeting(ws, id, v) })
}

// FindMeetings walks the workspace's start index in pages of ranged Gets,
// all at the revision of the first read, so results come out sorted by
// Start and Limit stops the walk early. With EndsAfter the walk starts at
// EndsAfter minus the longest duration ever stored in the workspace: no
// earlier meeting can still be running.
func (db *DB) FindMeetings(ctx context.Context, f core.MeetingFilter) ([]*core.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := db.keysOf(f.Workspace, "")
	if err != nil {
		return nil, err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	return retryCompacted(func() ([]*core.Meeting, error) { return db.findMeetings(ctx, bctx, k, f) })
}

// retryCompacted runs a paged walk again from the start when etcd compacted
// the revision it was reading at between two pages (it keeps only recent
// ones), a few times at most.
func retryCompacted(walk func() ([]*core.Meeting, error)) ([]*core.Meeting, error) {
	for attempt := 1; ; attempt++ {
		out, err := walk()
		if attempt < 3 && errors.Is(err, rpctypes.ErrCompacted) {
			continue
		}
		return out, err
	}
}

func (db *DB) findMeetings(ctx, bctx context.Context, k meetingKeys, f core.MeetingFilter) ([]*core.Meeting, error) {
	from, end := k.startPrefix, prefixEnd(k.startPrefix)
	var rev int64
	if !f.EndsAfter.IsZero() {
		resp, err := db.cli.Get(bctx, k.maxDur)
		if err != nil {
			return nil, storeErr(ctx, err)
		}
		rev = resp.Header.Revision // the walk reads at this revision
		var maxDur uint64
		if len(resp.Kvs) > 0 {
			if maxDur, err = parseCounter(resp.Kvs[0].Value); err != nil {
				return nil, err
			}
		}
		from = k.startPrefix + timeHex(f.EndsAfter.Add(-time.Duration(maxDur)))
	}
	var out []*core.Meeting
	err := db.walkPages(ctx, bctx, from, end, rev, func(kvs []*mvccpb.KeyValue, rev int64) (bool, error) {
		refs := make([]meetingRef, 0, len(kvs))
		for _, kv := range kvs {
			rest := strings.TrimPrefix(string(kv.Key), k.startPrefix)
			if len(rest) <= timeHexLen+1 || rest[timeHexLen] != '/' {
				return false, fmt.Errorf("etcd: malformed start index key %q", kv.Key)
			}
			refs = append(refs, meetingRef{f.Workspace, unesc(rest[timeHexLen+1:])})
		}
		ms, err := db.loadMeetings(ctx, bctx, refs, rev)
		if err != nil {
			return false, err
		}
		for _, m := range ms {
			if !f.Matches(m) {
				continue
			}
			out = append(out, m)
			if f.Limit > 0 && len(out) >= f.Limit {
				return true, nil
			}
		}
		return false, nil
	})
	return out, err
}

// walkPages reads the keys of [from, end) in pages of ranged, keys-only
// Gets, every page at rev (0: the first page's revision), so an index walk
// sees one snapshot however many pages it takes; page gets each page's keys
// and that revision and returns true to stop early.
func (db *DB) walkPages(ctx, bctx context.Context, from, end string, rev int64, page func(kvs []*mvccpb.KeyValue, rev int64) (bool, error)) error {
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithKeysOnly(), clientv3.WithLimit(pageSize)}
		if rev > 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := db.cli.Get(bctx, from, opts...)
		if err != nil {
			return storeErr(ctx, err)
		}
		if rev == 0 { // later pages read at the first page's revision
			rev = resp.Header.Revision
		}
		if stop, err := page(resp.Kvs, rev); err != nil || stop {
			return err
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// meetingRef names a meeting an index points at.
type meetingRef struct {
	ws core.WorkspaceKey
	id string
}

// loadMeetings reads the named meetings at revision rev (0: the latest)
// with one Txn of Gets, in order. A meeting an index names but that is gone
// is logged and skipped: the indexes are written in the meeting's own Txn,
// so that means a bug or a hand edit, not a race.
func (db *DB) loadMeetings(ctx, bctx context.Context, refs []meetingRef, rev int64) ([]*core.Meeting, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	var opts []clientv3.OpOption
	if rev > 0 {
		opts = append(opts, clientv3.WithRev(rev))
	}
	ops := make([]clientv3.Op, len(refs))
	for i, r := range refs {
		k, err := db.keysOf(r.ws, r.id)
		if err != nil {
			return nil, err
		}
		ops[i] = clientv3.OpGet(k.record, opts...)
	}
	resp, err := db.cli.Txn(bctx).Then(ops...).Commit()
	if err != nil {
		return nil, storeErr(ctx, err)
	}
	out := make([]*core.Meeting, 0, len(refs))
	for i, r := range refs {
		v, _, found := kvOf(resp, i)
		if !found {
			db.log.Warn().Str("workspace", r.ws.String()).Str("meeting", r.id).
				Msg("index points at a missing meeting; skipping it")
			continue
		}
		m, err := record.DecodeMeeting(r.ws, r.id, v)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, m)
	}
	return out, nil
}

// FindPendingMeetings ranges the pending index, so it costs the number of
// pending intents, not a scan of every meeting of every workspace.
func (db *DB) FindPendingMeetings(ctx context.Context) ([]*core.Meeting, error) {
	return db.findIndexed(ctx, kindPending)
}

// FindActiveRooms ranges the active-room index: only the meetings whose
// room is open right now, a small set whatever the store's size.
func (db *DB) FindActiveRooms(ctx context.Context) ([]*core.Meeting, error) {
	return db.findIndexed(ctx, kindActiveRooms)
}

// findIndexed loads the meetings named by a set-like index, in pages read
// at one revision.
func (db *DB) findIndexed(ctx context.Context, kind string) ([]*core.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	return retryCompacted(func() ([]*core.Meeting, error) { return db.walkIndex(ctx, bctx, kind) })
}

func (db *DB) walkIndex(ctx, bctx context.Context, kind string) ([]*core.Meeting, error) {
	prefix := db.prefix + kind + "/"
	var out []*core.Meeting
	err := db.walkPages(ctx, bctx, prefix, prefixEnd(prefix), 0, func(kvs []*mvccpb.KeyValue, rev int64) (bool, error) {
		refs := make([]meetingRef, 0, len(kvs))
		for _, kv := range kvs {
			parts := strings.Split(strings.TrimPrefix(string(kv.Key), prefix), "/")
			if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
				return false, fmt.Errorf("etcd: malformed key %q in index %s", kv.Key, kind)
			}
			ws := core.WorkspaceKey{Platform: core.Platform(unesc(parts[0])), ID: unesc(parts[1])}
			refs = append(refs, meetingRef{ws, unesc(parts[2])})
		}
		ms, err := db.loadMeetings(ctx, bctx, refs, rev)
		out = append(out, ms...)
		return false, err
	})
	return out, err
}
