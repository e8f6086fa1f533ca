package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// The room-event inbox: pending deliveries keyed by receive time and id
// (so a cursor walks them oldest first), and the dedupe keys of every
// claimed delivery, by key, holding their expiry and the entry's id. The
// buckets are additive: a file without them gets them on open, and no
// other record changes, so the schema number is not raised for them.
var (
	bucketInboxQueue = []byte("inbox_queue")
	bucketInboxKeys  = []byte("inbox_keys")
)

func init() { allBuckets = append(allBuckets, bucketInboxQueue, bucketInboxKeys) }

// inboxQueueKey is receive time (big-endian nanoseconds) then the id.
func inboxQueueKey(e *core.InboxEntry) []byte {
	return append(record.AppendInboxOrder(make([]byte, 0, 8+len(e.ID)), e.Received), e.ID...)
}

// AcceptInbox appends the entries to the queue in one transaction (through
// the batcher). Queue keys grow with time, so the commit touches the last
// pages only, however many entries it carries.
func (db *DB) AcceptInbox(ctx context.Context, entries []*core.InboxEntry) error {
	_, err := db.acceptInbox(ctx, entries, false)
	return err
}

// AcceptNewInbox is AcceptInbox with KnownInbox folded into the same
// write: an entry one of whose keys is claimed and not expired at its
// Received time is not stored, and stored[i] reports whether entries[i]
// was. The webhook endpoint uses it (when the store has it) so that a
// delivery costs one commit shared with its neighbours and no read
// transaction of its own. It is not in core.RoomInbox: etcd answers the
// same through KnownInbox and AcceptInbox.
func (db *DB) AcceptNewInbox(ctx context.Context, entries []*core.InboxEntry) (stored []bool, err error) {
	return db.acceptInbox(ctx, entries, true)
}

func (db *DB) acceptInbox(ctx context.Context, entries []*core.InboxEntry, dedupe bool) ([]bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	vals := make([][]byte, len(entries))
	var keys [][][]byte
	if dedupe {
		keys = make([][][]byte, len(entries))
	}
	for i, e := range entries {
		if err := record.CheckInbox(e); err != nil {
			return nil, fmt.Errorf("bolt: %w", err)
		}
		v, err := record.EncodeInbox(e)
		if err != nil {
			return nil, fmt.Errorf("bolt: %w", err)
		}
		vals[i] = v
		if dedupe {
			keys[i] = record.InboxKeyBytes(e.Keys)
		}
	}
	stored := make([]bool, len(entries))
	err := db.write(func(tx *bolt.Tx) error {
		qb, kb := tx.Bucket(bucketInboxQueue), tx.Bucket(bucketInboxKeys)
		// Queue keys grow with time, so the writes are appends: pack
		// the pages full instead of splitting them half empty (bbolt's
		// default), which halves the pages each commit writes and
		// fsyncs.
		qb.FillPercent = 1.0
		for i, e := range entries {
			stored[i] = false // Batch may run fn more than once
			if dedupe && claimedAt(kb, keys[i], e.Received) {
				continue
			}
			if err := qb.Put(inboxQueueKey(e), vals[i]); err != nil {
				return err
			}
			stored[i] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: accept inbox entries: %w", err)
	}
	return stored, nil
}

// claimedAt reports whether one of keys (stored form) is claimed and not
// expired at now.
func claimedAt(kb *bolt.Bucket, keys [][]byte, now time.Time) bool {
	for _, k := range keys {
		if exp, _, ok := record.ParseInboxClaim(kb.Get(k)); ok && exp.After(now) {
			return true
		}
	}
	return false
}

// KnownInbox reports whether one of keys is claimed and not expired.
func (db *DB) KnownInbox(ctx context.Context, keys []string, now time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	known := false
	err := db.db.View(func(tx *bolt.Tx) error {
		known = claimedAt(tx.Bucket(bucketInboxKeys), record.InboxKeyBytes(keys), now)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("bolt: read inbox keys: %w", err)
	}
	return known, nil
}

// ClaimInbox records e's keys for e unless another entry holds one.
func (db *DB) ClaimInbox(ctx context.Context, e *core.InboxEntry, now time.Time, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if err := record.CheckInbox(e); err != nil {
		return false, fmt.Errorf("bolt: %w", err)
	}
	keys := record.InboxKeys(e.Keys)
	claim := record.InboxClaim(now.Add(ttl), e.ID)
	var mine bool
	err := db.write(func(tx *bolt.Tx) error {
		mine = false // Batch may run fn more than once
		kb := tx.Bucket(bucketInboxKeys)
		for _, k := range keys {
			if exp, id, ok := record.ParseInboxClaim(kb.Get([]byte(k))); ok && exp.After(now) && id != e.ID {
				return nil
			}
		}
		for _, k := range keys {
			if err := kb.Put([]byte(k), claim); err != nil {
				return err
			}
		}
		mine = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("bolt: claim inbox keys: %w", err)
	}
	return mine, nil
}

// PendingInbox returns up to limit pending entries, oldest first.
func (db *DB) PendingInbox(ctx context.Context, limit int) ([]*core.InboxEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*core.InboxEntry
	err := db.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketInboxQueue).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			e, err := record.DecodeInbox(v) // decodes into fresh memory
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bolt: list inbox: %w", err)
	}
	return out, nil
}

// RetryInbox rewrites a pending entry's attempt count.
func (db *DB) RetryInbox(ctx context.Context, e *core.InboxEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := record.EncodeInbox(e)
	if err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	var found bool
	err = db.write(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketInboxQueue)
		k := inboxQueueKey(e)
		found = b.Get(k) != nil
		if !found {
			return nil
		}
		return b.Put(k, v)
	})
	if err != nil {
		return fmt.Errorf("bolt: retry inbox entry: %w", err)
	}
	if !found {
		return core.Errorf(core.ENOTFOUND, "That delivery is no longer pending.")
	}
	return nil
}

// DoneInbox removes a handled entry; its dedupe keys stay.
func (db *DB) DoneInbox(ctx context.Context, e *core.InboxEntry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := db.write(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInboxQueue).Delete(inboxQueueKey(e))
	})
	if err != nil {
		return fmt.Errorf("bolt: finish inbox entry: %w", err)
	}
	return nil
}

// PruneInbox forgets expired dedupe keys. It walks every key: they are the
// last day's deliveries, so few.
func (db *DB) PruneInbox(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := db.update(func(tx *bolt.Tx) error {
		n = 0
		c := tx.Bucket(bucketInboxKeys).Cursor()
		for k, v := c.First(); k != nil; {
			if exp, _, ok := record.ParseInboxClaim(v); !ok || !exp.After(now) {
				next := bytes.Clone(k)
				if err := c.Delete(); err != nil {
					return err
				}
				n++
				k, v = c.Seek(next)
				continue
			}
			k, v = c.Next()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bolt: prune inbox keys: %w", err)
	}
	return n, nil
}
