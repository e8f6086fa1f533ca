package bolt

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

func errNoMeeting(id string) error {
	return core.Errorf(core.ENOTFOUND,
		"There is no meeting %q here. Use \"/meet list\" to see this channel's meetings.", id)
}

// CreateMeeting assigns the workspace's next id, sets Version to 1 and
// stores m. It is batched because every "/meet" in every workspace ends here.
// The batch function may run more than once (bbolt re-runs a batch when one
// of its members fails), so it derives everything from the transaction and
// only touches m after the commit.
func (db *DB) CreateMeeting(ctx context.Context, m *core.Meeting) error {
	return db.createMeeting(ctx, m, nil)
}

// CreatePlannedMeeting stores m and the jobs plan returns for it in one
// batched transaction, so a schedule costs one commit.
func (db *DB) CreatePlannedMeeting(ctx context.Context, m *core.Meeting, plan func(*core.Meeting) []core.DueJob) error {
	if plan == nil {
		return fmt.Errorf("bolt: create planned meeting without a plan")
	}
	return db.createMeeting(ctx, m, plan)
}

// createMeeting is CreateMeeting, planning the new meeting's jobs in the
// same transaction when plan is set.
func (db *DB) createMeeting(ctx context.Context, m *core.Meeting, plan func(*core.Meeting) []core.DueJob) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	prefix, err := wsPrefix(m.Workspace)
	if err != nil {
		return err
	}
	draft := m.Clone()
	var id string
	err = db.write(func(tx *bolt.Tx) error {
		id = ""
		counters := tx.Bucket(bucketCounters)
		seqKey := join(prefix, suffixLastID)
		last, err := readUint64(counters.Get(seqKey))
		if err != nil {
			return fmt.Errorf("bolt: meeting id counter of %s: %w", m.Workspace, err)
		}
		next := strconv.FormatUint(last+1, 10)
		if tx.Bucket(bucketMeetings).Get(meetingKey(prefix, next)) != nil {
			return core.Wrap(core.ECONFLICT, fmt.Errorf("bolt: meeting id %q of %s is already taken", next, m.Workspace),
				"Could not pick a new meeting id. Please try again.")
		}
		if err := counters.Put(seqKey, uint64Value(last+1)); err != nil {
			return fmt.Errorf("bolt: advance meeting id counter of %s: %w", m.Workspace, err)
		}
		c := draft.Clone()
		c.ID, c.Version = next, 1
		if err := putMeeting(tx, prefix, nil, c); err != nil {
			return err
		}
		if plan != nil {
			planned, err := plannedJobs(c.Workspace, next, plan(c.Clone()))
			if err != nil {
				return err
			}
			if err := db.planJobsTx(tx, prefix, c.Workspace, next, planned); err != nil {
				return err
			}
		}
		id = next
		return nil
	})
	if err != nil {
		return err
	}
	m.ID, m.Version = id, 1
	return nil
}

// putMeeting stores m and keeps the indexes in step with it. old is the
// stored version being replaced, nil for a new meeting.
func putMeeting(tx *bolt.Tx, prefix []byte, old, m *core.Meeting) error {
	v, err := encodeMeeting(m)
	if err != nil {
		return err
	}
	key := meetingKey(prefix, m.ID)
	if err := tx.Bucket(bucketMeetings).Put(key, v); err != nil {
		return fmt.Errorf("bolt: put meeting %q of %s: %w", m.ID, m.Workspace, err)
	}

	byStart := tx.Bucket(bucketMeetingsStart)
	if old != nil && !old.Start.Equal(m.Start) {
		if err := byStart.Delete(startKey(prefix, old.Start, old.ID)); err != nil {
			return fmt.Errorf("bolt: unindex meeting %q: %w", m.ID, err)
		}
	}
	if old == nil || !old.Start.Equal(m.Start) {
		if err := byStart.Put(startKey(prefix, m.Start, m.ID), nil); err != nil {
			return fmt.Errorf("bolt: index meeting %q: %w", m.ID, err)
		}
	}

	isPending := func(x *core.Meeting) bool { return x.State == core.StatePending }
	if err := syncIndex(tx.Bucket(bucketPending), key, old, m, isPending); err != nil {
		return fmt.Errorf("bolt: update pending index for meeting %q: %w", m.ID, err)
	}
	isActive := func(x *core.Meeting) bool { return x.RoomStatus == core.RoomActive }
	if err := syncIndex(tx.Bucket(bucketActiveRooms), key, old, m, isActive); err != nil {
		return fmt.Errorf("bolt: update active-room index for meeting %q: %w", m.ID, err)
	}
	if err := syncRoomIndex(tx, old, m); err != nil {
		return err
	}

	// Remember the longest duration seen in the workspace, so FindMeetings
	// can seek to EndsAfter-maxDuration instead of scanning from the start.
	// It never shrinks, which only makes the seek more conservative.
	if m.Duration > 0 {
		counters := tx.Bucket(bucketCounters)
		k := join(prefix, suffixMaxDuration)
		cur, err := readUint64(counters.Get(k))
		if err != nil {
			return fmt.Errorf("bolt: max duration of %s: %w", m.Workspace, err)
		}
		if uint64(m.Duration) > cur {
			if err := counters.Put(k, uint64Value(uint64(m.Duration))); err != nil {
				return fmt.Errorf("bolt: max duration of %s: %w", m.Workspace, err)
			}
		}
	}
	return nil
}

