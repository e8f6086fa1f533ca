// Package bolt is meetbot's embedded store: every core store port kept in one
// bbolt file, for the single-process deployment (local mode and small
// installs). bbolt takes an exclusive file lock, so exactly one process owns
// the file; running several replicas needs the etcd backend instead.
//
// Records are JSON in one top-level bucket per kind, keyed by
// "platform\x00workspaceID\x00…" so that every read and write is scoped by
// workspace and a prefix scan lists one workspace. Meetings additionally have
// a start-time index (big-endian time keys, so "meetings starting after T" is
// a cursor Seek) and an index of pending create intents for crash recovery.
// Due jobs live in a bucket of their own with one time-ordered index per
// state (pending by Due, claimed by ClaimedAt, done by DoneAt), so the
// scheduler's "what is next" is a cursor First; jobs.go describes the layout.
// Leader is trivial here: the file lock already makes this process the only
// one that can run the scheduler.
//
// bbolt allows one writer at a time and each commit costs about two fsyncs,
// so writes that many chat users trigger at once (creating and updating
// meetings, planning their jobs, storing participants) and those of the
// scheduler's concurrent workers (claiming and finishing jobs) go through
// db.Batch whenever another such write is in flight, which folds concurrent
// callers into one commit; a lone writer, and rare administrative writes, use
// a plain Update, because Batch would make a lone writer wait for the batch
// timer.
package bolt

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

// schemaVersion is the layout this build writes. Open refuses a file with a
// newer one rather than misreading it, and raises an older file's number once
// its missing buckets exist, so that an older build refuses the file in turn
// instead of silently dropping what it cannot read.
//
//  1. meetings, participants, users, workspaces, secrets.
//  2. due jobs and their indexes; meeting exceptions and RSVPs; workspace
//     reminder settings. A schema-1 file needs only the new (empty) buckets.
//  3. chat installations and delivery keys; meeting card references and
//     the admins-only setting (new optional fields, so older records read
//     as "none").
//  4. the room index and attendance per occurrence; the recordings and
//     summaries settings. Opening an older file indexes its rooms.
//  5. webhook inbox entries in a binary form (record.EncodeInbox) that a
//     schema-4 build cannot read; entries in the older JSON form are still
//     read.
const schemaVersion = 5

// Defaults for Options. The batch size matches the expected number of
// concurrent writers: measured on our hardware, a batch that fills up and
// commits at once is ~10x faster than one that waits for its timer.
const (
	DefaultTimeout       = time.Second
	DefaultMaxBatchSize  = 64
	DefaultMaxBatchDelay = 2 * time.Millisecond
)

// Options tunes Open. The zero value is the production setting.
type Options struct {
	// Logger receives open/close events and index inconsistencies. The zero
	// value logs nothing.
	Logger zerolog.Logger
	// Timeout bounds the wait for the file lock (default 1s). A second
	// process on the same file then fails fast with a clear message instead
	// of hanging at startup.
	Timeout time.Duration
	// NoSync skips fsync on commit. It trades durability for speed, so it is
	// for tests and benchmarks only: a crash can lose or corrupt the file.
	NoSync bool
	// MaxBatchSize is how many concurrent writes are folded into one commit
	// (default 64). Set it near the number of concurrent writers.
	MaxBatchSize int
	// MaxBatchDelay is how long a batch waits for more writers before it
	// commits anyway (default 2ms). It is the latency a lone batched write
	// pays.
	MaxBatchDelay time.Duration
	// WriteFault, when set, runs before each write commits; an error it
	// returns fails that write as a failed commit would (return an
	// *os.PathError wrapping syscall.ENOSPC to act out a full disk). It is
	// for tests and fault drills; production leaves it nil.
	WriteFault func() error
	// Now is the clock of the readiness cache (see Ping); default time.Now.
	Now func() time.Time
}

// DB is a core.Store on one bbolt file. It is safe for concurrent use.
type DB struct {
	db   *bolt.DB
	log  zerolog.Logger
	path string
	// writers counts hot-path writes in flight; see write.
	writers atomic.Int64
	// decoded spares reads the JSON decoding of unchanged meetings.
	decoded *decodeCache
	// participants spares join-link opens the decoding of unchanged
	// participant records, the same way.
	participants *recordCache[core.Participant]
	// views spares a repeated channel list the reads when nothing was
	// written since (see viewCache).
	views *viewCache
	// health is the last commit's outcome, for Ping; fault and now come
	// from Options.
	health health
	fault  func() error
	now    func() time.Time
}

