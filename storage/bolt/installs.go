package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

// PutInstallation creates or replaces the workspace's installation.
func (db *DB) PutInstallation(ctx context.Context, in *core.Installation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k, err := wsPrefix(in.Workspace)
	if err != nil {
		return err
	}
	v, err := encodeInstallation(in)
	if err != nil {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketInstalls).Put(k, v); err != nil {
			return fmt.Errorf("bolt: put installation %s: %w", in.Workspace, err)
		}
		return nil
	})
}

// FindInstallation returns ENOTFOUND when the workspace has none.
func (db *DB) FindInstallation(ctx context.Context, ws core.WorkspaceKey) (*core.Installation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := wsPrefix(ws)
	if err != nil {
		return nil, err
	}
	var in *core.Installation
	err = db.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketInstalls).Get(k)
		if v == nil {
			return nil
		}
		var derr error
		in, derr = decodeInstallation(ws, v)
		return derr
	})
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, core.Errorf(core.ENOTFOUND, "meetbot is not installed in this workspace.")
	}
	return in, nil
}

// DeleteInstallation forgets the workspace's token; a missing one is not an
// error.
func (db *DB) DeleteInstallation(ctx context.Context, ws core.WorkspaceKey) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k, err := wsPrefix(ws)
	if err != nil {
		return err
	}
	return db.update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketInstalls).Delete(k); err != nil {
			return fmt.Errorf("bolt: delete installation %s: %w", ws, err)
		}
		return nil
	})
}

// maxOnceKey bounds a delivery key; platform ids are far shorter.
const maxOnceKey = 512

// Once records key until now+ttl and reports whether it was new. Writes go
// through the batcher, because every chat request makes one.
func (db *DB) Once(ctx context.Context, key string, now time.Time, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if key == "" || len(key) > maxOnceKey {
		return false, fmt.Errorf("bolt: delivery key is empty or longer than %d bytes", maxOnceKey)
	}
	var fresh bool
	err := db.write(func(tx *bolt.Tx) error {
		fresh = false // Batch may run fn more than once
		b := tx.Bucket(bucketOnce)
		if v := b.Get([]byte(key)); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > now.UnixNano() {
			return nil
		}
		var exp [8]byte
		binary.BigEndian.PutUint64(exp[:], uint64(now.Add(ttl).UnixNano()))
		fresh = true
		return b.Put([]byte(key), exp[:])
	})
	if err != nil {
		return false, fmt.Errorf("bolt: record delivery: %w", err)
	}
	return fresh, nil
}

// PruneOnce forgets keys that ran out before now. It walks every key: the
// bucket holds only the last few minutes' deliveries, so it stays small.
func (db *DB) PruneOnce(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := 0
	err := db.update(func(tx *bolt.Tx) error {
		n = 0
		c := tx.Bucket(bucketOnce).Cursor()
		for k, v := c.First(); k != nil; {
			if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) <= now.UnixNano() {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
				k, v = c.Seek(k) // Delete moves the cursor; Seek lands on the next key
				continue
			}
			k, v = c.Next()
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("bolt: prune delivery keys: %w", err)
	}
	return n, nil
}