// getMeeting returns the stored meeting, or nil when there is none.
func (db *DB) getMeeting(tx *bolt.Tx, prefix []byte, ws core.WorkspaceKey, id string) (*core.Meeting, error) {
	m, shared, err := db.peekMeeting(tx.Bucket(bucketMeetings), prefix, ws, id)
	if shared {
		m = m.Clone()
	}
	return m, err
}

// peekMeeting reads meeting id from the meetings bucket b. When shared is
// true, m is the decode cache's own copy: the caller may read it (to
// filter, say) but must Clone it before handing it out.
func (db *DB) peekMeeting(b *bolt.Bucket, prefix []byte, ws core.WorkspaceKey, id string) (m *core.Meeting, shared bool, err error) {
	k := meetingKey(prefix, id)
	v := b.Get(k)
	if v == nil {
		return nil, false, nil
	}
	if m := db.decoded.peek(k, v); m != nil {
		return m, true, nil
	}
	m, err = decodeMeeting(ws, id, v)
	if err != nil {
		return nil, false, err
	}
	db.decoded.put(k, v, m)
	return m, false, nil
}

// FindMeetingByID returns ENOTFOUND for an id that ws does not have, also
// when another workspace has it: the key includes the workspace.
func (db *DB) FindMeetingByID(ctx context.Context, ws core.WorkspaceKey, id string) (*core.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix, err := wsPrefix(ws)
	if err != nil {
		return nil, err
	}
	if !validName(id) {
		return nil, errNoMeeting(id)
	}
	var m *core.Meeting
	err = db.db.View(func(tx *bolt.Tx) error {
		var gerr error
		m, gerr = db.getMeeting(tx, prefix, ws, id)
		return gerr
	})
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errNoMeeting(id)
	}
	return m, nil
}

// FindMeetings walks the workspace's start index in order, so results come
// out sorted by Start without a sort, and Limit stops the walk early. With
// EndsAfter the walk starts at EndsAfter minus the longest duration ever
// stored in the workspace: no earlier meeting can still be running.
func (db *DB) FindMeetings(ctx context.Context, f core.MeetingFilter) ([]*core.Meeting, error) {
	return db.findMeetings(ctx, f, true)
}

// ViewMeetings is FindMeetings handing out the decoded copies this DB
// keeps rather than a clone of each (core.MeetingViewer): a channel's list
// reads 40 meetings without copying any. The callers must not change them.
func (db *DB) ViewMeetings(ctx context.Context, f core.MeetingFilter) ([]*core.Meeting, error) {
	return db.findMeetings(ctx, f, false)
}

