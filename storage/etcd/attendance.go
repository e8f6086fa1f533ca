package etcd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// Attendance layout:
//
//	rooms/<room>                       record.RoomRef of the meeting whose RoomID it is
//	attendance/<ws>/<meeting>/<T>      record.Attendance of the occurrence starting (by rule) at T
//
// <T> is timeHex, so one meeting's records are a key range in occurrence
// order. The room index is written in the meeting's own Txn (putMeetingOps).
const (
	kindRooms      = "rooms"
	kindAttendance = "attendance"
)

func errNoRoom() error {
	return core.Errorf(core.ENOTFOUND, "No meeting here uses that video room.")
}

// roomKey is the room index entry of roomID.
func (db *DB) roomKey(roomID string) string { return db.prefix + kindRooms + "/" + esc(roomID) }

// roomOps keeps the room index in step with m's RoomID. old is the stored
// version being replaced, nil for a new meeting.
func roomOps(ops []clientv3.Op, k meetingKeys, old, m *core.Meeting) []clientv3.Op {
	if old != nil && old.RoomID == m.RoomID {
		return ops
	}
	if old != nil && old.RoomID != "" {
		ops = append(ops, clientv3.OpDelete(k.roomPrefix+esc(old.RoomID)))
	}
	if m.RoomID != "" {
		ops = append(ops, clientv3.OpPut(k.roomPrefix+esc(m.RoomID), string(record.EncodeRoomRef(m))))
	}
	return ops
}

// FindMeetingByRoom reads the room index, then the meeting.
func (db *DB) FindMeetingByRoom(ctx context.Context, roomID string) (*core.Meeting, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !validName(roomID) {
		return nil, errNoRoom()
	}
	v, _, found, err := db.readOne(ctx, db.roomKey(roomID))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, errNoRoom()
	}
	ws, id, err := record.DecodeRoomRef(v)
	if err != nil {
		return nil, internal(err)
	}
	m, err := db.FindMeetingByID(ctx, ws, id)
	if core.ErrorCode(err) == core.ENOTFOUND || err == nil && m.RoomID != roomID {
		return nil, errNoRoom()
	}
	return m, err
}

// attendancePrefix is the key prefix of one meeting's records.
func (db *DB) attendancePrefix(ws core.WorkspaceKey, meetingID string) (string, error) {
	k, err := db.wsKey(kindAttendance, ws, meetingID)
	return k + "/", err
}

// UpdateAttendance reads the record and the meeting's key in one Txn,
// applies fn and writes the record in a Txn that compares the record's
// revision and that the meeting still exists, retrying with the fresh
// record when another writer got there first. A new record then drops
// the meeting's oldest beyond core.MaxAttendance.
func (db *DB) UpdateAttendance(ctx context.Context, ws core.WorkspaceKey, meetingID string, occ time.Time, fn func(*core.Attendance) error) (*core.Attendance, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := wsPart(ws); err != nil {
		return nil, err
	}
	if !validName(meetingID) {
		return nil, errNoMeeting(meetingID)
	}
	prefix, err := db.attendancePrefix(ws, meetingID)
	if err != nil {
		return nil, err
	}
	mk, err := db.wsKey(kindMeetings, ws, meetingID)
	if err != nil {
		return nil, err
	}
	ak := prefix + timeHex(occ)
	mu := db.stripe(ak)
	mu.Lock()
	defer mu.Unlock()
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	reads := []clientv3.Op{clientv3.OpGet(ak), clientv3.OpGet(mk, clientv3.WithKeysOnly())}
	tr, err := db.cli.Txn(bctx).Then(reads...).Commit()
	if err != nil {
		return nil, storeErr(ctx, err)
	}
	for attempt := 1; ; attempt++ {
		if _, _, ok := kvOf(tr, 1); !ok {
			return nil, errNoMeeting(meetingID)
		}
		v, rev, found := kvOf(tr, 0)
		read := &core.Attendance{Workspace: ws, Meeting: meetingID, Occurrence: occ}
		if found {
			if read, err = record.DecodeAttendance(ws, meetingID, v); err != nil {
				return nil, internal(err)
			}
		}
		a := read.Clone()
		if err := fn(a); errors.Is(err, core.ErrUnchanged) {
			return read, nil
		} else if err != nil {
			return nil, err
		}
		if a.Workspace != ws || a.Meeting != meetingID || !a.Occurrence.Equal(occ) {
			return nil, fmt.Errorf("etcd: update of the attendance of meeting %q changed its key", meetingID)
		}
		nv, err := record.EncodeAttendance(a)
		if err != nil {
			return nil, internal(err)
		}
		if len(nv) > maxRecord {
			return nil, fmt.Errorf("etcd: the attendance of meeting %q grew to %d bytes", meetingID, len(nv))
		}
		tr, err = db.cli.Txn(bctx).
			If(clientv3.Compare(clientv3.ModRevision(ak), "=", rev), clientv3.Compare(clientv3.CreateRevision(mk), ">", 0)).
			Then(clientv3.OpPut(ak, string(nv))).
			Else(reads...).
			Commit()
		if err != nil {
			return nil, storeErr(ctx, err)
		}
		if tr.Succeeded {
			if !found {
				if err := db.trimAttendance(bctx, prefix); err != nil {
					return nil, storeErr(ctx, err)
				}
			}
			return a.Clone(), nil
		}
		if attempt >= maxAttempts {
			return nil, errContended(fmt.Sprintf("the attendance of meeting %q", meetingID))
		}
		if attempt > 1 {
			if err := backoff(bctx, attempt-1); err != nil {
				return nil, storeErr(ctx, err)
			}
		}
	}
}

