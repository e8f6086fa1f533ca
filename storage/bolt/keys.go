package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Bucket names. Each record kind gets its own top-level bucket so a scan of
// one kind never has to skip over another, and so an index can be rebuilt by
// dropping one bucket.
var (
	bucketMeta          = []byte("meta")
	bucketMeetings      = []byte("meetings")
	bucketMeetingsStart = []byte("meetings_by_start")
	bucketPending       = []byte("meetings_pending")
	bucketActiveRooms   = []byte("meetings_room_active")
	bucketCounters      = []byte("meeting_counters")
	bucketParticipants  = []byte("participants")
	bucketUsers         = []byte("users")
	bucketWorkspaces    = []byte("workspaces")
	bucketSecrets       = []byte("secrets")

	// Due jobs: records keyed by job id, and one index per state, so each
	// state's "earliest first" is a cursor First (see jobs.go).
	bucketJobs          = []byte("jobs")
	bucketJobsDue       = []byte("jobs_due")
	bucketJobsClaimed   = []byte("jobs_claimed")
	bucketJobsDone      = []byte("jobs_done")
	bucketJobsByMeeting = []byte("jobs_by_meeting")
	// Chat installs (schema 3): sealed bot tokens by workspace, and the
	// keys of deliveries already acted on, by key, holding their expiry.
	bucketInstalls = []byte("installations")
	bucketOnce     = []byte("once")
	// Room events (schema 4): the meeting of each RealtimeKit room, and
	// attendance per occurrence (see attendance.go).
	bucketRooms      = []byte("meetings_by_room")
	bucketAttendance = []byte("attendance")

	allBuckets = [][]byte{
		bucketMeta, bucketMeetings, bucketMeetingsStart, bucketPending, bucketActiveRooms, bucketCounters,
		bucketParticipants, bucketUsers, bucketWorkspaces, bucketSecrets,
		bucketJobs, bucketJobsDue, bucketJobsClaimed, bucketJobsDone, bucketJobsByMeeting,
		bucketInstalls, bucketOnce, bucketRooms, bucketAttendance,
	}
)

// Keys inside the meta bucket and suffixes inside the counters bucket.
var (
	keySchema         = []byte("schema")
	suffixLastID      = []byte("last_id")
	suffixMaxDuration = []byte("max_duration")
)

// sep separates key components. Platform and chat ids never contain NUL, and
// we refuse any that do, so "platform\x00workspace\x00" is an unambiguous
// prefix: no workspace's prefix can be a prefix of another's.
const sep = 0

// timeKeyLen is the size of an encoded instant: 8 bytes of seconds, 4 of
// nanoseconds.
const timeKeyLen = 12

// wsPrefix returns "platform\x00workspaceID\x00", the prefix of every key
// that belongs to ws. An incomplete key or one holding NUL is a caller bug,
// not user input, so it comes back as a plain (internal) error.
func wsPrefix(ws core.WorkspaceKey) ([]byte, error) {
	if ws.Platform == "" || ws.ID == "" {
		return nil, fmt.Errorf("bolt: incomplete workspace key %q", ws.String())
	}
	if strings.IndexByte(string(ws.Platform), sep) >= 0 || strings.IndexByte(ws.ID, sep) >= 0 {
		return nil, fmt.Errorf("bolt: workspace key %q contains a NUL byte", ws.String())
	}
	k := make([]byte, 0, len(ws.Platform)+len(ws.ID)+2)
	k = append(k, ws.Platform...)
	k = append(k, sep)
	k = append(k, ws.ID...)
	return append(k, sep), nil
}

// validName reports whether s can be a key component: non-empty, no NUL.
func validName(s string) bool {
	return s != "" && strings.IndexByte(s, sep) < 0
}

// join concatenates key parts into a fresh slice. bbolt keeps references to
// keys passed to Put until commit, so keys are never reused buffers.
func join(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	k := make([]byte, 0, n)
	for _, p := range parts {
		k = append(k, p...)
	}
	return k
}

// meetingKey is prefix+id. The pending index uses the same key, so an index
// entry points straight at its record.
func meetingKey(prefix []byte, id string) []byte { return join(prefix, []byte(id)) }

// startKey is prefix + big-endian start + id: a cursor Seek to a time lands
// on the first meeting of the workspace starting at or after it.
func startKey(prefix []byte, start time.Time, id string) []byte {
	return join(prefix, timeKey(start), []byte(id))
}

// participantPrefix is prefix + meetingID + NUL; the user id follows, so a
// prefix scan lists one meeting's participants ordered by user id.
func participantPrefix(prefix []byte, meetingID string) []byte {
	return join(prefix, []byte(meetingID), []byte{sep})
}

// timeKey encodes t so that byte order is time order over the whole range
// time.Time can hold: Unix seconds with the sign bit flipped (so negative
// instants sort first), then nanoseconds. UnixNano alone would overflow
// outside 1678–2262, which includes the zero time.
func timeKey(t time.Time) []byte {
	k := make([]byte, timeKeyLen)
	binary.BigEndian.PutUint64(k[:8], uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(k[8:], uint32(t.Nanosecond()))
	return k
}

// timeFromKey decodes the timeKey at the start of k; ok is false when k is
// too short to hold one.
func timeFromKey(k []byte) (time.Time, bool) {
	if len(k) < timeKeyLen {
		return time.Time{}, false
	}
	sec := int64(binary.BigEndian.Uint64(k[:8]) ^ (1 << 63))
	return time.Unix(sec, int64(binary.BigEndian.Uint32(k[8:timeKeyLen]))).UTC(), true
}

// jobTimeKey is big-endian t + job id: the key of the due, claimed and done
// indexes, so a cursor's First is the earliest job of that state and ties
// break by id.
func jobTimeKey(t time.Time, id string) []byte { return join(timeKey(t), []byte(id)) }

// jobMeetingPrefix is prefix + meetingID + NUL; a job id follows in the
// per-meeting job index, so one meeting's jobs are a prefix scan.
func jobMeetingPrefix(prefix []byte, meetingID string) []byte {
	return join(prefix, []byte(meetingID), []byte{sep})
}

// idFromStartKey returns the meeting id that follows the time in an index key.
func idFromStartKey(prefix, k []byte) (string, bool) {
	if len(k) <= len(prefix)+timeKeyLen || !bytes.HasPrefix(k, prefix) {
		return "", false
	}
	return string(k[len(prefix)+timeKeyLen:]), true
}

// uint64Value encodes a counter.
func uint64Value(n uint64) []byte {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, n)
	return v
}

// readUint64 decodes a counter; a missing one is zero.
func readUint64(v []byte) (uint64, error) {
	switch len(v) {
	case 0:
		return 0, nil
	case 8:
		return binary.BigEndian.Uint64(v), nil
	default:
		return 0, fmt.Errorf("bolt: counter has %d bytes, want 8", len(v))
	}
}