// write runs fn in a read-write transaction. When another hot-path write is
// already in flight it goes through db.Batch, so concurrent callers share one
// commit (one pair of fsyncs); a lone writer commits at once with Update
// instead of waiting out the batch timer. fn may run more than once (Batch
// re-runs the survivors when one function fails), so it must reset its
// outputs on entry.
func (db *DB) write(fn func(*bolt.Tx) error) error {
	if db.writers.Add(1) == 1 {
		defer db.writers.Add(-1)
		return db.update(fn)
	}
	defer db.writers.Add(-1)
	return db.commit(db.db.Batch, fn)
}

var (
	_ core.Store         = (*DB)(nil)
	_ core.MeetingViewer = (*DB)(nil)
)

// Open opens (creating if needed) the store at path. It creates the parent
// directory with mode 0700 and the file with 0600, because the file holds
// participant tokens and signing secrets. If another process holds the file
// it fails after opts.Timeout with an error naming the path.
func Open(path string, opts Options) (*DB, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBatchSize <= 0 {
		opts.MaxBatchSize = DefaultMaxBatchSize
	}
	if opts.MaxBatchDelay <= 0 {
		opts.MaxBatchDelay = DefaultMaxBatchDelay
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("bolt: create directory for %s: %w", path, err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("another meetbot process is using %s (no file lock after %s); stop it or point this one at another data file: %w",
			path, opts.Timeout, err)
	}
	if err != nil {
		return nil, fmt.Errorf("bolt: open %s: %w", path, err)
	}
	bdb.MaxBatchSize = opts.MaxBatchSize
	bdb.MaxBatchDelay = opts.MaxBatchDelay

	if opts.Now == nil {
		opts.Now = time.Now
	}
	db := &DB{db: bdb, log: opts.Logger, path: path, decoded: newDecodeCache(), participants: newParticipantCache(), views: newViewCache(), fault: opts.WriteFault, now: opts.Now}
	if err := db.init(); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	db.log.Debug().Str("path", path).Bool("no_sync", opts.NoSync).Msg("bolt store opened")
	return db, nil
}

// init creates missing buckets and checks the schema version.
func (db *DB) init() error {
	return db.db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("bolt: create bucket %s in %s: %w", name, db.path, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		if meta.Get(keyPendingCounted) == nil {
			// Written before pending jobs were counted (or new): count
			// once, here, and keep the counts from now on.
			t0 := time.Now()
			if err := countPending(tx); err != nil {
				return err
			}
			if d := time.Since(t0); d > time.Second {
				db.log.Info().Str("path", db.path).Dur("took", d).Msg("counted the pending jobs once, for the metrics; kept up to date from now on")
			}
		}
		v := meta.Get(keySchema)
		if v == nil {
			return meta.Put(keySchema, []byte(strconv.Itoa(schemaVersion)))
		}
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return fmt.Errorf("bolt: %s has an unreadable schema version %q", db.path, v)
		}
		if n > schemaVersion {
			return fmt.Errorf("bolt: %s was written by a newer meetbot (schema %d; this build reads up to %d)",
				db.path, n, schemaVersion)
		}
		if n < 4 {
			if err := backfillRooms(tx); err != nil {
				return fmt.Errorf("bolt: index the rooms of %s: %w", db.path, err)
			}
		}
		if n < schemaVersion {
			db.log.Info().Str("path", db.path).Int("from", n).Int("to", schemaVersion).Msg("bolt schema upgraded")
			return meta.Put(keySchema, []byte(strconv.Itoa(schemaVersion)))
		}
		return nil
	})
}

// Close releases the file lock. Calling it twice is harmless.
func (db *DB) Close() error {
	db.health.set(db.now(), bolt.ErrDatabaseNotOpen) // Ping must not answer from the cache
	if err := db.db.Close(); err != nil {
		return fmt.Errorf("bolt: close %s: %w", db.path, err)
	}
	db.log.Debug().Str("path", db.path).Msg("bolt store closed")
	return nil
}

// Path returns the file the store lives in, for logs and diagnostics.
func (db *DB) Path() string { return db.path }
