package webhook_test

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/webhook"
	"github.com/meetbot/meetbot/core"
)

// Ensure a valid delivery is stored before the answer, handed to the
// handler only by Drain, and then leaves the inbox.
func TestValidDeliveryStoredThenHandled(t *testing.T) {
	r := newRig(t)
	r.want("valid", r.post(signed(t, testKeys()[0], payload(t, "joined"), "u-1")), 202, r.pending(), 1)
	if len(r.rec.got()) != 0 {
		t.Fatal("handler ran before Drain: the work must come after the answer")
	}
	if n := r.drain(); n != 1 {
		t.Fatalf("Drain handed over %d", n)
	}
	got := r.rec.got()
	if len(got) != 1 || got[0].Kind != core.ParticipantJoined || got[0].RoomID != roomID || got[0].DeliveryID != "rtk:u-1" || got[0].PeerID != "peer-1" {
		t.Fatalf("handler got %+v", got)
	}
	if r.pending() != 0 {
		t.Fatal("handled delivery still pending")
	}
}

// Ensure a signature by another key, a body changed by one byte and a
// missing header are 401 with nothing stored, and that forgeries within a
// minute fetch the key at most once more.
func TestBadSignaturesStoreNothing(t *testing.T) {
	r := newRig(t)
	body := payload(t, "started")
	r.want("forged", r.post(signed(t, testKeys()[1], body, "u-1")), 401, r.pending(), 0)
	d := signed(t, testKeys()[0], body, "u-2")
	d.body = bytes.Clone(body)
	d.body[len(d.body)/2] ^= 1
	r.want("altered", r.post(d), 401, r.pending(), 0)
	r.want("missing header", r.post(delivery{body: body, uuid: "u-3"}), 401, r.pending(), 0)
	r.want("garbage header", r.post(delivery{body: body, sig: "!!not base64", uuid: "u-4"}), 401, r.pending(), 0)
	for range 20 {
		r.post(signed(t, testKeys()[1], body, "u-5"))
	}
	if n := r.keys.fetches.Load(); n != 1 {
		t.Fatalf("key fetched %d times for a burst of forgeries within a minute, want 1", n)
	}
	r.drain()
	if len(r.rec.got()) != 0 {
		t.Fatal("a rejected delivery reached the handler")
	}
}

// Ensure a key rotation is picked up: with the old key cached, a delivery
// signed by the new key fails the first check, the key is fetched again
// (the last fetch being over a minute old) and the delivery is accepted.
func TestKeyRotated(t *testing.T) {
	r := newRig(t)
	r.want("old key", r.post(signed(t, testKeys()[0], payload(t, "started"), "u-1")), 202, r.pending(), 1)
	r.keys.key.Store(testKeys()[1])
	r.env.Clock.Advance(61 * time.Second)
	r.want("new key", r.post(signed(t, testKeys()[1], payload(t, "joined"), "u-2")), 202, r.pending(), 2)
	if n := r.keys.fetches.Load(); n != 2 {
		t.Fatalf("key fetched %d times, want 2 (first use, rotation)", n)
	}
	// Old-key deliveries now fail and cannot make it fetch again at once.
	r.want("old key after rotation", r.post(signed(t, testKeys()[0], payload(t, "left"), "u-3")), 401, r.pending(), 2)
	if n := r.keys.fetches.Load(); n != 2 {
		t.Fatalf("key fetched %d times, want still 2", n)
	}
}

// Ensure an unreachable key document answers 503 (RealtimeKit retries a
// 5xx) without storing, and that the key is used once it is back.
func TestKeyUnavailable(t *testing.T) {
	r := newRig(t)
	r.keys.fail.Store(true)
	r.want("key down", r.post(signed(t, testKeys()[0], payload(t, "started"), "u-1")), 503, r.pending(), 0)
	r.keys.fail.Store(false)
	r.env.Clock.Advance(time.Minute)
	r.want("key back", r.post(signed(t, testKeys()[0], payload(t, "started"), "u-1")), 202, r.pending(), 1)
}

