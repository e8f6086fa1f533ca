package record

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

func sameInbox(a, b *core.InboxEntry) bool {
	return a.ID == b.ID && a.Received.Equal(b.Received) && bytes.Equal(a.Body, b.Body) &&
		slices.Equal(a.Keys, b.Keys) && a.Attempts == b.Attempts
}

// Ensure the binary form reads back as written (body bytes untouched,
// newlines and all), and that the JSON form older files hold still reads.
func TestInboxFormsRoundTrip(t *testing.T) {
	at := time.Date(2031, 3, 30, 9, 30, 0, 5, time.FixedZone("X", 3600))
	entries := []*core.InboxEntry{
		{ID: "rtk:u-1@abc", Received: at, Body: []byte("{\"event\":\"x\"}\n\x00\x01raw"), Keys: []string{"body:ff", "uuid:u-1"}, Attempts: 3},
		{ID: "sha:1", Received: at, Body: []byte{}},
		{ID: "sha:2", Received: at, Body: []byte{inboxBinary, '{'}, Keys: []string{"k"}},
	}
	for _, e := range entries {
		for name, enc := range map[string]func(*core.InboxEntry) ([]byte, error){"binary": EncodeInbox, "json": EncodeInboxJSON} {
			v, err := enc(e)
			if err != nil {
				t.Fatalf("%s encode %s: %v", name, e.ID, err)
			}
			if got := v[0] == inboxBinary; got != (name == "binary") {
				t.Fatalf("%s encode %s starts with %q", name, e.ID, v[0])
			}
			d, err := DecodeInbox(v)
			if err != nil || !sameInbox(d, e) {
				t.Fatalf("%s round trip of %s: %+v, %v", name, e.ID, d, err)
			}
			v[len(v)-1] ^= 0xff // the result shares nothing with v
			if len(e.Body) > 0 && !bytes.Equal(d.Body, e.Body) {
				t.Fatalf("%s decode of %s shares the body with the stored bytes", name, e.ID)
			}
		}
	}
	// Bytes an older build wrote, verbatim: the JSON header line.
	old := []byte(`{"id":"rtk:u-9@1","received":"2031-03-30T08:30:00.000000005Z","keys":["uuid:u-9"],"attempts":2}` + "\n" + `{"event":"meeting.started"}`)
	d, err := DecodeInbox(old)
	want := &core.InboxEntry{ID: "rtk:u-9@1", Received: at, Body: []byte(`{"event":"meeting.started"}`), Keys: []string{"uuid:u-9"}, Attempts: 2}
	if err != nil || !sameInbox(d, want) {
		t.Fatalf("old JSON form: %+v, %v", d, err)
	}
}

// Ensure a truncated or garbled binary record is an error, never a panic
// or a wrong entry.
func TestInboxBinaryRefusesDamage(t *testing.T) {
	e := &core.InboxEntry{ID: "rtk:u-1@abc", Received: time.Unix(0, 42), Body: []byte("body"), Keys: []string{"body:ff", "uuid:u-1"}}
	v, err := EncodeInbox(e)
	if err != nil {
		t.Fatal(err)
	}
	head := len(v) - len(e.Body) // every cut inside the header is damage
	for n := 1; n < head; n++ {
		if d, err := DecodeInbox(v[:n]); err == nil {
			t.Fatalf("record cut at %d of %d decoded to %+v", n, head, d)
		}
	}
	bad := append([]byte{inboxBinary, 0}, make([]byte, 8)...)
	bad = append(bad, 0xff, 0xff, 0xff, 0xff, 0x0f) // an id longer than the record
	if _, err := DecodeInbox(bad); err == nil {
		t.Fatal("an id length past the end decoded")
	}
	if _, err := EncodeInbox(&core.InboxEntry{ID: "x", Received: time.Unix(1, 0), Attempts: -1}); err == nil {
		t.Fatal("a negative attempt count encoded")
	}
}

// TestInboxKeysTaggedOnce: stored keys are tagged and each kept once, in
// first-seen order, in both forms; no key's bytes are changed by the ones
// after it (they share one buffer).
func TestInboxKeysTaggedOnce(t *testing.T) {
	long := "body:" + strings.Repeat("f", 64)
	for _, c := range []struct{ in, want []string }{
		{nil, []string{}},
		{[]string{"uuid:a"}, []string{"key:uuid:a"}},
		{[]string{long, "uuid:b"}, []string{"key:" + long, "key:uuid:b"}},
		{[]string{"uuid:c", "uuid:c", "uuid:d", "uuid:c"}, []string{"key:uuid:c", "key:uuid:d"}},
	} {
		if got := InboxKeys(c.in); !slices.Equal(got, c.want) {
			t.Errorf("InboxKeys(%q) = %q, want %q", c.in, got, c.want)
		}
		got := InboxKeyBytes(c.in)
		if len(got) != len(c.want) {
			t.Fatalf("InboxKeyBytes(%q): %d keys, want %d", c.in, len(got), len(c.want))
		}
		for i := range got {
			if string(got[i]) != c.want[i] {
				t.Errorf("InboxKeyBytes(%q)[%d] = %q, want %q", c.in, i, got[i], c.want[i])
			}
		}
	}
}
