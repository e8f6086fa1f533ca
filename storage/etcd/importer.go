package etcd

import (
	"context"
	"fmt"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/dump"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// Import writes whole stores into this DB's prefix, for bot migrate. It
// only ever writes into an empty prefix: it never merges into or
// overwrites a store that replicas may already use.

// migrationKey marks a prefix being (or having been) filled by an import:
// "in progress" until Finish writes "complete". It is the first key an
// import writes and every later Txn compares it, so two imports into one
// prefix cannot interleave. No store range covers it.
const migrationKey = "migration"

// Import limits: a Txn carries at most MaxTxnOps operations and, to stay
// well under etcd's 1.5 MiB request limit, about importBytes of values (a
// single larger meeting, up to maxRecord, goes alone).
const importBytes = 1 << 20

// Importer copies dump.Items into an empty prefix, in Txns of bounded
// size. Make one with NewImporter, Add every item, then Finish.
type Importer struct {
	db     *DB
	marker string
	rev    int64 // the marker's create revision, compared by every Txn
	ops    []clientv3.Op
	cmps   []clientv3.Cmp
	bytes  int
	counts dump.Counts
}

// NewImporter checks that the prefix holds no key at all and claims it
// with the migration marker. A prefix in use fails with ECONFLICT and a
// sentence saying what is there and how to clear it.
func (db *DB) NewImporter(ctx context.Context) (*Importer, error) {
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	marker := db.key(migrationKey)
	resp, err := db.cli.Get(bctx, db.prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return nil, storeErr(ctx, err)
	}
	if resp.Count > 0 {
		why := "it is in use (a replica has run on it, or it was migrated before)"
		if v, _, found, err := db.getOne(bctx, marker); err == nil && found {
			switch string(v) {
			case "complete":
				why = "it was migrated into already"
			default:
				why = "an earlier migration into it did not finish"
			}
		}
		return nil, core.Errorf(core.ECONFLICT,
			"etcd prefix %s already holds %d keys: %s. bot migrate copies only into an empty prefix; choose another storage.etcd.prefix, or delete this one with: etcdctl del --prefix %s",
			db.prefix, resp.Count, why, db.prefix)
	}
	tr, err := db.cli.Txn(bctx).
		If(clientv3.Compare(clientv3.CreateRevision(marker), "=", 0)).
		Then(clientv3.OpPut(marker, "in progress")).
		Commit()
	if err != nil {
		return nil, storeErr(ctx, err)
	}
	if !tr.Succeeded {
		return nil, core.Errorf(core.ECONFLICT, "another bot migrate is writing into etcd prefix %s", db.prefix)
	}
	return &Importer{db: db, marker: marker, rev: tr.Header.Revision}, nil
}

// Add queues the writes of one item, sending a Txn whenever the next
// item would not fit in the current one.
func (im *Importer) Add(ctx context.Context, it dump.Item) error {
	cmps, ops, err := im.itemOps(it)
	if err != nil {
		return err
	}
	size := 0
	for _, op := range ops {
		size += len(op.KeyBytes()) + len(op.ValueBytes())
	}
	if len(im.ops)+len(ops) > MaxTxnOps || len(im.cmps)+len(cmps)+1 > MaxTxnOps || (len(im.ops) > 0 && im.bytes+size > importBytes) {
		if err := im.flush(ctx); err != nil {
			return err
		}
	}
	im.ops = append(im.ops, ops...)
	im.cmps = append(im.cmps, cmps...)
	im.bytes += size
	im.counts.Add(it)
	return nil
}

// Finish sends what is queued and marks the prefix complete. It returns
// how many items of each kind were written.
func (im *Importer) Finish(ctx context.Context) (dump.Counts, error) {
	im.ops = append(im.ops, clientv3.OpPut(im.marker, "complete"))
	if err := im.flush(ctx); err != nil {
		return im.counts, err
	}
	return im.counts, nil
}

// flush sends the queued ops in one Txn, fenced on the marker.
func (im *Importer) flush(ctx context.Context) error {
	if len(im.ops) == 0 {
		return nil
	}
	bctx, cancel := im.db.bounded(ctx)
	defer cancel()
	cmps := append([]clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(im.marker), "=", im.rev)}, im.cmps...)
	tr, err := im.db.cli.Txn(bctx).If(cmps...).Then(im.ops...).Commit()
	if err != nil {
		return storeErr(ctx, err)
	}
	if !tr.Succeeded {
		return core.Errorf(core.ECONFLICT,
			"etcd prefix %s changed while bot migrate wrote it (a replica started on it, or its keys were deleted); stop every replica, delete the prefix with etcdctl del --prefix %s, and migrate again",
			im.db.prefix, im.db.prefix)
	}
	im.db.cache.committed(tr.Header.Revision, im.ops...) // a read before the import may have cached an absence
	im.ops, im.cmps, im.bytes = im.ops[:0], im.cmps[:0], 0
	return nil
}

