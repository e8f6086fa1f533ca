package webhook_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit/webhook"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// Two signing keys, made once per test binary (RSA generation is slow).
var testKeys = sync.OnceValue(func() [2]*rsa.PrivateKey {
	var ks [2]*rsa.PrivateKey
	for i := range ks {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ks[i] = k
	}
	return ks
})

// keyServer serves a .well-known/webhooks.json whose key can be swapped,
// and counts fetches.
type keyServer struct {
	url     string
	key     atomic.Pointer[rsa.PrivateKey]
	fetches atomic.Int32
	fail    atomic.Bool
}

func newKeyServer(t testing.TB, k *rsa.PrivateKey) *keyServer {
	ks := &keyServer{}
	ks.key.Store(k)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ks.fetches.Add(1)
		if ks.fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		pemText, err := webhook.PublicKeyPEM(&ks.key.Load().PublicKey)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"success": true, "data": map[string]string{"publicKey": pemText}, "message": ""})
	}))
	t.Cleanup(srv.Close)
	ks.url = srv.URL + "/.well-known/webhooks.json"
	return ks
}

// recorder is a RoomEventHandler that keeps what it gets and can be told
// to fail.
type recorder struct {
	mu     sync.Mutex
	events []core.RoomEvent
	fail   int // fail this many calls first
}

func (r *recorder) HandleRoomEvent(_ context.Context, ev core.RoomEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return core.Errorf(core.EUNAVAILABLE, "store down")
	}
	r.events = append(r.events, ev)
	return nil
}

func (r *recorder) got() []core.RoomEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]core.RoomEvent(nil), r.events...)
}

type rig struct {
	t    *testing.T
	env  *testenv.Env
	keys *keyServer
	rec  *recorder
	rc   *webhook.Receiver
	logs *testenv.SyncBuffer
}

func newRig(t *testing.T) *rig {
	t.Helper()
	env := testenv.New(t, testenv.Options{})
	r := &rig{t: t, env: env, keys: newKeyServer(t, testKeys()[0]), rec: &recorder{}, logs: &testenv.SyncBuffer{}}
	r.rc = r.receiver(env.Store)
	return r
}

func (r *rig) receiver(inbox core.RoomInbox) *webhook.Receiver {
	r.t.Helper()
	return r.receiverOn(inbox, r.rec)
}

func (r *rig) receiverWith(h core.RoomEventHandler) *webhook.Receiver {
	r.t.Helper()
	return r.receiverOn(r.env.Store, h)
}

func (r *rig) receiverOn(inbox core.RoomInbox, h core.RoomEventHandler) *webhook.Receiver {
	r.t.Helper()
	rc, err := webhook.New(webhook.Options{
		Inbox: inbox, Handler: h, KeyURL: r.keys.url, Clock: r.env.Clock,
		Logger: zerolog.New(r.logs).Level(zerolog.DebugLevel),
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return rc
}

// delivery is one POST as RealtimeKit makes it.
type delivery struct {
	body      []byte
	sig       string // "" leaves the header out
	uuid      string
	webhookID string
}

func signed(t testing.TB, k *rsa.PrivateKey, body []byte, uuid string) delivery {
	t.Helper()
	sig, err := webhook.Sign(k, body)
	if err != nil {
		t.Fatal(err)
	}
	return delivery{body: body, sig: sig, uuid: uuid, webhookID: "wh-1"}
}

func (r *rig) post(d delivery) int {
	r.t.Helper()
	req := httptest.NewRequest(http.MethodPost, webhook.Path, strings.NewReader(string(d.body)))
	if d.sig != "" {
		req.Header.Set("rtk-signature", d.sig)
	}
	if d.uuid != "" {
		req.Header.Set("rtk-uuid", d.uuid)
	}
	if d.webhookID != "" {
		req.Header.Set("rtk-webhook-id", d.webhookID)
	}
	w := httptest.NewRecorder()
	start := time.Now()
	r.rc.ServeHTTP(w, req)
	if el := time.Since(start); el > 2*time.Second {
		r.t.Errorf("delivery took %v", el)
	}
	return w.Code
}

// pending is how many deliveries the store holds unhandled.
func (r *rig) pending() int {
	r.t.Helper()
	es, err := r.env.Store.PendingInbox(r.t.Context(), 1000)
	if err != nil {
		r.t.Fatal(err)
	}
	return len(es)
}

func (r *rig) drain() int {
	r.t.Helper()
	n, err := r.rc.Drain(r.t.Context())
	if err != nil {
		r.t.Fatal(err)
	}
	return n
}

// want checks a status and how many deliveries are stored; a wantPending
// of -1 skips the store check (another goroutine is draining it).
func (r *rig) want(what string, status, wantStatus, pending, wantPending int) {
	r.t.Helper()
	if status != wantStatus || pending != wantPending {
		r.t.Fatalf("%s: status %d, %d stored; want %d, %d stored", what, status, pending, wantStatus, wantPending)
	}
}

func readAll(r *http.Request) ([]byte, error) {
	defer r.Body.Close()
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
}

func cloneRequest(r *http.Request, body []byte) *http.Request {
	c := r.Clone(r.Context())
	c.Body = io.NopCloser(bytes.NewReader(body))
	return c
}

// discard is a ResponseWriter that drops the answer.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}
