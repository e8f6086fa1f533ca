package record

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/meetbot/meetbot/core"
)

// MaxInboxKey bounds an inbox id or dedupe key; webhook ids and hashes are
// far shorter, and a bound keeps one delivery from making a huge key.
const MaxInboxKey = 512

// An inbox entry is stored in one of two forms, told apart by its first
// byte. The current one (inboxBinary) is compact and cheap to write, since
// the webhook endpoint's answer waits for it: the tag, the attempt count
// (uvarint), the receive time (8 bytes, big-endian UnixNano), the id and
// each dedupe key (uvarint length then bytes, keys after their count),
// then the body's raw bytes to the end. The first form, still read from
// files written before, is one JSON line (inboxEntry; it starts with '{')
// then the raw body. Neither puts the body in base64, which would make a
// 1 MiB delivery too large for one etcd request.
const inboxBinary = 0x01

// inboxEntry is the header of the first, JSON, form.
type inboxEntry struct {
	ID       string    `json:"id"`
	Received time.Time `json:"received"`
	Keys     []string  `json:"keys,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
}

// EncodeInbox renders e for storage, in the current (binary) form. The
// error is kept for callers written against the JSON form; a negative
// attempt count is the only entry it refuses.
func EncodeInbox(e *core.InboxEntry) ([]byte, error) {
	if e.Attempts < 0 {
		return nil, fmt.Errorf("encode inbox entry: negative attempt count %d", e.Attempts)
	}
	n := 1 + binary.MaxVarintLen64 + 8 + binary.MaxVarintLen64 + len(e.ID) + binary.MaxVarintLen64 + len(e.Body)
	for _, k := range e.Keys {
		n += binary.MaxVarintLen64 + len(k)
	}
	out := make([]byte, 0, n)
	out = append(out, inboxBinary)
	out = binary.AppendUvarint(out, uint64(e.Attempts))
	out = binary.BigEndian.AppendUint64(out, uint64(e.Received.UnixNano()))
	out = appendString(out, e.ID)
	out = binary.AppendUvarint(out, uint64(len(e.Keys)))
	for _, k := range e.Keys {
		out = appendString(out, k)
	}
	return append(out, e.Body...), nil
}

// EncodeInboxJSON renders e in the first (JSON header) form. Nothing
// stores it any more; it is here so tests can write what older files hold
// and check that DecodeInbox still reads it.
func EncodeInboxJSON(e *core.InboxEntry) ([]byte, error) {
	h, err := json.Marshal(inboxEntry{ID: e.ID, Received: e.Received, Keys: e.Keys, Attempts: e.Attempts})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(h)+1+len(e.Body))
	out = append(append(append(out, h...), '\n'), e.Body...)
	return out, nil
}

// DecodeInbox reads either form EncodeInbox has written; the result
// shares nothing with v.
func DecodeInbox(v []byte) (*core.InboxEntry, error) {
	if len(v) > 0 && v[0] == inboxBinary {
		return decodeInboxBinary(v[1:])
	}
	h, body, ok := bytes.Cut(v, []byte{'\n'})
	var r inboxEntry
	if !ok {
		return nil, fmt.Errorf("decode inbox entry: no header line")
	}
	if err := json.Unmarshal(h, &r); err != nil {
		return nil, fmt.Errorf("decode inbox entry: %w", err)
	}
	return &core.InboxEntry{ID: r.ID, Received: r.Received, Body: bytes.Clone(body), Keys: r.Keys, Attempts: r.Attempts}, nil
}

func decodeInboxBinary(v []byte) (*core.InboxEntry, error) {
	bad := fmt.Errorf("decode inbox entry: truncated or malformed binary record")
	attempts, n := binary.Uvarint(v)
	if n <= 0 || attempts > math.MaxInt32 || len(v[n:]) < 8 {
		return nil, bad
	}
	v = v[n:]
	e := &core.InboxEntry{Attempts: int(attempts), Received: time.Unix(0, int64(binary.BigEndian.Uint64(v))).UTC()}
	v = v[8:]
	var ok bool
	if e.ID, v, ok = readString(v); !ok {
		return nil, bad
	}
	nkeys, n := binary.Uvarint(v)
	if n <= 0 || nkeys > uint64(len(v)) { // each key takes a byte at least
		return nil, bad
	}
	v = v[n:]
	if nkeys > 0 {
		e.Keys = make([]string, nkeys)
	}
	for i := range e.Keys {
		if e.Keys[i], v, ok = readString(v); !ok {
			return nil, bad
		}
	}
	e.Body = bytes.Clone(v)
	return e, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// readString reads what appendString wrote, returning the rest of v.
func readString(v []byte) (string, []byte, bool) {
	l, n := binary.Uvarint(v)
	if n <= 0 || l > uint64(len(v)-n) {
		return "", nil, false
	}
	v = v[n:]
	return string(v[:l]), v[l:], true
}

// CheckInbox refuses an entry or key set no backend should store, with the
// same rules for both drivers.
func CheckInbox(e *core.InboxEntry) error {
	if e == nil || e.ID == "" || len(e.ID) > MaxInboxKey || e.Received.IsZero() {
		return fmt.Errorf("inbox entry needs an id of 1 to %d bytes and a receive time", MaxInboxKey)
	}
	for _, k := range e.Keys {
		if k == "" || len(k) > MaxInboxKey {
			return fmt.Errorf("inbox dedupe key is empty or longer than %d bytes", MaxInboxKey)
		}
	}
	return nil
}

// inboxKeyTag prefixes every stored dedupe key.
const inboxKeyTag = "key:"

// InboxKeys are dedupe keys as stored: tagged, and each once (an etcd Txn
// refuses to write one key twice). See InboxKeyBytes.
func InboxKeys(keys []string) []string {
	b := InboxKeyBytes(keys)
	out := make([]string, len(b))
	for i, k := range b {
		out[i] = string(k)
	}
	return out
}

// InboxKeyBytes are the stored dedupe keys as bytes, all in one buffer,
// for a driver that looks keys up as []byte on every delivery (bbolt):
// two allocations however many keys, instead of one per key and one per
// conversion. It is the one place the tag and the dedupe rule live.
func InboxKeyBytes(keys []string) [][]byte {
	n := 0
	for _, k := range keys {
		n += len(inboxKeyTag) + len(k)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, 0, len(keys))
	for _, k := range keys {
		start := len(buf)
		buf = append(append(buf, inboxKeyTag...), k...)
		key := buf[start:len(buf):len(buf)]
		if !slices.ContainsFunc(out, func(o []byte) bool { return bytes.Equal(o, key) }) {
			out = append(out, key)
		} else {
			buf = buf[:start]
		}
	}
	return out
}

// InboxClaim is a dedupe key's value: its expiry (8 bytes, big-endian
// UnixNano) then the id of the entry holding it.
func InboxClaim(exp time.Time, id string) []byte {
	return append(InboxOrder(exp), id...)
}

// ParseInboxClaim reads InboxClaim; ok is false for anything else.
func ParseInboxClaim(v []byte) (exp time.Time, id string, ok bool) {
	if len(v) < 8 {
		return time.Time{}, "", false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v[:8]))), string(v[8:]), true
}

// InboxOrder is the 8-byte big-endian receive time that orders pending
// entries oldest first in both drivers' queue keys.
func InboxOrder(t time.Time) []byte {
	return AppendInboxOrder(make([]byte, 0, 8), t)
}

// AppendInboxOrder appends InboxOrder(t) to dst.
func AppendInboxOrder(dst []byte, t time.Time) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(t.UnixNano()))
}
