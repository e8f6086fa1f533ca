package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/dump"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// Attendance layout (schema 4):
//
//	meetings_by_room: roomID → record.RoomRef of the meeting that has it
//	attendance:       prefix + meetingID + NUL + timeKey(occurrence) → record.Attendance
//
// One meeting's records are a prefix scan in occurrence order, so keeping
// the newest core.MaxAttendance drops keys from the front.

// attendanceKey is the key of one occurrence's record.
func attendanceKey(prefix []byte, meetingID string, occ time.Time) []byte {
	return join(participantPrefix(prefix, meetingID), timeKey(occ))
}

func errNoRoom() error {
	return core.Errorf(core.ENOTFOUND, "No meeting here uses that video room.")
}

// syncRoomIndex keeps the room index in step with m's RoomID. old is the
// stored version being replaced, nil for a new meeting. An entry is only
// removed when it still points at this meeting.
func syncRoomIndex(tx *bolt.Tx, old, m *core.Meeting) error {
	if old != nil && old.RoomID == m.RoomID {
		return nil
	}
	rooms := tx.Bucket(bucketRooms)
	if old != nil && old.RoomID != "" {
		if err := unindexRoom(rooms, old); err != nil {
			return err
		}
	}
	if m.RoomID == "" {
		return nil
	}
	if err := rooms.Put([]byte(m.RoomID), record.EncodeRoomRef(m)); err != nil {
		return fmt.Errorf("bolt: index room of meeting %q: %w", m.ID, err)
	}
	return nil
}

// unindexRoom deletes m's room index entry if it points at m.
func unindexRoom(rooms *bolt.Bucket, m *core.Meeting) error {
	v := rooms.Get([]byte(m.RoomID))
	if v == nil {
		return nil
	}
	if ws, id, err := record.DecodeRoomRef(v); err == nil && (ws != m.Workspace || id != m.ID) {
		return nil // another meeting's now
	}
	if err := rooms.Delete([]byte(m.RoomID)); err != nil {
		return fmt.Errorf("bolt: unindex room of meeting %q: %w", m.ID, err)
	}
	return nil
}

// backfillRooms indexes the rooms of every stored meeting, for a file
// written before schema 4 had the room index.
func backfillRooms(tx *bolt.Tx) error {
	rooms := tx.Bucket(bucketRooms)
	return tx.Bucket(bucketMeetings).ForEach(func(k, v []byte) error {
		ws, id, ok := splitMeetingKey(k)
		if !ok {
			return nil
		}
		m, err := decodeMeeting(ws, id, v)
		if err != nil || m.RoomID == "" {
			return nil // an unreadable record is reported where it is read
		}
		return rooms.Put([]byte(m.RoomID), record.EncodeRoomRef(m))
	})
}

// FindMeetingByRoom reads the room index.
func (db *DB) FindMeetingByRoom(ctx context.Context, roomID string) (*core.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if roomID == "" {
		return nil, errNoRoom()
	}
	var m *core.Meeting
	err := db.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketRooms).Get([]byte(roomID))
		if v == nil {
			return nil
		}
		ws, id, err := record.DecodeRoomRef(v)
		if err != nil {
			return fmt.Errorf("bolt: %w", err)
		}
		prefix, err := wsPrefix(ws)
		if err != nil {
			return err
		}
		m, err = db.getMeeting(tx, prefix, ws, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if m == nil || m.RoomID != roomID {
		return nil, errNoRoom()
	}
	return m.Clone(), nil
}

// UpdateAttendance is batched like UpdateMeeting: the many joins and leaves
// of a meeting's start land in few commits, each seeing the one before.
func (db *DB) UpdateAttendance(ctx context.Context, ws core.WorkspaceKey, meetingID string, occ time.Time, fn func(*core.Attendance) error) (*core.Attendance, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	prefix, err := wsPrefix(ws)
	if err != nil {
		return nil, err
	}
	if !validName(meetingID) {
		return nil, errNoMeeting(meetingID)
	}
	key := attendanceKey(prefix, meetingID, occ)
	var (
		out      *core.Attendance
		fnErr    error
		notFound bool
	)
	err = db.write(func(tx *bolt.Tx) error {
		out, fnErr, notFound = nil, nil, false
		if tx.Bucket(bucketMeetings).Get(meetingKey(prefix, meetingID)) == nil {
			notFound = true
			return nil
		}
		b := tx.Bucket(bucketAttendance)
		read := &core.Attendance{Workspace: ws, Meeting: meetingID, Occurrence: occ}
		if v := b.Get(key); v != nil {
			var derr error
			if read, derr = record.DecodeAttendance(ws, meetingID, v); derr != nil {
				return fmt.Errorf("bolt: %w", derr)
			}
		}
		a := read.Clone()
		if err := fn(a); errors.Is(err, core.ErrUnchanged) {
			out = read
			return nil
		} else if err != nil {
			fnErr = err
			return nil
		}
		if a.Workspace != ws || a.Meeting != meetingID || !a.Occurrence.Equal(occ) {
			return fmt.Errorf("bolt: update of the attendance of meeting %q changed its key", meetingID)
		}
		v, err := record.EncodeAttendance(a)
		if err != nil {
			return fmt.Errorf("bolt: %w", err)
		}
		if err := b.Put(key, v); err != nil {
			return fmt.Errorf("bolt: put attendance of meeting %q: %w", meetingID, err)
		}
		if err := trimAttendance(b, participantPrefix(prefix, meetingID)); err != nil {
			return err
		}
		out = a.Clone()
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case fnErr != nil:
		return nil, fnErr
	case notFound:
		return nil, errNoMeeting(meetingID)
	}
	return out, nil
}

// trimAttendance keeps the newest core.MaxAttendance records under p.
func trimAttendance(b *bolt.Bucket, p []byte) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for len(keys) > core.MaxAttendance {
		if err := b.Delete(keys[0]); err != nil {
			return fmt.Errorf("bolt: drop old attendance: %w", err)
		}
		keys = keys[1:]
	}
	return nil
}

// ListAttendance returns the meeting's records, newest occurrence first.
func (db *DB) ListAttendance(ctx context.Context, ws core.WorkspaceKey, meetingID string) ([]*core.Attendance, error) {
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
	p := participantPrefix(prefix, meetingID)
	var out []*core.Attendance
	err = db.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAttendance).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			a, err := record.DecodeAttendance(ws, meetingID, v)
			if err != nil {
				return fmt.Errorf("bolt: %w", err)
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}

// exportAttendance yields every attendance record, for bot migrate. The
// room index is not exported: the importer rebuilds it from the meetings.
func exportAttendance(tx *bolt.Tx, fn func(dump.Item) error) error {
	return tx.Bucket(bucketAttendance).ForEach(func(_, v []byte) error {
		a, err := record.DecodeAttendanceRecord(v)
		if err != nil {
			return fmt.Errorf("bolt: %w", err)
		}
		return fn(dump.Item{Attendance: a})
	})
}
