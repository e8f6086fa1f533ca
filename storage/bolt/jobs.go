package bolt

// Due jobs: the scheduler's to-do list.
//
// Layout:
//
//	jobs             id → jobRecord (JSON)
//	jobs_due         BE(Due) + id → empty        pending jobs (not claimed, not done)
//	jobs_claimed     BE(ClaimedAt) + id → empty  claimed jobs that are not done
//	jobs_done        BE(DoneAt) + id → empty     done jobs, for PruneJobs
//	jobs_by_meeting  platform\0ws\0meeting\0 + id → empty   every job of a meeting
//
// A job's record says its state (done if DoneAt is set, else claimed if
// ClaimedAt is set, else pending) and the job has exactly one entry in the
// index of that state, under that state's time. So the earliest pending job
// and the oldest claim are each a cursor First, whatever the number of jobs,
// and "due by now" is a walk from the start of jobs_due that stops at the
// first key after now. The per-meeting index lets PlanJobs, FindJobs and
// DeleteMeeting touch one meeting's jobs without a scan. Job ids already
// include the workspace (core.JobID), so the jobs bucket needs no prefix.

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

func errNoJob(id string) error {
	return core.Errorf(core.ENOTFOUND, "There is no scheduled job %q.", id)
}

// stateIndex returns the state index bucket and key that j belongs under.
func stateIndex(j *core.DueJob) (bucket, key []byte) {
	switch {
	case !j.DoneAt.IsZero():
		return bucketJobsDone, jobTimeKey(j.DoneAt, j.ID)
	case !j.ClaimedAt.IsZero():
		return bucketJobsClaimed, jobTimeKey(j.ClaimedAt, j.ID)
	default:
		return bucketJobsDue, jobTimeKey(j.Due, j.ID)
	}
}

// indexJob adds j's state index entry.
func indexJob(tx *bolt.Tx, j *core.DueJob) error {
	b, k := stateIndex(j)
	if err := tx.Bucket(b).Put(k, nil); err != nil {
		return fmt.Errorf("bolt: index job %q in %s: %w", j.ID, b, err)
	}
	if isPendingIndex(b) {
		return bumpPending(tx, j.Kind, 1)
	}
	return nil
}

// unindexJob removes j's state index entry; call it before changing the
// fields the entry is keyed by.
func unindexJob(tx *bolt.Tx, j *core.DueJob) error {
	b, k := stateIndex(j)
	bucket := tx.Bucket(b)
	if isPendingIndex(b) && bucket.Get(k) != nil {
		// Counted only when the entry was there, so a repair that
		// unindexes a job twice cannot push the count below the truth.
		if err := bumpPending(tx, j.Kind, -1); err != nil {
			return err
		}
	}
	if err := bucket.Delete(k); err != nil {
		return fmt.Errorf("bolt: unindex job %q from %s: %w", j.ID, b, err)
	}
	return nil
}

// putJob stores j's record; the caller keeps the indexes in step.
func putJob(tx *bolt.Tx, j *core.DueJob) error {
	v, err := encodeJob(j)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketJobs).Put([]byte(j.ID), v); err != nil {
		return fmt.Errorf("bolt: put job %q: %w", j.ID, err)
	}
	return nil
}

// getJob returns the stored job, or nil when there is none.
func getJob(tx *bolt.Tx, id string) (*core.DueJob, error) {
	v := tx.Bucket(bucketJobs).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	return decodeJob(id, v)
}

// jobMeetingKey is j's entry in the per-meeting index.
func jobMeetingKey(j *core.DueJob) ([]byte, error) {
	prefix, err := wsPrefix(j.Workspace)
	if err != nil {
		return nil, err
	}
	return join(jobMeetingPrefix(prefix, j.Meeting), []byte(j.ID)), nil
}

// deleteJob removes j's record and every index entry it has.
func deleteJob(tx *bolt.Tx, j *core.DueJob) error {
	if err := unindexJob(tx, j); err != nil {
		return err
	}
	mk, err := jobMeetingKey(j)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketJobsByMeeting).Delete(mk); err != nil {
		return fmt.Errorf("bolt: unindex job %q from its meeting: %w", j.ID, err)
	}
	if err := tx.Bucket(bucketJobs).Delete([]byte(j.ID)); err != nil {
		return fmt.Errorf("bolt: delete job %q: %w", j.ID, err)
	}
	return nil
}

// plannedJobs is record.PlannedJobs with this driver's error prefix.
func plannedJobs(ws core.WorkspaceKey, meetingID string, jobs []core.DueJob) ([]core.DueJob, error) {
	out, err := record.PlannedJobs(ws, meetingID, jobs)
	if err != nil {
		return nil, fmt.Errorf("bolt: %w", err)
	}
	return out, nil
}