// Ensure a body over 1 MiB is 413 and nothing is stored, while one just
// under is read (and judged by its signature).
func TestOversizedBody(t *testing.T) {
	r := newRig(t)
	big := []byte(`{"event":"meeting.summary","pad":"` + strings.Repeat("x", webhook.MaxBody) + `"}`)
	r.want("oversized", r.post(signed(t, testKeys()[0], big, "u-1")), 413, r.pending(), 0)
	if n := r.keys.fetches.Load(); n != 0 {
		t.Fatal("an oversized body made a key fetch")
	}
	summary := payload(t, "summary")
	fit := append(bytes.TrimSuffix(bytes.TrimSpace(summary), []byte("}")), []byte(`,"pad":"`+strings.Repeat("x", webhook.MaxBody-len(summary)-16)+`"}`)...)
	r.want("just under the cap", r.post(signed(t, testKeys()[0], fit, "u-2")), 202, r.pending(), 1)
}

// Ensure a delivery reaches the handler once however often it comes: a
// replay (same uuid) or a retry with a new uuid (same webhook and body)
// that races the first copy is stored (202) and dropped when handled; once
// handled, a replay is answered 200 and not stored at all. Both ways the
// check is made run: in the store's write (bbolt's AcceptNewInbox) and,
// for a store without it (etcd), through KnownInbox first.
func TestReplayed(t *testing.T) {
	for _, plain := range []bool{false, true} {
		t.Run(map[bool]string{false: "checked in the write", true: "KnownInbox first"}[plain], func(t *testing.T) {
			r := newRig(t)
			if plain {
				r.rc = r.receiver(plainInbox{r.env.Store})
			}
			testReplayed(t, r)
		})
	}
}

// plainInbox hides every method of a store but core.RoomInbox's.
type plainInbox struct{ core.RoomInbox }

func testReplayed(t *testing.T, r *rig) {
	d := signed(t, testKeys()[0], payload(t, "joined"), "u-1")
	r.want("first", r.post(d), 202, r.pending(), 1)
	r.want("same uuid, before handling", r.post(d), 202, r.pending(), 2)
	d2 := d
	d2.uuid = "u-2"
	r.want("new uuid, same body, before handling", r.post(d2), 202, r.pending(), 3)
	if n := r.drain(); n != 1 || r.pending() != 0 {
		t.Fatalf("Drain handed over %d, %d left; want 1, 0", n, r.pending())
	}
	r.want("same uuid, after handling", r.post(d), 200, r.pending(), 0)
	r.want("new uuid, same body, after handling", r.post(d2), 200, r.pending(), 0)
	d3 := d
	d3.body = payload(t, "left")
	d3.sig = signed(t, testKeys()[0], d3.body, "u-1").sig
	r.want("same uuid, other body (re-serialised retry)", r.post(d3), 200, r.pending(), 0)
	r.drain()
	if n := len(r.rec.got()); n != 1 {
		t.Fatalf("handler got the event %d times", n)
	}
	// The same body from another webhook registration, with its own uuid,
	// is another delivery.
	d4 := d
	d4.uuid, d4.webhookID = "u-4", "wh-2"
	r.want("other webhook", r.post(d4), 202, r.pending(), 1)
}

// Ensure deliveries arriving out of order (left before joined, ended
// before the last left) are all stored and handed over in arrival order
// with their payload times, for the handler to sort.
func TestOutOfOrder(t *testing.T) {
	r := newRig(t)
	for i, name := range []string{"left", "ended", "joined"} {
		r.env.Clock.Advance(time.Second)
		r.want(name, r.post(signed(t, testKeys()[0], payload(t, name), "u-"+name)), 202, r.pending(), i+1)
	}
	if n := r.drain(); n != 3 {
		t.Fatalf("Drain handed over %d, want 3", n)
	}
	got := r.rec.got()
	kinds := []core.RoomEventKind{got[0].Kind, got[1].Kind, got[2].Kind}
	if kinds[0] != core.ParticipantLeft || kinds[1] != core.RoomEnded || kinds[2] != core.ParticipantJoined {
		t.Fatalf("handed over as %v, want arrival order", kinds)
	}
	if !got[2].At.Before(got[0].At) {
		t.Fatal("payload times were not kept")
	}
}

// Ensure an event meetbot does not subscribe to, and a recording not yet
// uploaded, are answered 200 and not stored.
func TestIgnoredEvents(t *testing.T) {
	r := newRig(t)
	r.want("chat", r.post(signed(t, testKeys()[0], payload(t, "chat"), "u-1")), 200, r.pending(), 0)
	r.want("recording started", r.post(signed(t, testKeys()[0], payload(t, "recording-started"), "u-2")), 200, r.pending(), 0)
	r.want("signed garbage", r.post(signed(t, testKeys()[0], []byte(`{"no":"event"}`), "u-3")), 400, r.pending(), 0)
}

