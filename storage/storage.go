// Package storage opens a storage backend by driver name, so cmd/bot and the
// test environment ask for "bolt" or "etcd" and get the same ports back:
// core.Store, core.Leader, the pruning port and, for backends shared by
// several replicas, a watch that wakes the scheduler when another replica
// plans a job. Only this package knows which concrete backends exist.
package storage

import (
	"context"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/bolt"
	"github.com/meetbot/meetbot/storage/etcd"
)

// The drivers Open knows.
const (
	// Bolt is the embedded single-file store: one process per file.
	Bolt = "bolt"
	// Etcd is the store shared by several replicas through an etcd cluster.
	Etcd = "etcd"
)

// BoltOptions and EtcdOptions are the drivers' own options, named here so
// callers configure a backend through this package alone.
type (
	BoltOptions = bolt.Options
	EtcdOptions = etcd.Options
)

// Config names the driver and carries each driver's options; only the
// chosen driver's options are read.
type Config struct {
	// Driver is Bolt or Etcd; empty means Bolt.
	Driver string
	// BoltPath is the bbolt file (Driver Bolt).
	BoltPath string
	// Bolt tunes the bbolt store (its Logger receives the store's events).
	Bolt BoltOptions
	// Etcd configures the etcd client (Driver Etcd): endpoints, TLS, key
	// prefix, leader TTL, replica id and logger.
	Etcd EtcdOptions
}

// Pruner is the maintenance port: forgetting done jobs and expired
// delivery keys. It runs on the leader only, once a day.
type Pruner interface {
	PruneJobs(ctx context.Context, doneBefore time.Time) (int, error)
	PruneOnce(ctx context.Context, now time.Time) (int, error)
}

// Backend is an open store with everything cmd/bot wires from it.
type Backend struct {
	// Driver is the name the backend was opened with (Bolt or Etcd), for
	// /readyz and for tests that must know which one they run on.
	Driver string
	// Store is every record core keeps.
	Store core.Store
	// Leader decides which process runs the scheduler.
	Leader core.Leader
	// Pruner deletes old done jobs and delivery keys.
	Pruner Pruner
	// Resign, when not nil, gives leadership up at once so another
	// replica leads without waiting for the lease to run out. Call it on a
	// graceful stop after the scheduler has stopped (its last runs have
	// then recorded their outcomes under the lead). Nil for bbolt, whose
	// lead ends with the process.
	Resign func(ctx context.Context) error
	// Watch, when not nil, calls wake whenever another replica changes the
	// due-job index, until ctx ends, so the leader's scheduler looks at
	// once. Nil for bbolt, where only this process writes.
	Watch func(ctx context.Context, wake func())
	// BoltDB is the bbolt store when Driver is Bolt (nil otherwise), for
	// the bolt-only tools (bot migrate, fault drills).
	BoltDB *bolt.DB
	// EtcdDB is the etcd store when Driver is Etcd (nil otherwise).
	EtcdDB *etcd.DB
}

// Open opens the backend cfg names. An etcd cluster that cannot be reached
// fails within the dial timeout, naming every endpoint.
func Open(ctx context.Context, cfg Config) (*Backend, error) {
	switch cfg.Driver {
	case Bolt, "":
		if cfg.BoltPath == "" {
			return nil, core.Errorf(core.EINVALID, "storage: the bolt driver needs a file path (storage.bolt.path)")
		}
		db, err := bolt.Open(cfg.BoltPath, cfg.Bolt)
		if err != nil {
			return nil, err
		}
		return &Backend{Driver: Bolt, Store: db, Leader: bolt.NewLeader(db), Pruner: db, BoltDB: db}, nil
	case Etcd:
		db, err := etcd.Open(ctx, cfg.Etcd)
		if err != nil {
			return nil, err
		}
		leader := etcd.NewLeader(db)
		// Close, not Resign: it also revokes the session's lease, which
		// deletes the election key even when the term already ended with
		// the scheduler's context (Resign alone then finds no term).
		resign := func(context.Context) error { return leader.Close() }
		return &Backend{Driver: Etcd, Store: db, Leader: leader, Resign: resign, Pruner: db, Watch: db.WatchDue, EtcdDB: db}, nil
	default:
		return nil, core.Errorf(core.EINVALID, "storage: %q is not a storage driver; use bolt or etcd", cfg.Driver)
	}
}

// Close releases the store (the file lock, or the cluster connection and
// with it any leadership still held).
func (b *Backend) Close() error { return b.Store.Close() }