// PlanJobs makes jobs the meeting's complete set of not-yet-done jobs, in
// one transaction: new ids are added as pending; pending jobs whose Due
// changed move in the due index (keeping their attempts); claimed jobs in
// the plan are left to their owner; pending and claimed jobs missing from
// the plan are deleted; done jobs are never touched, so a done job planned
// again stays done and a reminder that went out is not repeated. Planning
// the same jobs again changes no page, so a repeated re-plan stays cheap.
// It is batched like UpdateMeeting, since every change to a meeting is
// followed by a re-plan.
//
// PlanJobs does not check that the meeting exists: jobs are derived from a
// meeting the caller just read. If a delete races the plan, the orphaned
// jobs run as no-ops (their meeting is gone), become done, and PruneJobs
// removes them later.
func (db *DB) PlanJobs(ctx context.Context, ws core.WorkspaceKey, meetingID string, jobs []core.DueJob) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	prefix, err := wsPrefix(ws)
	if err != nil {
		return err
	}
	if !validName(meetingID) {
		return fmt.Errorf("bolt: plan jobs: meeting id %q is empty or holds a NUL byte", meetingID)
	}
	planned, err := plannedJobs(ws, meetingID, jobs)
	if err != nil {
		return err
	}
	return db.write(func(tx *bolt.Tx) error {
		return db.planJobsTx(tx, prefix, ws, meetingID, planned)
	})
}

// planJobsTx is PlanJobs inside a transaction. It reads planned but never
// changes it, because a batch may run it twice.
func (db *DB) planJobsTx(tx *bolt.Tx, prefix []byte, ws core.WorkspaceKey, meetingID string, planned []core.DueJob) error {
	mp := jobMeetingPrefix(prefix, meetingID)
	inPlan := make(map[string]bool, len(planned))
	for _, p := range planned {
		inPlan[p.ID] = true
	}
	indexed, err := db.dropUnplannedJobs(tx, mp, ws, meetingID, inPlan)
	if err != nil {
		return err
	}
	for i := range planned {
		p := planned[i] // a copy: planned must survive a batch re-run
		if err := planOneJob(tx, mp, ws, meetingID, &p, indexed[p.ID]); err != nil {
			return err
		}
	}
	return nil
}

// dropUnplannedJobs deletes the meeting's jobs that the plan no longer has,
// unless they are done, so a reminder that went out is not planned again.
// Index entries that point at no job of this meeting are removed with a
// warning, because they can only come from a bug and would otherwise stay
// forever. It returns the ids the meeting index held, so the caller writes
// an index entry only for jobs that lack one.
func (db *DB) dropUnplannedJobs(tx *bolt.Tx, mp []byte, ws core.WorkspaceKey, meetingID string, inPlan map[string]bool) (map[string]bool, error) {
	byMeeting := tx.Bucket(bucketJobsByMeeting)
	var (
		drop     []*core.DueJob
		dangling [][]byte
		indexed  = make(map[string]bool)
	)
	c := byMeeting.Cursor()
	for k, _ := c.Seek(mp); k != nil && bytes.HasPrefix(k, mp); k, _ = c.Next() {
		id := string(k[len(mp):])
		indexed[id] = true
		if inPlan[id] {
			continue
		}
		j, err := getJob(tx, id)
		switch {
		case err != nil:
			return nil, err
		case j == nil || j.Workspace != ws || j.Meeting != meetingID:
			// Missing, or (a bug) another meeting's job: drop the entry only.
			dangling = append(dangling, bytes.Clone(k))
		case j.DoneAt.IsZero():
			drop = append(drop, j)
		}
	}
	// Deletes wait until the cursor is done, because a bbolt cursor can
	// skip keys when its bucket changes under it.
	for _, k := range dangling {
		db.log.Warn().Str("key", string(k)).Msg("job index entry does not match a job of its meeting; removing the entry")
		if err := byMeeting.Delete(k); err != nil {
			return nil, fmt.Errorf("bolt: delete dangling job index entry: %w", err)
		}
	}
	for _, j := range drop {
		if err := deleteJob(tx, j); err != nil {
			return nil, err
		}
	}
	return indexed, nil
}

