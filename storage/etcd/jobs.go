package etcd

// Due jobs: the scheduler's to-do list, laid out like storage/bolt's.
//
//	jobs/r/<id>                     job record (storage/internal/record)
//	jobs/due/<T>/<id>               ""  pending jobs, T = timeHex(Due)
//	jobs/claimed/<T>/<id>           ""  claimed, not done, T = timeHex(ClaimedAt)
//	jobs/done/<T>/<id>              ""  done jobs, T = timeHex(DoneAt), for PruneJobs
//	jobs/m/<ws>/<meeting>/<id>      ""  every job of a meeting
//
// Every component is escaped (esc), so a job id's own "/" never splits a
// key. A job sits in exactly one state index, the one its record's times
// name, so the earliest pending job and the oldest claim are each the
// first key of one range. etcd counts every key of a ranged Get, limit or
// not, so no read here ranges over a whole large index: see NextDue.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

const (
	jobsRecords = "jobs/r/"
	jobsDue     = "jobs/due/"
	jobsClaimed = "jobs/claimed/"
	jobsDone    = "jobs/done/"
	jobsMeeting = "jobs/m/"

	// opsPerJob is what moving one job between states costs a Txn: its
	// record, the old index entry and the new one.
	opsPerJob = 3
	// claimBatch is how many jobs one ClaimDue takes at most, so its Txn
	// stays under MaxTxnOps whatever limit the scheduler asks for.
	claimBatch = 40
)

var _ core.DueJobStore = (*DB)(nil)

func errNoJob(id string) error {
	return core.Errorf(core.ENOTFOUND, "There is no scheduled job %q.", id)
}

func (db *DB) jobKey(id string) string { return db.prefix + jobsRecords + esc(id) }
func (db *DB) dueIndex() string        { return db.prefix + jobsDue }
func (db *DB) claimedIndex() string    { return db.prefix + jobsClaimed }
func (db *DB) doneIndex() string       { return db.prefix + jobsDone }

// jobMeetingPrefix is the per-meeting index range of a meeting's jobs.
func (db *DB) jobMeetingPrefix(ws core.WorkspaceKey, meetingID string) (string, error) {
	w, err := wsPart(ws)
	if err != nil {
		return "", err
	}
	return db.prefix + jobsMeeting + w + "/" + esc(meetingID) + "/", nil
}

// timeIndexKey is the entry of job id under index at t.
func timeIndexKey(index string, t time.Time, id string) string {
	return index + timeHex(t) + "/" + esc(id)
}

// through is the end of a range over index that includes every entry at
// or before t: "/" (after the time) sorts before "0".
func through(index string, t time.Time) string { return index + timeHex(t) + "0" }

// stateKey returns the state index entry j belongs under.
func (db *DB) stateKey(j *core.DueJob) string {
	switch {
	case !j.DoneAt.IsZero():
		return timeIndexKey(db.doneIndex(), j.DoneAt, j.ID)
	case !j.ClaimedAt.IsZero():
		return timeIndexKey(db.claimedIndex(), j.ClaimedAt, j.ID)
	default:
		return timeIndexKey(db.dueIndex(), j.Due, j.ID)
	}
}

// parseIndexKey splits a state index entry into its time and job id.
func parseIndexKey(index, key string) (time.Time, string, bool) {
	rest, ok := strings.CutPrefix(key, index)
	if !ok || len(rest) < timeHexLen+2 || rest[timeHexLen] != '/' {
		return time.Time{}, "", false
	}
	t, ok := parseTimeHex(rest[:timeHexLen])
	if !ok {
		return time.Time{}, "", false
	}
	return t, unesc(rest[timeHexLen+1:]), true
}

// parseTimeHex reverses timeHex.
func parseTimeHex(s string) (time.Time, bool) {
	if len(s) != timeHexLen {
		return time.Time{}, false
	}
	sec, err1 := strconv.ParseUint(s[:16], 16, 64)
	nsec, err2 := strconv.ParseUint(s[16:], 16, 32)
	if err1 != nil || err2 != nil || nsec >= 1e9 {
		return time.Time{}, false
	}
	return time.Unix(int64(sec^(1<<63)), int64(nsec)).UTC(), true
}

