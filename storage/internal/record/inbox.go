package record

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/meetbot/meetbot/core"
)

// MaxInboxKey bounds an inbox id or dedupe key; webhook ids and hashes are
// far shorter, and a bound keeps one delivery from making a huge key.
const MaxInboxKey = 512

// inboxEntry is the header of a core.InboxEntry as stored: one JSON line,
// then the body's raw bytes. The body is not put in the JSON, where base64
// would make a 1 MiB delivery too large for one etcd request.
type inboxEntry struct {
	ID       string    `json:"id"`
	Received time.Time `json:"received"`
	Keys     []string  `json:"keys,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
}

// EncodeInbox renders e for storage.
func EncodeInbox(e *core.InboxEntry) ([]byte, error) {
	h, err := json.Marshal(inboxEntry{ID: e.ID, Received: e.Received, Keys: e.Keys, Attempts: e.Attempts})
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(h)+1+len(e.Body))
	out = append(append(append(out, h...), '\n'), e.Body...)
	return out, nil
}

// DecodeInbox reads what EncodeInbox wrote; the result shares nothing with v.
func DecodeInbox(v []byte) (*core.InboxEntry, error) {
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

// InboxKeys are dedupe keys as stored: tagged, and each once (an etcd Txn
// refuses to write one key twice).
func InboxKeys(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if k := "key:" + k; !slices.Contains(out, k) {
			out = append(out, k)
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
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano()))
	return b[:]
}