// planOneJob writes one planned job: a new job is stored and indexed, a
// pending job whose due time moved is re-indexed under the new time, and a
// done, claimed or unchanged job is left alone, so done stays done, a claim
// stays with its owner, and a repeated plan costs no write. A job id that
// belongs to another meeting is refused, because overwriting it would move
// that meeting's reminder. hasIndex says whether the meeting index already
// holds the job.
func planOneJob(tx *bolt.Tx, mp []byte, ws core.WorkspaceKey, meetingID string, p *core.DueJob, hasIndex bool) error {
	old, err := getJob(tx, p.ID)
	if err != nil {
		return err
	}
	if old != nil && (old.Workspace != ws || old.Meeting != meetingID) {
		return fmt.Errorf("bolt: job id %q planned for meeting %q of %s belongs to meeting %q of %s",
			p.ID, meetingID, ws, old.Meeting, old.Workspace)
	}
	if !hasIndex {
		if err := tx.Bucket(bucketJobsByMeeting).Put(join(mp, []byte(p.ID)), nil); err != nil {
			return fmt.Errorf("bolt: index job %q under its meeting: %w", p.ID, err)
		}
	}
	switch {
	case old == nil:
		if err := putJob(tx, p); err != nil {
			return err
		}
		return indexJob(tx, p)
	case !old.DoneAt.IsZero() || !old.ClaimedAt.IsZero() || old.Due.Equal(p.Due):
		// Done stays done, a claim stays with its owner, and an
		// unchanged job costs no write.
		return nil
	default:
		if err := unindexJob(tx, old); err != nil {
			return err
		}
		old.Due = p.Due
		if err := putJob(tx, old); err != nil {
			return err
		}
		return indexJob(tx, old)
	}
}

// FindJobs lists the meeting's jobs, pending, claimed and done, ordered by
// Due (then id). It reads the per-meeting index, so it costs the meeting's
// own jobs only.
func (db *DB) FindJobs(ctx context.Context, ws core.WorkspaceKey, meetingID string) ([]core.DueJob, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix, err := wsPrefix(ws)
	if err != nil {
		return nil, err
	}
	if !validName(meetingID) {
		return nil, nil
	}
	mp := jobMeetingPrefix(prefix, meetingID)
	var out []core.DueJob
	err = db.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJobsByMeeting).Cursor()
		for k, _ := c.Seek(mp); k != nil && bytes.HasPrefix(k, mp); k, _ = c.Next() {
			id := string(k[len(mp):])
			j, err := getJob(tx, id)
			if err != nil {
				return err
			}
			if j == nil {
				db.log.Warn().Str("workspace", ws.String()).Str("meeting", meetingID).Str("job", id).
					Msg("job index points at a missing job; skipping it")
				continue
			}
			if j.Workspace != ws || j.Meeting != meetingID {
				return fmt.Errorf("bolt: job %q indexed under meeting %q of %s says meeting %q of %s",
					id, meetingID, ws, j.Meeting, j.Workspace)
			}
			out = append(out, *j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b core.DueJob) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// deleteMeetingJobs removes every job of a meeting being deleted, done ones
// included, with their index entries. A record that no longer decodes still
// has to go; its state index entry is then found by scanning the three state
// indexes for its id, which is slow but only ever happens on corruption.
func deleteMeetingJobs(tx *bolt.Tx, prefix []byte, ws core.WorkspaceKey, meetingID string) error {
	byMeeting := tx.Bucket(bucketJobsByMeeting)
	mp := jobMeetingPrefix(prefix, meetingID)
	var keys [][]byte
	c := byMeeting.Cursor()
	for k, _ := c.Seek(mp); k != nil && bytes.HasPrefix(k, mp); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	jobs := tx.Bucket(bucketJobs)
	for _, k := range keys {
		id := string(k[len(mp):])
		j, err := getJob(tx, id)
		switch {
		case err != nil:
			if err := scrubJobIndexes(tx, id); err != nil {
				return err
			}
			if err := jobs.Delete([]byte(id)); err != nil {
				return fmt.Errorf("bolt: delete corrupt job %q: %w", id, err)
			}
		case j == nil:
			// A dangling entry: dropping it below is all there is to do.
		case j.Workspace != ws || j.Meeting != meetingID:
			// Another meeting's job under this meeting (a bug): keep the
			// record, drop the entry.
		default:
			if err := unindexJob(tx, j); err != nil {
				return err
			}
			if err := jobs.Delete([]byte(id)); err != nil {
				return fmt.Errorf("bolt: delete job %q of meeting %q in %s: %w", id, meetingID, ws, err)
			}
		}
		if err := byMeeting.Delete(k); err != nil {
			return fmt.Errorf("bolt: unindex job %q of meeting %q in %s: %w", id, meetingID, ws, err)
		}
	}
	return nil
}

// scrubJobIndexes removes every state index entry of job id, wherever it is.
func scrubJobIndexes(tx *bolt.Tx, id string) error {
	for _, name := range [][]byte{bucketJobsDue, bucketJobsClaimed, bucketJobsDone} {
		b := tx.Bucket(name)
		var stale [][]byte
		_ = b.ForEach(func(k, _ []byte) error {
			if len(k) > timeKeyLen && string(k[timeKeyLen:]) == id {
				stale = append(stale, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range stale {
			if err := b.Delete(k); err != nil {
				return fmt.Errorf("bolt: scrub job %q from %s: %w", id, name, err)
			}
		}
	}
	return nil
}