// storedJob is a job record as read, with the revision a write compares.
type storedJob struct {
	job    *core.DueJob // nil when absent or undecodable
	modRev int64        // 0 when absent
	err    error        // decode failure
}

// readJobs reads the records of ids, in Txns of single-key Gets (no range,
// so nothing is counted), MaxTxnOps at a time.
func (db *DB) readJobs(ctx context.Context, ids []string) (map[string]storedJob, error) {
	out := make(map[string]storedJob, len(ids))
	for chunk := range slices.Chunk(ids, MaxTxnOps) {
		ops := make([]clientv3.Op, len(chunk))
		for i, id := range chunk {
			ops[i] = clientv3.OpGet(db.jobKey(id))
		}
		resp, err := db.cli.Txn(ctx).Then(ops...).Commit()
		if err != nil {
			return nil, storeErr(ctx, err)
		}
		for i, id := range chunk {
			var s storedJob
			if kvs := resp.Responses[i].GetResponseRange().GetKvs(); len(kvs) > 0 {
				s.modRev = kvs[0].ModRevision
				s.job, s.err = record.DecodeJob(id, kvs[0].Value)
				if s.err != nil {
					s.job = nil
					s.err = core.Wrap(core.EINTERNAL, fmt.Errorf("etcd: %w", s.err), "meetbot's store holds a damaged job record.")
				}
			}
			out[id] = s
		}
	}
	return out, nil
}

// pinned is the compare that a Txn applies only if the record is still as
// read (absent included).
func (db *DB) pinned(id string, s storedJob) clientv3.Cmp {
	return clientv3.Compare(clientv3.ModRevision(db.jobKey(id)), "=", s.modRev)
}

// putJobOp stores j's record.
func (db *DB) putJobOp(j *core.DueJob) (clientv3.Op, error) {
	v, err := record.EncodeJob(j)
	if err != nil {
		return clientv3.Op{}, fmt.Errorf("etcd: %w", err)
	}
	return clientv3.OpPut(db.jobKey(j.ID), string(v)), nil
}

// plannedJobs is record.PlannedJobs with this driver's error prefix.
func plannedJobs(ws core.WorkspaceKey, meetingID string, jobs []core.DueJob) ([]core.DueJob, error) {
	out, err := record.PlannedJobs(ws, meetingID, jobs)
	if err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	return out, nil
}

// meetingJobs reads a meeting's index entries, then the records they and
// extra name. The revision returned is the index read's: a write pins the
// range to it and each record to the revision read, so anything another
// replica changed in between fails the write's compares.
func (db *DB) meetingJobs(ctx context.Context, mp string, extra []string) (indexed []string, recs map[string]storedJob, rev int64, err error) {
	resp, err := db.cli.Get(ctx, mp, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		return nil, nil, 0, storeErr(ctx, err)
	}
	ids := slices.Clone(extra)
	seen := make(map[string]bool, len(extra))
	for _, id := range extra {
		seen[id] = true
	}
	for _, kv := range resp.Kvs {
		id := unesc(string(kv.Key[len(mp):]))
		indexed = append(indexed, id)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	recs, err = db.readJobs(ctx, ids)
	if err != nil {
		return nil, nil, 0, err
	}
	return indexed, recs, resp.Header.Revision, nil
}

// PlanJobs makes jobs the meeting's complete set of not-yet-done jobs, as
// storage/bolt does: new ids are added as pending, pending jobs whose Due
// changed move in the due index (keeping their attempts), claimed jobs in
// the plan stay with their owner, pending and claimed jobs missing from the
// plan are deleted, and done jobs are never touched. It is one Txn that
// compares every record it read and the meeting's index range, retried
// when another replica changed them in between. A plan that changes more
// jobs than one Txn holds (over 40, far beyond what core plans for one
// meeting) is written in several, each still pinned to what it read; a
// crash between them leaves a partial plan that the next re-plan completes.
// Planning the same jobs again writes nothing.
func (db *DB) PlanJobs(ctx context.Context, ws core.WorkspaceKey, meetingID string, jobs []core.DueJob) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validName(meetingID) {
		return fmt.Errorf("etcd: plan jobs: meeting id %q is empty or holds a NUL byte", meetingID)
	}
	mp, err := db.jobMeetingPrefix(ws, meetingID)
	if err != nil {
		return err
	}
	planned, err := plannedJobs(ws, meetingID, jobs)
	if err != nil {
		return err
	}
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		done, err := db.planOnce(ctx, ws, meetingID, mp, planned)
		if err != nil || done {
			return err
		}
		if err := backoff(ctx, attempt); err != nil {
			return storeErr(ctx, err)
		}
	}
	return errContended("this meeting's reminders")
}

