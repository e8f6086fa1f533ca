package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// The room-event inbox: pending deliveries keyed by receive time and id
// (so a cursor walks them oldest first), and the dedupe keys of every
// accepted delivery, by key, holding their expiry like bucketOnce. The
// buckets are additive: a file without them gets them on open, and no
// other record changes, so the schema number is not raised for them.
var (
	bucketInboxQueue = []byte("inbox_queue")
	bucketInboxKeys  = []byte("inbox_keys")
)

func init() { allBuckets = append(allBuckets, bucketInboxQueue, bucketInboxKeys) }

// inboxQueueKey is receive time (big-endian nanoseconds) then the id.
func inboxQueueKey(e *core.InboxEntry) []byte {
	return append(record.InboxOrder(e.Received), e.ID...)
}

// AcceptInbox stores the batch in one transaction (through the
// batcher), each entry unless its id or one of its keys is known and not
// expired.
func (db *DB) AcceptInbox(ctx context.Context, batch []*core.InboxAccept, now time.Time, ttl time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	vals := make([][]byte, len(batch))
	keys := make([][]string, len(batch))
	for i, a := range batch {
		if err := record.CheckInbox(a.Entry, a.Keys); err != nil {
			return fmt.Errorf("bolt: %w", err)
		}
		v, err := record.EncodeInbox(a.Entry)
		if err != nil {
			return fmt.Errorf("bolt: %w", err)
		}
		vals[i], keys[i] = v, record.InboxKeys(a.Entry, a.Keys)
	}
	var exp [8]byte
	binary.BigEndian.PutUint64(exp[:], uint64(now.Add(ttl).UnixNano()))
	err := db.write(func(tx *bolt.Tx) error {
		kb, qb := tx.Bucket(bucketInboxKeys), tx.Bucket(bucketInboxQueue)
	next:
		for i, a := range batch {
			a.Fresh = false // Batch may run fn more than once
			for _, k := range keys[i] {
				if x := kb.Get([]byte(k)); len(x) == 8 && int64(binary.BigEndian.Uint64(x)) > now.UnixNano() {
					continue next
				}
			}
			for _, k := range keys[i] {
				if err := kb.Put([]byte(k), exp[:]); err != nil {
					return err
				}
			}
			if err := qb.Put(inboxQueueKey(a.Entry), vals[i]); err != nil {
				return err
			}
			a.Fresh = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("bolt: accept inbox entries: %w", err)
	}
	return nil
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
			if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) <= now.UnixNano() {
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
