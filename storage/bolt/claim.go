package bolt

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// NextDue reads the first key of the due index and of the claimed index:
// two cursor Firsts in one read transaction, so the scheduler can ask after
// every batch without the cost growing with the number of jobs.
func (db *DB) NextDue(ctx context.Context, rescue time.Duration) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	var (
		at time.Time
		ok bool
	)
	err := db.db.View(func(tx *bolt.Tx) error {
		at, ok = time.Time{}, false
		if k, _ := tx.Bucket(bucketJobsDue).Cursor().First(); k != nil {
			t, good := timeFromKey(k)
			if !good {
				return fmt.Errorf("bolt: malformed due index key %q", k)
			}
			at, ok = t, true
		}
		if k, _ := tx.Bucket(bucketJobsClaimed).Cursor().First(); k != nil {
			t, good := timeFromKey(k)
			if !good {
				return fmt.Errorf("bolt: malformed claimed index key %q", k)
			}
			if t = t.Add(rescue); !ok || t.Before(at) {
				at, ok = t, true
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, false, err
	}
	return at, ok, nil
}

// atOrBefore reports whether index key k's time is at or before the
// encoded instant limit.
func atOrBefore(k, limit []byte) bool {
	return len(k) >= timeKeyLen && bytes.Compare(k[:timeKeyLen], limit) <= 0
}

// ClaimDue claims, for owner, up to limit jobs that are due at or before now
// or whose claim is at least rescue old, and returns them ordered by Due
// (then id). Rescued claims are taken oldest claim first. A limit below one
// claims nothing.
//
// It first looks under a read transaction: when nothing is claimable, the
// usual case for a scheduler woken early, it returns without a write
// transaction, whose commit would cost a meta page write and an fsync.
// Otherwise it claims under db.write, so concurrent claimers are serialised
// (or share one batch transaction, one after another) and no job is handed
// to two owners while its claim is fresh.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, limit int, owner string, rescue time.Duration) ([]core.DueJob, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, nil
	}
	if now.IsZero() || owner == "" {
		return nil, fmt.Errorf("bolt: claim due jobs needs a time and an owner (got %v, %q)", now, owner)
	}
	now = now.UTC()
	dueBy, rescueBy := timeKey(now), timeKey(now.Add(-rescue))

	var found bool
	err := db.db.View(func(tx *bolt.Tx) error {
		k1, _ := tx.Bucket(bucketJobsDue).Cursor().First()
		k2, _ := tx.Bucket(bucketJobsClaimed).Cursor().First()
		found = k1 != nil && atOrBefore(k1, dueBy) || k2 != nil && atOrBefore(k2, rescueBy)
		return nil
	})
	if err != nil || !found {
		return nil, err
	}

	var out []core.DueJob
	err = db.write(func(tx *bolt.Tx) error {
		out = nil
		cands, err := db.claimable(tx, dueBy, rescueBy, limit)
		if err != nil {
			return err
		}
		for _, j := range cands {
			if err := unindexJob(tx, j); err != nil {
				return err
			}
			j.ClaimedBy, j.ClaimedAt = owner, now
			if err := putJob(tx, j); err != nil {
				return err
			}
			if err := indexJob(tx, j); err != nil {
				return err
			}
			out = append(out, *j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// claimable returns up to limit jobs to claim, by Due: the first limit
// entries of the due index at or before dueBy, and the first limit of the
// claimed index at or before rescueBy, merged. Index entries that do not
// match a record (missing, undecodable, or in another state) are removed
// as they are met, and logged: left in place, one would sit at the front of
// its index and make NextDue report work that ClaimDue never finds.
func (db *DB) claimable(tx *bolt.Tx, dueBy, rescueBy []byte, limit int) ([]*core.DueJob, error) {
	var cands []*core.DueJob
	for _, idx := range []struct {
		name  []byte
		limit []byte
	}{{bucketJobsDue, dueBy}, {bucketJobsClaimed, rescueBy}} {
		b := tx.Bucket(idx.name)
		var keys [][]byte
		c := b.Cursor()
		for k, _ := c.First(); k != nil && len(keys) < limit && atOrBefore(k, idx.limit); k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		for _, k := range keys {
			id := string(k[timeKeyLen:])
			j, err := getJob(tx, id)
			if err == nil && j != nil {
				if ib, ik := stateIndex(j); bytes.Equal(ib, idx.name) && bytes.Equal(ik, k) {
					cands = append(cands, j)
					continue
				}
			}
			ev := db.log.Error().Str("index", string(idx.name)).Str("job", id)
			if err != nil {
				ev = ev.Err(err)
			}
			ev.Bool("missing", err == nil && j == nil).Msg("job index entry does not match its record; removing the entry")
			if err := b.Delete(k); err != nil {
				return nil, fmt.Errorf("bolt: remove stray %s entry of job %q: %w", idx.name, id, err)
			}
		}
	}
	slices.SortFunc(cands, func(a, b *core.DueJob) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return cands[:min(limit, len(cands))], nil
}

// finishJob applies change to a job that is not done yet and still
// claimed by owner, moving its state
// index entry to match. A job that is already done is left as it is: the
// first outcome wins, so a stale owner's late report after a rescue cannot
// resurrect or re-fail a job. It goes through db.write because the
// scheduler's workers finish jobs concurrently.
func (db *DB) finishJob(ctx context.Context, id, owner string, change func(*core.DueJob)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validName(id) {
		return errNoJob(id)
	}
	var missing bool
	err := db.write(func(tx *bolt.Tx) error {
		missing = false
		j, err := getJob(tx, id)
		if err != nil {
			return err
		}
		if j == nil {
			missing = true
			return nil
		}
		if !j.DoneAt.IsZero() || j.ClaimedBy != owner {
			return nil
		}
		if err := unindexJob(tx, j); err != nil {
			return err
		}
		change(j)
		if err := putJob(tx, j); err != nil {
			return err
		}
		return indexJob(tx, j)
	})
	if err != nil {
		return err
	}
	if missing {
		return errNoJob(id)
	}
	return nil
}

// CompleteJob marks the job done at doneAt with postRef, when owner still
// holds its claim; otherwise (a rescuer took it over, or it is done) it
// changes nothing, so the run that now owns the job records its outcome.
// ENOTFOUND for an unknown id, which includes a job a re-plan dropped while
// it ran. bbolt needs no leadership fence: the file lock admits one process.
func (db *DB) CompleteJob(ctx context.Context, id, owner string, doneAt time.Time, postRef string) error {
	change, err := record.Completed(id, owner, doneAt, postRef)
	if err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	return db.finishJob(ctx, id, owner, change)
}

// FailJob gives the job up: done at at, Failed, with reason as LastError.
// It counts as one more failed attempt, like RetryJob.
func (db *DB) FailJob(ctx context.Context, id, owner string, at time.Time, reason string) error {
	change, err := record.GivenUp(id, at, reason)
	if err != nil {
		return fmt.Errorf("bolt: %w", err)
	}
	return db.finishJob(ctx, id, owner, change)
}

// RetryJob releases the job's claim, counts the failed attempt and makes the
// job pending again, due at at. Retrying a job that is done already (another
// owner finished it after a rescue) changes nothing.
func (db *DB) RetryJob(ctx context.Context, id, owner string, at time.Time, lastErr string) error {
	return db.finishJob(ctx, id, owner, record.Retried(at, lastErr))
}

// pruneChunk bounds the jobs PruneJobs deletes per transaction, so pruning
// a large backlog never holds the writer lock (or builds a transaction in
// memory) for long.
var pruneChunk = 10_000

// PruneJobs deletes done jobs (completed or given up) whose DoneAt is before
// doneBefore and returns how many it deleted. Done jobs are kept until then
// because they make a re-plan idempotent: while a done job exists, planning
// its id again does not make it pending. So doneBefore must be older than
// anything a re-plan could still produce, e.g. a week or more ago; a meeting's
// plan only covers its current occurrence. It walks the done index from its
// start, in transactions of at most 10,000 jobs, and is meant for a daily
// maintenance task, not the hot path.
func (db *DB) PruneJobs(ctx context.Context, doneBefore time.Time) (int, error) {
	limit := timeKey(doneBefore.UTC())
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, more := 0, false
		err := db.update(func(tx *bolt.Tx) error {
			n, more = 0, false
			done := tx.Bucket(bucketJobsDone)
			var keys [][]byte
			c := done.Cursor()
			for k, _ := c.First(); k != nil && bytes.Compare(k[:min(len(k), timeKeyLen)], limit) < 0; k, _ = c.Next() {
				if len(keys) == pruneChunk {
					more = true
					break
				}
				keys = append(keys, bytes.Clone(k))
			}
			for _, k := range keys {
				var j *core.DueJob
				var err error
				if len(k) > timeKeyLen {
					j, err = getJob(tx, string(k[timeKeyLen:]))
				}
				if err == nil && j != nil {
					if _, ik := stateIndex(j); bytes.Equal(ik, k) && !j.DoneAt.IsZero() {
						if err := deleteJob(tx, j); err != nil {
							return err
						}
						n++
						continue
					}
				}
				// A stray entry: its record is gone, unreadable or not done.
				if err := done.Delete(k); err != nil {
					return fmt.Errorf("bolt: remove stray done index entry %q: %w", k, err)
				}
			}
			return nil
		})
		total += n
		if err != nil {
			return total, err
		}
		if !more {
			return total, nil
		}
	}
}