// change is the ops and compares of one job's change, kept together so a
// plan split over several Txns pins each record in the Txn that writes it.
type change struct {
	cmps []clientv3.Cmp
	ops  []clientv3.Op
}

// planOnce reads and writes one round of PlanJobs; done is false when a
// compare failed and the plan must be read again.
func (db *DB) planOnce(ctx context.Context, ws core.WorkspaceKey, meetingID, mp string, planned []core.DueJob) (bool, error) {
	ids := make([]string, len(planned))
	inPlan := make(map[string]bool, len(planned))
	for i, p := range planned {
		ids[i], inPlan[p.ID] = p.ID, true
	}
	indexed, recs, rev, err := db.meetingJobs(ctx, mp, ids)
	if err != nil {
		return false, err
	}
	changes, err := db.unplannedChanges(ws, meetingID, mp, indexed, recs, inPlan)
	if err != nil {
		return false, err
	}
	isIndexed := make(map[string]bool, len(indexed))
	for _, id := range indexed {
		isIndexed[id] = true
	}
	for i := range planned {
		c, err := db.plannedChange(ws, meetingID, mp, &planned[i], recs[planned[i].ID], isIndexed[planned[i].ID])
		if err != nil {
			return false, err
		}
		if len(c.ops) > 0 {
			changes = append(changes, c)
		}
	}
	return db.commitPlan(ctx, mp, rev, changes)
}

// unplannedChanges deletes the meeting's jobs that the plan no longer has,
// unless they are done, so a reminder that went out is not planned again.
// An index entry that points at no job of this meeting can only come from a
// bug; it is removed with a warning so it does not stay forever.
func (db *DB) unplannedChanges(ws core.WorkspaceKey, meetingID, mp string, indexed []string, recs map[string]storedJob, inPlan map[string]bool) ([]change, error) {
	var changes []change
	for _, id := range indexed {
		if inPlan[id] {
			continue
		}
		s := recs[id]
		switch {
		case s.err != nil:
			return nil, s.err
		case s.job == nil || s.job.Workspace != ws || s.job.Meeting != meetingID:
			db.log.Warn().Str("workspace", ws.String()).Str("meeting", meetingID).Str("job", id).
				Msg("job index entry does not match a job of its meeting; removing the entry")
			changes = append(changes, change{ops: []clientv3.Op{clientv3.OpDelete(mp + esc(id))}})
		case s.job.DoneAt.IsZero():
			changes = append(changes, change{
				cmps: []clientv3.Cmp{db.pinned(id, s)},
				ops: []clientv3.Op{
					clientv3.OpDelete(db.jobKey(id)), clientv3.OpDelete(db.stateKey(s.job)), clientv3.OpDelete(mp + esc(id)),
				},
			})
		}
	}
	return changes, nil
}