// findMeetings is FindMeetings; with private false it may return the
// decoded cache's shared copies.
func (db *DB) findMeetings(ctx context.Context, f core.MeetingFilter, private bool) ([]*core.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix, err := wsPrefix(f.Workspace)
	if err != nil {
		return nil, err
	}
	var out []*core.Meeting
	key := ""
	if !private {
		key = viewKey(prefix, f)
	}
	txid, hit := 0, false
	err = db.db.View(func(tx *bolt.Tx) error {
		if txid = tx.ID(); key != "" {
			if out, hit = db.views.get(key, txid); hit {
				return nil
			}
		}
		seek := prefix
		if !f.EndsAfter.IsZero() {
			maxDur, err := readUint64(tx.Bucket(bucketCounters).Get(join(prefix, suffixMaxDuration)))
			if err != nil {
				return fmt.Errorf("bolt: max duration of %s: %w", f.Workspace, err)
			}
			seek = join(prefix, timeKey(f.EndsAfter.Add(-time.Duration(maxDur))))
		}
		c := tx.Bucket(bucketMeetingsStart).Cursor()
		meetings := tx.Bucket(bucketMeetings)
		for k, _ := c.Seek(seek); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			id, ok := idFromStartKey(prefix, k)
			if !ok {
				return fmt.Errorf("bolt: malformed start index key %q", k)
			}
			// Filter on the cached copy; only what passes is cloned.
			m, shared, err := db.peekMeeting(meetings, prefix, f.Workspace, id)
			if err != nil {
				return err
			}
			if m == nil {
				db.log.Warn().Str("workspace", f.Workspace.String()).Str("meeting", id).
					Msg("start index points at a missing meeting; skipping it")
				continue
			}
			if !f.Matches(m) {
				continue
			}
			if shared && private {
				m = m.Clone()
			}
			out = append(out, m)
			if f.Limit > 0 && len(out) >= f.Limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if key != "" && !hit {
		db.views.put(key, txid, out)
	}
	return out, nil
}

// syncIndex keeps a set-like index bucket (keys are meeting keys, values
// empty) in step with a predicate over the meeting: added when it becomes
// true, removed when it becomes false.
func syncIndex(b *bolt.Bucket, key []byte, old, m *core.Meeting, in func(*core.Meeting) bool) error {
	was := old != nil && in(old)
	switch is := in(m); {
	case is && !was:
		return b.Put(key, nil)
	case !is && was:
		return b.Delete(key)
	}
	return nil
}

// FindPendingMeetings reads the pending index, whose keys are meeting keys,
// so it costs one lookup per pending intent rather than a scan of every
// meeting of every workspace.
func (db *DB) FindPendingMeetings(ctx context.Context) ([]*core.Meeting, error) {
	return db.findIndexed(ctx, bucketPending)
}

// FindActiveRooms reads the active-room index: only the meetings whose room
// is open right now, a small set whatever the store's size.
func (db *DB) FindActiveRooms(ctx context.Context) ([]*core.Meeting, error) {
	return db.findIndexed(ctx, bucketActiveRooms)
}

// findIndexed loads the meetings named by a set-like index bucket.
func (db *DB) findIndexed(ctx context.Context, index []byte) ([]*core.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []*core.Meeting
	err := db.db.View(func(tx *bolt.Tx) error {
		meetings := tx.Bucket(bucketMeetings)
		return tx.Bucket(index).ForEach(func(k, _ []byte) error {
			ws, id, ok := splitMeetingKey(k)
			if !ok {
				return fmt.Errorf("bolt: malformed key %q in index %s", k, index)
			}
			v := meetings.Get(k)
			if v == nil {
				db.log.Warn().Str("workspace", ws.String()).Str("meeting", id).Str("index", string(index)).
					Msg("index points at a missing meeting; skipping it")
				return nil
			}
			m, err := decodeMeeting(ws, id, v)
			if err != nil {
				return err
			}
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// splitMeetingKey parses "platform\x00workspace\x00id".
func splitMeetingKey(k []byte) (core.WorkspaceKey, string, bool) {
	p, rest, ok := bytes.Cut(k, []byte{sep})
	if !ok {
		return core.WorkspaceKey{}, "", false
	}
	w, id, ok := bytes.Cut(rest, []byte{sep})
	if !ok || len(p) == 0 || len(w) == 0 || len(id) == 0 {
		return core.WorkspaceKey{}, "", false
	}
	return core.WorkspaceKey{Platform: core.Platform(p), ID: string(w)}, string(id), true
}

// UpdateMeeting is batched like CreateMeeting: concurrent updates of the same
// meeting land in one transaction one after another, each seeing the last,
// so none is lost. A not-found or an error from fn is carried out of the
// batch in a variable rather than returned to bbolt, because an error would
// make bbolt roll back and re-run the whole batch; nothing was written by
// this call at that point, so committing the others is correct.
func (db *DB) UpdateMeeting(ctx context.Context, ws core.WorkspaceKey, id string, fn func(*core.Meeting) error) (*core.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix, err := wsPrefix(ws)
	if err != nil {
		return nil, err
	}
	if !validName(id) {
		return nil, errNoMeeting(id)
	}
	var (
		out      *core.Meeting
		fnErr    error
		notFound bool
	)
	err = db.write(func(tx *bolt.Tx) error {
		out, fnErr, notFound = nil, nil, false
		old, err := db.getMeeting(tx, prefix, ws, id)
		if err != nil {
			return err
		}
		if old == nil {
			notFound = true
			return nil
		}
		m := old.Clone()
		if err := fn(m); err != nil {
			fnErr = err
			return nil
		}
		if m.ID != old.ID || m.Workspace != old.Workspace {
			return fmt.Errorf("bolt: update of meeting %q in %s changed its key to %q in %s", id, ws, m.ID, m.Workspace)
		}
		m.Version = old.Version + 1
		if err := putMeeting(tx, prefix, old, m); err != nil {
			return err
		}
		out = m.Clone() // fn may have kept m
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case fnErr != nil:
		return nil, fnErr
	case notFound:
		return nil, errNoMeeting(id)
	}
	return out, nil
}

// DeleteMeeting removes the meeting, its index entries, its participants and
// its due jobs (done ones too) in one transaction, so nothing is left that
// the scheduler could run or that nothing would ever clean up. It is an
// admin-rate write, so it uses Update.
func (db *DB) DeleteMeeting(ctx context.Context, ws core.WorkspaceKey, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	prefix, err := wsPrefix(ws)
	if err != nil {
		return err
	}
	if !validName(id) {
		return nil
	}
	return db.update(func(tx *bolt.Tx) error {
		key := meetingKey(prefix, id)
		meetings := tx.Bucket(bucketMeetings)
		if v := meetings.Get(key); v != nil {
			if err := meetings.Delete(key); err != nil {
				return fmt.Errorf("bolt: delete meeting %q of %s: %w", id, ws, err)
			}
			if err := unindexStart(tx, prefix, ws, id, v); err != nil {
				return err
			}
			if m, err := decodeMeeting(ws, id, v); err == nil && m.RoomID != "" {
				if err := unindexRoom(tx.Bucket(bucketRooms), m); err != nil {
					return err
				}
			}
		}
		for _, index := range [][]byte{bucketPending, bucketActiveRooms} {
			if err := tx.Bucket(index).Delete(key); err != nil {
				return fmt.Errorf("bolt: delete %s entry %q of %s: %w", index, id, ws, err)
			}
		}
		if err := deletePrefix(tx.Bucket(bucketParticipants), participantPrefix(prefix, id)); err != nil {
			return err
		}
		if err := deletePrefix(tx.Bucket(bucketAttendance), participantPrefix(prefix, id)); err != nil {
			return err
		}
		return deleteMeetingJobs(tx, prefix, ws, id)
	})
}

// unindexStart removes the start-index entry of a meeting being deleted. A
// record that no longer decodes still has to go, so then it finds the entry
// by scanning the workspace's index for the id.
func unindexStart(tx *bolt.Tx, prefix []byte, ws core.WorkspaceKey, id string, v []byte) error {
	byStart := tx.Bucket(bucketMeetingsStart)
	if m, err := decodeMeeting(ws, id, v); err == nil {
		return byStart.Delete(startKey(prefix, m.Start, id))
	}
	var stale [][]byte
	c := byStart.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if got, ok := idFromStartKey(prefix, k); ok && got == id {
			stale = append(stale, bytes.Clone(k))
		}
	}
	for _, k := range stale {
		if err := byStart.Delete(k); err != nil {
			return fmt.Errorf("bolt: unindex meeting %q of %s: %w", id, ws, err)
		}
	}
	return nil
}

// deletePrefix removes every key starting with prefix. Keys are collected
// first because deleting under a live cursor can skip entries.
func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return fmt.Errorf("bolt: delete %q: %w", k, err)
		}
	}
	return nil
}