// Ensure what was stored before a crash is handed over after the restart
// by a new Receiver on the reopened store.
func TestRestartHandsOverPending(t *testing.T) {
	r := newRig(t)
	r.want("before crash", r.post(signed(t, testKeys()[0], payload(t, "started"), "u-1")), 202, r.pending(), 1)
	r.env.Restart()
	r.rc = r.receiver(r.env.Store)
	if n := r.drain(); n != 1 {
		t.Fatalf("after restart Drain handed over %d, want 1", n)
	}
	if got := r.rec.got(); len(got) != 1 || got[0].Kind != core.RoomStarted {
		t.Fatalf("handler got %+v", got)
	}
	// The dedupe keys survived too.
	r.want("redelivery after restart", r.post(signed(t, testKeys()[0], payload(t, "started"), "u-1")), 200, r.pending(), 0)
}

// Ensure a failed hand-over keeps the entry with its attempt count, waits
// RetryEvery before the next try (a wake does not retry it), and succeeds
// later.
func TestHandlerFailureIsRetried(t *testing.T) {
	r := newRig(t)
	r.rec.fail = 1
	r.want("delivery", r.post(signed(t, testKeys()[0], payload(t, "started"), "u-1")), 202, r.pending(), 1)
	if n := r.drain(); n != 0 {
		t.Fatal("a failed hand-over counted as done")
	}
	es, _ := r.env.Store.PendingInbox(t.Context(), 10)
	if len(es) != 1 || es[0].Attempts != 1 {
		t.Fatalf("after a failure: %+v", es)
	}
	if n := r.drain(); n != 0 || len(r.rec.got()) != 0 {
		t.Fatal("retried before its back-off ran out")
	}
	r.env.Clock.Advance(webhook.DefaultRetryEvery)
	if n := r.drain(); n != 1 || r.pending() != 0 {
		t.Fatalf("retry handed over %d, %d left", n, r.pending())
	}
}

// Ensure the log never carries a URL from a body (summary and recording
// links are secrets to the room).
func TestLogsCarryNoURLs(t *testing.T) {
	r := newRig(t)
	r.post(signed(t, testKeys()[0], payload(t, "summary"), "u-1"))
	r.post(signed(t, testKeys()[0], payload(t, "recording"), "u-2"))
	r.rec.fail = 1
	r.drain()
	r.env.Clock.Advance(time.Hour)
	r.drain()
	if s := r.logs.String(); strings.Contains(s, "sig=secret") || strings.Contains(s, "store.example") {
		t.Fatalf("log leaked a download URL:\n%s", s)
	}
}

// Ensure concurrent deliveries, which share store writes, are each
// stored and answered, and that of every delivery sent twice at once the
// handler gets one.
func TestConcurrentDeliveriesShareWrites(t *testing.T) {
	r := newRig(t)
	body := payload(t, "joined")
	sig, _ := webhook.Sign(testKeys()[0], body)
	const n = 40
	codes := make([]int, 2*n)
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Go(func() {
			id := strconv.Itoa(i / 2)
			codes[i] = r.post(delivery{body: body, sig: sig, uuid: "u-" + id, webhookID: "wh-" + id})
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != 202 {
			t.Fatalf("delivery %d answered %d", i, c)
		}
	}
	if p := r.pending(); p != 2*n {
		t.Fatalf("%d stored, want %d", p, 2*n)
	}
	if got := r.drain(); got != n || len(r.rec.got()) != n {
		t.Fatalf("handed over %d (handler saw %d), want %d", got, len(r.rec.got()), n)
	}
}

// Ensure one Drain empties a queue longer than one page.
func TestDrainReadsEveryPage(t *testing.T) {
	r := newRig(t)
	body := payload(t, "joined")
	sig, _ := webhook.Sign(testKeys()[0], body)
	const n = 250
	for i := range n {
		id := strconv.Itoa(i)
		if c := r.post(delivery{body: body, sig: sig, uuid: "u-" + id, webhookID: "wh-" + id}); c != 202 {
			t.Fatalf("delivery %d: %d", i, c)
		}
	}
	if got := r.drain(); got != n || r.pending() != 0 {
		t.Fatalf("Drain handed over %d, %d left; want %d, 0", got, r.pending(), n)
	}
}