// plannedChange is the change that writes one planned job, empty when the
// job needs no write: done stays done, a claim stays with its owner, and an
// unchanged job costs nothing, so a repeated plan writes nothing. A job id
// that belongs to another meeting is refused, because overwriting it would
// move that meeting's reminder. hasIndex says whether the meeting index
// already holds the job.
func (db *DB) plannedChange(ws core.WorkspaceKey, meetingID, mp string, p *core.DueJob, s storedJob, hasIndex bool) (change, error) {
	var c change
	if s.err != nil {
		return c, s.err
	}
	old := s.job
	if old != nil && (old.Workspace != ws || old.Meeting != meetingID) {
		return c, fmt.Errorf("etcd: job id %q planned for meeting %q of %s belongs to meeting %q of %s",
			p.ID, meetingID, ws, old.Meeting, old.Workspace)
	}
	if !hasIndex {
		c.ops = append(c.ops, clientv3.OpPut(mp+esc(p.ID), ""))
	}
	switch {
	case old == nil:
		put, err := db.putJobOp(p)
		if err != nil {
			return c, err
		}
		c.ops = append(c.ops, put, clientv3.OpPut(db.stateKey(p), ""))
	case !old.DoneAt.IsZero() || !old.ClaimedAt.IsZero() || old.Due.Equal(p.Due):
		// Done stays done, a claim stays with its owner, and an
		// unchanged job costs no write.
	default:
		moved := *old
		moved.Due = p.Due
		put, err := db.putJobOp(&moved)
		if err != nil {
			return c, err
		}
		c.ops = append(c.ops, put, clientv3.OpDelete(db.stateKey(old)), clientv3.OpPut(db.stateKey(&moved), ""))
	}
	if len(c.ops) > 0 {
		c.cmps = append(c.cmps, db.pinned(p.ID, s))
	}
	return c, nil
}

// commitPlan writes the changes in as few Txns as MaxTxnOps allows; done is
// false when a compare failed, because a record or the meeting's index
// changed since rev. The first Txn also pins the meeting's index range: an
// entry another replica added since the read has a later revision.
func (db *DB) commitPlan(ctx context.Context, mp string, rev int64, changes []change) (bool, error) {
	if len(changes) == 0 {
		return true, nil
	}
	first := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(mp), "<", rev+1).WithPrefix()}
	for batch := range batches(changes, first) {
		resp, err := db.cli.Txn(ctx).If(batch.cmps...).Then(batch.ops...).Commit()
		if err != nil {
			return false, storeErr(ctx, err)
		}
		if !resp.Succeeded {
			return false, nil
		}
	}
	return true, nil
}

// batches groups changes into Txns of at most MaxTxnOps ops and compares,
// the first Txn starting with extra compares.
func batches(changes []change, extra []clientv3.Cmp) func(yield func(change) bool) {
	return func(yield func(change) bool) {
		cur := change{cmps: slices.Clone(extra)}
		for _, c := range changes {
			if len(cur.ops) > 0 && (len(cur.ops)+len(c.ops) > MaxTxnOps || len(cur.cmps)+len(c.cmps) > MaxTxnOps) {
				if !yield(cur) {
					return
				}
				cur = change{}
			}
			cur.cmps = append(cur.cmps, c.cmps...)
			cur.ops = append(cur.ops, c.ops...)
		}
		if len(cur.ops) > 0 {
			yield(cur)
		}
	}
}

// FindJobs lists the meeting's jobs, pending, claimed and done, ordered by
// Due (then id). It reads the per-meeting index and the records it names,
// so it costs the meeting's own jobs only.
func (db *DB) FindJobs(ctx context.Context, ws core.WorkspaceKey, meetingID string) ([]core.DueJob, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mp, err := db.jobMeetingPrefix(ws, meetingID)
	if err != nil {
		return nil, err
	}
	if !validName(meetingID) {
		return nil, nil
	}
	ctx, cancel := db.bounded(ctx)
	defer cancel()
	indexed, recs, _, err := db.meetingJobs(ctx, mp, nil)
	if err != nil {
		return nil, err
	}
	var out []core.DueJob
	for _, id := range indexed {
		s := recs[id]
		switch {
		case s.err != nil:
			return nil, s.err
		case s.job == nil:
			db.log.Warn().Str("workspace", ws.String()).Str("meeting", meetingID).Str("job", id).
				Msg("job index points at a missing job; skipping it")
			continue
		case s.job.Workspace != ws || s.job.Meeting != meetingID:
			return nil, fmt.Errorf("etcd: job %q indexed under meeting %q of %s says meeting %q of %s",
				id, meetingID, ws, s.job.Meeting, s.job.Workspace)
		}
		out = append(out, *s.job)
	}
	slices.SortFunc(out, byDue)
	return out, nil
}

