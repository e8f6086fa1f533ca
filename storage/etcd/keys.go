package etcd

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Key layout. Every key lives under the prefix; the first component names
// the record kind, so one kind is one key range:
//
//	meetings/<ws>/<id>                 meeting record (storage/internal/record)
//	meetings_by_start/<ws>/<T>/<id>    "" — start index, ordered by time then id
//	meetings_pending/<ws>/<id>         "" — meetings in StatePending
//	meetings_room_active/<ws>/<id>     "" — meetings whose room is ACTIVE
//	counters/<ws>/last_id              last meeting id handed out, decimal
//	counters/<ws>/max_duration         longest duration stored, nanoseconds
//	participants/<ws>/<meeting>/<user> participant record
//	users/<ws>/<user>                  user record
//	workspaces/<ws>                    workspace record
//	secrets/<name>                     secret record
//	installations/<ws>                 installation record
//	once/<key>                         expiry, see onceValue
//	rooms/<room>, attendance/…         see attendance.go
//
// <ws> is the escaped platform and workspace id joined by "/", and <T> is
// timeHex of the start.
const (
	kindMeetings     = "meetings"
	kindByStart      = "meetings_by_start"
	kindPending      = "meetings_pending"
	kindActiveRooms  = "meetings_room_active"
	kindCounters     = "counters"
	kindParticipants = "participants"
	kindUsers        = "users"
	kindWorkspaces   = "workspaces"
	kindSecrets      = "secrets"
	kindInstalls     = "installations"
	kindOnce         = "once"

	counterLastID      = "last_id"
	counterMaxDuration = "max_duration"
)

// escaper makes "/" appear in a key only as a separator, so "a/" prefixes
// of different components can never overlap. "%" is escaped first so the
// encoding is reversible.
var escaper = strings.NewReplacer("%", "%25", "/", "%2F")

// esc escapes one key component.
func esc(s string) string { return escaper.Replace(s) }

// validName reports whether s can be a key component. NUL is refused as in
// storage/bolt, so both drivers accept the same names and a store can be
// copied from one to the other.
func validName(s string) bool { return s != "" && strings.IndexByte(s, 0) < 0 }

// wsPart returns "<platform>/<workspace>", escaped. An incomplete key or
// one holding NUL is a caller bug, not user input: an internal error.
func wsPart(ws core.WorkspaceKey) (string, error) {
	if ws.Platform == "" || ws.ID == "" {
		return "", fmt.Errorf("etcd: incomplete workspace key %q", ws.String())
	}
	if !validName(string(ws.Platform)) || !validName(ws.ID) {
		return "", fmt.Errorf("etcd: workspace key %q contains a NUL byte", ws.String())
	}
	return esc(string(ws.Platform)) + "/" + esc(ws.ID), nil
}

// wsKey returns the key of kind for ws followed by the escaped parts.
func (db *DB) wsKey(kind string, ws core.WorkspaceKey, parts ...string) (string, error) {
	w, err := wsPart(ws)
	if err != nil {
		return "", err
	}
	k := db.prefix + kind + "/" + w
	for _, p := range parts {
		k += "/" + esc(p)
	}
	return k, nil
}

// meetingKeys are the keys one meeting touches besides its start index
// entry, which depends on its start.
type meetingKeys struct {
	record, pending, active, startPrefix, lastID, maxDur, roomPrefix string
}

func (db *DB) keysOf(ws core.WorkspaceKey, id string) (meetingKeys, error) {
	w, err := wsPart(ws)
	if err != nil {
		return meetingKeys{}, err
	}
	id = esc(id)
	return meetingKeys{
		record:      db.prefix + kindMeetings + "/" + w + "/" + id,
		pending:     db.prefix + kindPending + "/" + w + "/" + id,
		active:      db.prefix + kindActiveRooms + "/" + w + "/" + id,
		startPrefix: db.prefix + kindByStart + "/" + w + "/",
		lastID:      db.prefix + kindCounters + "/" + w + "/" + counterLastID,
		maxDur:      db.prefix + kindCounters + "/" + w + "/" + counterMaxDuration,
		roomPrefix:  db.prefix + kindRooms + "/",
	}, nil
}

// startKey is the start index entry of meeting id at start.
func (k meetingKeys) startKey(start time.Time, id string) string {
	return k.startPrefix + timeHex(start) + "/" + esc(id)
}

// timeHexLen is the length of timeHex's result.
const timeHexLen = 24

// timeHex encodes t so that string order is time order over the whole range
// time.Time can hold: Unix seconds with the sign bit flipped (negative
// instants sort first), then nanoseconds, as fixed-width hex. It is the
// same 12-byte key storage/bolt uses, written readably.
func timeHex(t time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(b[8:], uint32(t.Nanosecond()))
	return hex.EncodeToString(b[:])
}

// onceValue encodes an expiry as 16 hex digits of its UnixNano with the
// sign bit flipped: fixed width, so a Txn can compare values bytewise to ask
// "has it run out?" without reading first.
func onceValue(t time.Time) string {
	return fmt.Sprintf("%016x", uint64(t.UnixNano())^(1<<63))
}

// parseOnceValue decodes onceValue; ok is false for anything else.
func parseOnceValue(v []byte) (time.Time, bool) {
	if len(v) != 16 {
		return time.Time{}, false
	}
	n, err := strconv.ParseUint(string(v), 16, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, int64(n^(1<<63))), true
}

// parseCounter decodes a counter value; a missing one is zero.
func parseCounter(v []byte) (uint64, error) {
	if len(v) == 0 {
		return 0, nil
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("etcd: counter value %q is not a number", v)
	}
	return n, nil
}

// prefixEnd is the first key after every key starting with p, for ranges.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00"
}

// unescaper reverses esc.
var unescaper = strings.NewReplacer("%2F", "/", "%25", "%")

// unesc reverses esc.
func unesc(s string) string { return unescaper.Replace(s) }