// trimAttendance deletes the oldest records under prefix beyond
// core.MaxAttendance. Two replicas trimming at once delete the same keys,
// which is harmless.
func (db *DB) trimAttendance(ctx context.Context, prefix string) error {
	resp, err := db.cli.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly(),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		return err
	}
	var ops []clientv3.Op
	for i := 0; i < len(resp.Kvs)-core.MaxAttendance && len(ops) < MaxTxnOps; i++ {
		ops = append(ops, clientv3.OpDelete(string(resp.Kvs[i].Key)))
	}
	if len(ops) == 0 {
		return nil
	}
	_, err = db.cli.Txn(ctx).Then(ops...).Commit()
	return err
}

// ListAttendance returns the meeting's records, newest occurrence first.
func (db *DB) ListAttendance(ctx context.Context, ws core.WorkspaceKey, meetingID string) ([]*core.Attendance, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, err := wsPart(ws); err != nil {
		return nil, err
	}
	if !validName(meetingID) {
		return nil, nil
	}
	prefix, err := db.attendancePrefix(ws, meetingID)
	if err != nil {
		return nil, err
	}
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	resp, err := db.cli.Get(bctx, prefix, clientv3.WithPrefix(),
		clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(core.MaxAttendance))
	if err != nil {
		return nil, storeErr(ctx, err)
	}
	var out []*core.Attendance
	for _, kv := range resp.Kvs {
		a, err := record.DecodeAttendance(ws, meetingID, kv.Value)
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, a)
	}
	return out, nil
}

// appendRoomOnce appends mops to ops, except that a room index key already
// put by an earlier meeting of the same Txn is replaced rather than put
// twice (etcd refuses a Txn that names a key twice): two meetings created
// in one group with the same room keep the later, as two Txns would.
func appendRoomOnce(ops, mops []clientv3.Op, roomPrefix string) []clientv3.Op {
	for _, op := range mops {
		key := string(op.KeyBytes())
		if strings.HasPrefix(key, roomPrefix) {
			if i := slices.IndexFunc(ops, func(o clientv3.Op) bool { return string(o.KeyBytes()) == key }); i >= 0 {
				ops[i] = op
				continue
			}
		}
		ops = append(ops, op)
	}
	return ops
}

// importAttendanceOps stores one attendance record as UpdateAttendance
// would (bot migrate).
func (db *DB) importAttendanceOps(a *core.Attendance) ([]clientv3.Cmp, []clientv3.Op, error) {
	prefix, err := db.attendancePrefix(a.Workspace, a.Meeting)
	if err != nil {
		return nil, nil, err
	}
	v, err := record.EncodeAttendance(a)
	return importPut(prefix+timeHex(a.Occurrence), v, err)
}