// byDue orders jobs by Due, then id.
func byDue(a, b core.DueJob) int {
	if c := a.Due.Compare(b.Due); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// pruneChunk bounds the jobs one PruneJobs Txn deletes (three ops each).
const pruneChunk = claimBatch

// PruneJobs deletes done jobs (completed or given up) whose DoneAt is
// before doneBefore and returns how many it deleted. As in storage/bolt,
// doneBefore must be well in the past (a week or more): done jobs keep a
// re-plan from repeating a reminder. It walks the done index from its
// start in Txns of 40 jobs, each pinned to the records it read, and is a
// maintenance task, not the hot path (its range read counts every done
// job before the cutoff, which it is about to delete anyway).
func (db *DB) PruneJobs(ctx context.Context, doneBefore time.Time) (int, error) {
	idx := db.doneIndex()
	end := idx + timeHex(doneBefore.UTC())
	total := 0
	for attempt := 1; ; {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		rctx, cancel := db.bounded(ctx)
		n, more, ok, err := db.pruneOnce(rctx, idx, end)
		cancel()
		total += n
		switch {
		case err != nil:
			return total, err
		case !ok:
			if attempt++; attempt > maxAttempts {
				return total, errContended("the job history")
			}
			if err := backoff(ctx, attempt); err != nil {
				return total, err
			}
		case !more:
			return total, nil
		}
	}
}

// pruneOnce deletes one chunk; ok is false when a compare failed.
func (db *DB) pruneOnce(ctx context.Context, idx, end string) (n int, more, ok bool, err error) {
	resp, err := db.cli.Get(ctx, idx, clientv3.WithRange(end), clientv3.WithLimit(pruneChunk), clientv3.WithKeysOnly())
	if err != nil {
		return 0, false, false, storeErr(ctx, err)
	}
	if len(resp.Kvs) == 0 {
		return 0, false, true, nil
	}
	keys := make([]string, len(resp.Kvs))
	ids := make([]string, 0, len(resp.Kvs))
	for i, kv := range resp.Kvs {
		keys[i] = string(kv.Key)
		if _, id, good := parseIndexKey(idx, keys[i]); good {
			ids = append(ids, id)
		}
	}
	recs, err := db.readJobs(ctx, ids)
	if err != nil {
		return 0, false, false, err
	}
	var cmps []clientv3.Cmp
	var ops []clientv3.Op
	for _, k := range keys {
		_, id, good := parseIndexKey(idx, k)
		s := recs[id]
		if good && s.job != nil && !s.job.DoneAt.IsZero() && db.stateKey(s.job) == k {
			mp, err := db.jobMeetingPrefix(s.job.Workspace, s.job.Meeting)
			if err != nil {
				return 0, false, false, err
			}
			cmps = append(cmps, db.pinned(id, s))
			ops = append(ops, clientv3.OpDelete(db.jobKey(id)), clientv3.OpDelete(k), clientv3.OpDelete(mp+esc(id)))
			n++
			continue
		}
		// A stray entry: its record is gone, unreadable or not done.
		ops = append(ops, clientv3.OpDelete(k))
	}
	tresp, err := db.cli.Txn(ctx).If(cmps...).Then(ops...).Commit()
	if err != nil {
		return 0, false, false, storeErr(ctx, err)
	}
	if !tresp.Succeeded {
		return 0, false, false, nil
	}
	return n, resp.More, true, nil
}