// itemOps returns the writes (and compares) that store one item the way
// the store's own methods would have, indexes included.
func (im *Importer) itemOps(it dump.Item) ([]clientv3.Cmp, []clientv3.Op, error) {
	db := im.db
	switch {
	case it.Meeting != nil:
		return db.importMeetingOps(it.Meeting)
	case it.Counter != nil:
		return db.importCounterOps(it.Counter)
	case it.Participant != nil:
		p := it.Participant
		k, err := db.participantKey(p.User.Workspace, p.Meeting, p.User.UserID)
		if err != nil {
			return nil, nil, err
		}
		v, err := record.EncodeParticipant(p)
		return importPut(k, v, err)
	case it.User != nil:
		k, err := db.userKey(it.User.Key)
		if err != nil {
			return nil, nil, err
		}
		v, err := record.EncodeUser(it.User)
		return importPut(k, v, err)
	case it.Workspace != nil:
		k, err := db.workspaceKey(it.Workspace.Key)
		if err != nil {
			return nil, nil, err
		}
		v, err := record.EncodeWorkspace(it.Workspace)
		return importPut(k, v, err)
	case it.Secret != nil:
		return db.importSecretOps(it.Secret)
	case it.Installation != nil:
		k, err := db.wsKey(kindInstalls, it.Installation.Workspace)
		if err != nil {
			return nil, nil, err
		}
		v, err := record.EncodeInstallation(it.Installation)
		return importPut(k, v, err)
	case it.Once != nil:
		o := it.Once
		if o.Key == "" || len(o.Key) > maxOnceKey {
			return nil, nil, fmt.Errorf("etcd: import: delivery key is empty or longer than %d bytes", maxOnceKey)
		}
		return nil, []clientv3.Op{clientv3.OpPut(db.prefix+kindOnce+"/"+esc(o.Key), onceValue(o.Expires))}, nil
	case it.Job != nil:
		return db.importJobOps(it.Job)
	case it.Attendance != nil:
		return db.importAttendanceOps(it.Attendance)
	}
	return nil, nil, fmt.Errorf("etcd: import: empty item")
}

// importPut is the single put that stores an encoded record. An encoding
// error is reported as internal, because the dump was already decoded into
// valid records and only a bug can make re-encoding fail.
func importPut(k string, v []byte, err error) ([]clientv3.Cmp, []clientv3.Op, error) {
	if err != nil {
		return nil, nil, internal(err)
	}
	return nil, []clientv3.Op{clientv3.OpPut(k, string(v))}, nil
}

// importMeetingOps stores a meeting with its indexes as CreateMeeting
// would. The workspace's counters come as their own item, so the max
// duration is never raised here.
func (db *DB) importMeetingOps(m *core.Meeting) ([]clientv3.Cmp, []clientv3.Op, error) {
	k, err := db.keysOf(m.Workspace, m.ID)
	if err != nil {
		return nil, nil, err
	}
	_, ops, err := putMeetingOps(k, nil, m, counterState{maxDur: ^uint64(0)})
	return nil, ops, err
}

// importCounterOps stores a workspace's last meeting id and max duration,
// so meetings created after the import get fresh ids and range queries
// still reach the longest imported meeting. A zero max duration is not
// written, because an absent counter already means zero.
func (db *DB) importCounterOps(c *dump.Counter) ([]clientv3.Cmp, []clientv3.Op, error) {
	k, err := db.keysOf(c.Workspace, "")
	if err != nil {
		return nil, nil, err
	}
	ops := []clientv3.Op{clientv3.OpPut(k.lastID, strconv.FormatUint(c.LastID, 10))}
	if c.MaxDuration > 0 {
		ops = append(ops, clientv3.OpPut(k.maxDur, strconv.FormatUint(uint64(c.MaxDuration), 10)))
	}
	return nil, ops, nil
}

// importSecretOps stores a secret only if the target has none of that name.
// A replica started early creates its own secrets; copying over one would
// break the links it issued, so such a race fails instead.
func (db *DB) importSecretOps(s *dump.Secret) ([]clientv3.Cmp, []clientv3.Op, error) {
	if s.Name == "" || len(s.Value) == 0 {
		return nil, nil, fmt.Errorf("etcd: import: secret %q is empty", s.Name)
	}
	k := db.prefix + kindSecrets + "/" + esc(s.Name)
	created := s.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	v, err := record.EncodeSecret(s.Name, s.Value, created)
	if err != nil {
		return nil, nil, internal(err)
	}
	return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(k), "=", 0)}, []clientv3.Op{clientv3.OpPut(k, string(v))}, nil
}

// importJobOps stores a job in its state (pending, claimed or done, as
// its times say) with its state index and meeting index entries, as
// PlanJobs and the claims would have left them.
func (db *DB) importJobOps(j *core.DueJob) ([]clientv3.Cmp, []clientv3.Op, error) {
	if !validName(j.ID) || !validName(j.Meeting) {
		return nil, nil, fmt.Errorf("etcd: import: job %q of meeting %q has an unusable id", j.ID, j.Meeting)
	}
	put, err := db.putJobOp(j)
	if err != nil {
		return nil, nil, err
	}
	mp, err := db.jobMeetingPrefix(j.Workspace, j.Meeting)
	if err != nil {
		return nil, nil, err
	}
	return nil, []clientv3.Op{put, clientv3.OpPut(db.stateKey(j), ""), clientv3.OpPut(mp+esc(j.ID), "")}, nil
}
