package bolt

// Pending-job counts by kind, for the meetbot_scheduler_jobs_pending
// gauge. A scrape must not scan the jobs, so the counts are kept in the
// meta bucket and changed in the same transaction as every entry added
// to or removed from the due and claimed indexes (indexJob, unindexJob):
// they are exact by construction, survive restarts, and a read is four
// key lookups whatever the number of jobs. A file written before the
// counts existed is counted once when it is opened (init).

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

var (
	// keyPendingPrefix + kind holds the kind's count, 8 bytes big-endian
	// (two's complement, so a drift below zero shows instead of wrapping).
	keyPendingPrefix = []byte("pending_jobs/")
	// keyPendingCounted marks a file whose counts are kept.
	keyPendingCounted = []byte("pending_jobs_counted")
)

// pendingKinds are the kinds that are counted.
var pendingKinds = core.JobKinds()

func pendingKey(kind core.JobKind) []byte { return join(keyPendingPrefix, []byte(kind)) }

// isPendingIndex reports whether an entry in bucket b is a pending job's
// (waiting or claimed, not done).
func isPendingIndex(b []byte) bool {
	return string(b) == string(bucketJobsDue) || string(b) == string(bucketJobsClaimed)
}

// bumpPending adds d to kind's count inside tx.
func bumpPending(tx *bolt.Tx, kind core.JobKind, d int64) error {
	meta := tx.Bucket(bucketMeta)
	k := pendingKey(kind)
	var n int64
	if v := meta.Get(k); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(n+d))
	if err := meta.Put(k, buf[:]); err != nil {
		return fmt.Errorf("bolt: count pending %s jobs: %w", kind, err)
	}
	return nil
}

// countPending recounts every pending job by kind and records the counts
// and the mark; init calls it once for a file that has no counts yet.
func countPending(tx *bolt.Tx) error {
	counts := map[core.JobKind]int64{}
	for _, name := range [][]byte{bucketJobsDue, bucketJobsClaimed} {
		c := tx.Bucket(name).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) <= timeKeyLen {
				continue
			}
			j, err := getJob(tx, string(k[timeKeyLen:]))
			if err != nil || j == nil {
				continue // a dangling or unreadable entry: nothing to run
			}
			counts[j.Kind]++
		}
	}
	meta := tx.Bucket(bucketMeta)
	for _, kind := range pendingKinds {
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], uint64(counts[kind]))
		if err := meta.Put(pendingKey(kind), buf[:]); err != nil {
			return fmt.Errorf("bolt: record pending %s jobs: %w", kind, err)
		}
	}
	return meta.Put(keyPendingCounted, []byte{1})
}

// PendingJobs returns the number of jobs not yet done (waiting or claimed)
// by kind. It reads the kept counts, never the jobs, so a metrics scrape
// may call it as often as it likes. On error it returns nil.
func (db *DB) PendingJobs() map[core.JobKind]int {
	out := make(map[core.JobKind]int, len(pendingKinds))
	err := db.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		for _, kind := range pendingKinds {
			if v := meta.Get(pendingKey(kind)); len(v) == 8 {
				out[kind] = max(0, int(int64(binary.BigEndian.Uint64(v))))
			}
		}
		return nil
	})
	if err != nil {
		return nil
	}
	return out
}
