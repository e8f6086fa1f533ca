package bolt

import (
	"bytes"
	"slices"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// Ensure entries an older build stored (JSON header form) in a file are
// still listed, retried and finished next to entries in the binary form,
// also after a reopen, and that a retry rewrites them in the new form.
func TestInboxReadsOldJSONEntries(t *testing.T) {
	dir := t.TempDir()
	db := openTemp(t, dir)
	ctx := t.Context()
	base := time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC)
	old := &core.InboxEntry{ID: "rtk:old@1", Received: base, Body: []byte(`{"event":"meeting.started"}`), Keys: []string{"uuid:old"}, Attempts: 1}
	v, err := record.EncodeInboxJSON(old)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketInboxQueue).Put(inboxQueueKey(old), v) }); err != nil {
		t.Fatal(err)
	}
	cur := &core.InboxEntry{ID: "rtk:new@2", Received: base.Add(time.Second), Body: []byte("{}\n"), Keys: []string{"uuid:new"}}
	if err := db.AcceptInbox(ctx, []*core.InboxEntry{cur}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTemp(t, dir)
	defer db.Close()
	got, err := db.PendingInbox(ctx, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("PendingInbox = %d entries, %v; want 2", len(got), err)
	}
	for i, want := range []*core.InboxEntry{old, cur} {
		e := got[i]
		if e.ID != want.ID || !e.Received.Equal(want.Received) || !bytes.Equal(e.Body, want.Body) || !slices.Equal(e.Keys, want.Keys) || e.Attempts != want.Attempts {
			t.Fatalf("entry %d = %+v, want %+v", i, e, want)
		}
	}
	got[0].Attempts = 2
	if err := db.RetryInbox(ctx, got[0]); err != nil {
		t.Fatal(err)
	}
	if err := db.db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bucketInboxQueue).Get(inboxQueueKey(old)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if e, err := record.DecodeInbox(v); err != nil || v[0] == '{' || e.Attempts != 2 || !bytes.Equal(e.Body, old.Body) {
		t.Fatalf("retried old entry stored as %q (%+v, %v); want the binary form with 2 attempts", v, e, err)
	}
	if err := db.DoneInbox(ctx, got[0]); err != nil {
		t.Fatal(err)
	}
	if left, err := db.PendingInbox(ctx, 10); err != nil || len(left) != 1 || left[0].ID != cur.ID {
		t.Fatalf("after DoneInbox: %d pending, %v", len(left), err)
	}
}

// Ensure AcceptNewInbox stores, in one write, exactly the entries none of
// whose keys is claimed and unexpired at their receive time, and says so.
func TestAcceptNewInboxChecksKeys(t *testing.T) {
	db := openTemp(t, t.TempDir())
	defer db.Close()
	ctx := t.Context()
	base := time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC)
	handled := &core.InboxEntry{ID: "rtk:a@1", Received: base, Keys: []string{"body:a", "uuid:a"}}
	if ok, err := db.ClaimInbox(ctx, handled, base, time.Hour); err != nil || !ok {
		t.Fatalf("ClaimInbox = %v, %v", ok, err)
	}
	entries := []*core.InboxEntry{
		{ID: "rtk:a@2", Received: base.Add(time.Minute), Keys: []string{"body:a", "uuid:a"}},   // replay
		{ID: "rtk:b@3", Received: base.Add(time.Minute), Keys: []string{"body:a", "uuid:b"}},   // new uuid, same body
		{ID: "rtk:c@4", Received: base.Add(time.Minute), Keys: []string{"body:c", "uuid:c"}},   // new
		{ID: "rtk:a@5", Received: base.Add(2 * time.Hour), Keys: []string{"body:a", "uuid:a"}}, // keys expired
		{ID: "rtk:c@6", Received: base.Add(time.Minute), Keys: []string{"body:c", "uuid:c"}},   // races c: stored too
	}
	stored, err := db.AcceptNewInbox(ctx, entries)
	if want := []bool{false, false, true, true, true}; err != nil || !slices.Equal(stored, want) {
		t.Fatalf("AcceptNewInbox = %v, %v; want %v", stored, err, want)
	}
	got, err := db.PendingInbox(ctx, 10)
	if err != nil || len(got) != 3 || got[0].ID != "rtk:c@4" || got[1].ID != "rtk:c@6" || got[2].ID != "rtk:a@5" {
		t.Fatalf("pending after AcceptNewInbox: %d, %v", len(got), err)
	}
	if _, err := db.AcceptNewInbox(ctx, []*core.InboxEntry{{ID: ""}}); err == nil {
		t.Fatal("an entry without id was accepted")
	}
}
