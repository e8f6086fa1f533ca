package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

// DiskFullMessage is what a person is told when a write failed because the
// disk is full, over quota or read-only: the errno means nothing in chat,
// and only the operator can fix it.
const DiskFullMessage = "meetbot's disk is full; ask the operator to free space."

// probeTTL is how long a write probe's answer stands, so /readyz stays
// cheap however often it is polled: at most one small synced write per
// probeTTL, and none while real writes keep succeeding.
const probeTTL = 2 * time.Second

// keyProbe is the meta key the readiness probe rewrites.
var keyProbe = []byte("ready_probe")

// diskErr maps a failed commit to a *core.Error the user can act on: a
// full disk, an exhausted quota or a read-only file system becomes
// EUNAVAILABLE with DiskFullMessage (the errno stays in the chain for the
// log). This is the one place store errors are read for it, by errno with
// errors.Is, never by their text. Other errors pass unchanged.
func diskErr(err error) error {
	for _, errno := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS} {
		if errors.Is(err, errno) {
			return core.Wrap(core.EUNAVAILABLE, err, DiskFullMessage)
		}
	}
	return err
}

// health remembers the outcome of the last commit (a real write or a
// probe), so Ping can answer from it while it is fresh.
type health struct {
	mu    sync.Mutex
	at    time.Time
	err   error
	probe sync.Mutex // one probe at a time
}

func (h *health) set(now time.Time, err error) {
	h.mu.Lock()
	h.at, h.err = now, err
	h.mu.Unlock()
}

// fresh reports whether the last outcome is younger than probeTTL, and
// returns it.
func (h *health) fresh(now time.Time) (bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.at.IsZero() || now.Sub(h.at) >= probeTTL || now.Before(h.at) {
		return false, nil
	}
	return true, h.err
}

// update runs fn in a write transaction through bolt's Update.
func (db *DB) update(fn func(*bolt.Tx) error) error { return db.commit(db.db.Update, fn) }

// commit runs fn through run (Update or Batch) and looks at how the write
// ended: a failure of the commit itself (not an error fn returned, which is
// an answer, not a fault) is recorded for Ping and mapped by diskErr; a
// success is recorded too, so readiness follows real writes. WriteFault,
// when set, fails the commit after fn succeeded, as a full disk would.
func (db *DB) commit(run func(func(*bolt.Tx) error) error, fn func(*bolt.Tx) error) error {
	var fnErr error
	err := run(func(tx *bolt.Tx) error {
		if fnErr = fn(tx); fnErr != nil {
			return fnErr
		}
		if db.fault != nil {
			return db.fault()
		}
		return nil
	})
	switch {
	case err == nil:
		db.health.set(db.now(), nil)
	case fnErr == nil:
		err = diskErr(err)
		db.health.set(db.now(), err)
	}
	return err
}

// Ping reports whether a write can commit now (for /readyz): the outcome
// of the last commit if it is fresher than probeTTL, else a write probe (a
// few bytes in the meta bucket, committed like any write). A closed store,
// a full disk or a read-only file system fail it.
func (db *DB) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ok, err := db.health.fresh(db.now()); ok {
		return err
	}
	db.health.probe.Lock()
	defer db.health.probe.Unlock()
	now := db.now()
	if ok, err := db.health.fresh(now); ok {
		return err // another caller probed meanwhile
	}
	err := db.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return fmt.Errorf("bolt: %s has no meta bucket", db.path)
		}
		return meta.Put(keyProbe, binary.BigEndian.AppendUint64(nil, uint64(now.UnixNano())))
	})
	if err != nil {
		db.health.set(now, err) // also an error fn returned: not ready
	}
	return err
}

// readable runs a read transaction, which fails once the store is closed.
// The Leader uses it: leadership needs the file lock, not free space.
func (db *DB) readable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) == nil {
			return fmt.Errorf("bolt: %s has no meta bucket", db.path)
		}
		return nil
	})
}
