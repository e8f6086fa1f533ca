package webhook_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/meetbot/meetbot/adapters/realtimekit/webhook"
	"github.com/meetbot/meetbot/internal/testenv"
)

// The issue asks the full endpoint (read, verify, parse, store with its
// dedupe keys, answer) to reach at least half the throughput of a handler
// that only verifies the RSA signature, on the same body in the same run:
//
//	go test -run XXX -bench 'Webhook' -benchtime 3s ./adapters/realtimekit/webhook/
//
// Both run in parallel, as deliveries arrive; each full delivery carries
// a fresh rtk-uuid and rtk-webhook-id, so none is a duplicate and every
// one is appended to the store (bbolt with fsync, or etcd with
// MEETBOT_TEST_STORE=etcd) before its 202. Compare their ns/op: the
// ratio verify-only / handler is the figure the issue asks for.
//
// Each also reports cpu-ns/op, the process's CPU time (user and system,
// every thread, GC included) per delivery. On a machine shared with
// other work the wall ns/op of both swings with the share of the cores
// this process gets, and not in step; the CPU time per delivery swings
// much less, so the cpu-ns/op ratio says what the code costs when the
// wall ratio is noise.

// BenchmarkWebhookVerifyOnly is the yardstick: read with the cap, verify
// with the cached key, answer 200.
func BenchmarkWebhookVerifyOnly(b *testing.B) {
	k := testKeys()[0]
	body := payload(b, "joined")
	sig, _ := webhook.Sign(k, body)
	pub := &k.PublicKey
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhook.MaxBody))
		if err != nil || !webhook.Verify(pub, raw, r.Header.Get("rtk-signature")) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	runDeliveries(b, h, body, sig, http.StatusOK)
}

// BenchmarkWebhookHandler is the real endpoint on a real store.
func BenchmarkWebhookHandler(b *testing.B) {
	env := testenv.New(b, testenv.Options{})
	ks := newKeyServer(b, testKeys()[0])
	rc, err := webhook.New(webhook.Options{Inbox: env.Store, Handler: &recorder{}, KeyURL: ks.url, Clock: env.Clock})
	if err != nil {
		b.Fatal(err)
	}
	body := payload(b, "joined")
	sig, _ := webhook.Sign(testKeys()[0], body)
	runDeliveries(b, rc, body, sig, http.StatusAccepted)
}

// deliveriesInFlight is concurrent deliveries per CPU: RealtimeKit sends a
// room's events as they happen, so a meeting of fifty that starts sends
// fifty participantJoined at once. The store commits concurrent writes as
// one (bbolt's Batch, etcd's raft batching), which is what makes the
// stored answer cheap; the verify-only handler is CPU-bound and does not
// care.
const deliveriesInFlight = 256

func runDeliveries(b *testing.B, h http.Handler, body []byte, sig string, want int) {
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(deliveriesInFlight)
	cpu0 := processCPU(b)
	b.ResetTimer()
	defer func() {
		b.StopTimer()
		b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
	}()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := strconv.FormatInt(n.Add(1), 10)
			req := httptest.NewRequest(http.MethodPost, webhook.Path, bytes.NewReader(body))
			req.Header.Set("rtk-signature", sig)
			req.Header.Set("rtk-uuid", "bench-"+i)
			req.Header.Set("rtk-webhook-id", "wh-"+i)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != want {
				b.Fatalf("status %d, want %d", w.Code, want)
			}
		}
	})
}

// processCPU is the CPU time this process has used, user and system, in
// nanoseconds.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
