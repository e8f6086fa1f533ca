// Package webhook receives RealtimeKit's webhooks: POST /realtimekit/webhooks.
//
// A delivery is read with a 1 MiB cap, its rtk-signature verified over the
// raw bytes (RSA-SHA256, PKCS#1 v1.5) against the key RealtimeKit publishes
// at .well-known/webhooks.json, and stored in the store's RoomInbox before
// the 2xx goes out, so a crash right after the answer loses nothing. The
// inbox's dedupe keys (rtk-uuid, and rtk-webhook-id with the body's
// SHA-256, since a retry may carry a new uuid) make a redelivery a no-op.
// Stored deliveries are parsed into core.RoomEvent values and handed to the
// core.RoomEventHandler by Run, after the answer and again after a restart.
//
// Nothing here knows meetbot's meetings: an event for a room meetbot did
// not make is passed on like any other, and the handler decides.
package webhook

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/core"
)

// Path is where the endpoint is mounted.
const Path = "/realtimekit/webhooks"

// Defaults for Options.
const (
	// MaxBody is the largest delivery read; a summary event is the largest
	// RealtimeKit sends and is far smaller.
	MaxBody = 1 << 20
	// DefaultDedupeTTL is how long a delivery's keys are remembered.
	DefaultDedupeTTL = 48 * time.Hour
	// DefaultKeyRefetch is the least time between two fetches of the key.
	DefaultKeyRefetch = time.Minute
	// DefaultRetryEvery is how often Run looks at entries whose hand-over
	// failed (and at entries left by a crashed replica).
	DefaultRetryEvery = 30 * time.Second
	// DefaultMaxAttempts is how many failed hand-overs an entry gets
	// before it is dropped (logged): about half an hour at RetryEvery.
	DefaultMaxAttempts = 60
	// handleTimeout bounds one hand-over to the RoomEventHandler.
	handleTimeout = 30 * time.Second
	// batch is how many pending entries one pass reads.
	batch = 100
	// storeTimeout bounds the inbox write the 2xx waits for.
	storeTimeout = 5 * time.Second
	// pruneEvery is how often Run forgets expired dedupe keys.
	pruneEvery = time.Hour
)

// Options configure a Receiver.
type Options struct {
	// Inbox keeps accepted deliveries until they are handled (the store).
	Inbox core.RoomInbox
	// Handler receives the events (the core Service).
	Handler core.RoomEventHandler
	// KeyURL is the key document's URL; empty means DefaultKeyURL. The
	// sandbox and tests serve their own.
	KeyURL string
	// HTTPClient fetches the key; nil means a plain client (every fetch has
	// its own deadline).
	HTTPClient *http.Client
	// Clock spaces key fetches and stamps deliveries; nil means the system
	// clock.
	Clock core.Clock
	// Logger receives one line per delivery (event, status, never a URL
	// from the body) and the hand-over failures.
	Logger zerolog.Logger
	// DedupeTTL, KeyRefetch, RetryEvery and MaxAttempts override the
	// defaults above when positive.
	DedupeTTL   time.Duration
	KeyRefetch  time.Duration
	RetryEvery  time.Duration
	MaxAttempts int
}

// Receiver is the webhook endpoint (an http.Handler) and the loop that
// hands stored deliveries to the RoomEventHandler (Run).
type Receiver struct {
	opts   Options
	log    zerolog.Logger
	clock  core.Clock
	keys   *keySet
	commit *committer
	wake   chan struct{}

	// stampMu guards lastStamp, the last receive time given (see stamp).
	stampMu   sync.Mutex
	lastStamp time.Time

	// drainMu makes Drain passes one at a time; backoff holds, per entry
	// whose hand-over failed, when it may be tried again.
	drainMu sync.Mutex
	backoff map[string]time.Time
}

var _ http.Handler = (*Receiver)(nil)

// New checks opts and returns a Receiver. It makes no network call: the
// key is fetched on the first delivery.
func New(opts Options) (*Receiver, error) {
	if opts.Inbox == nil || opts.Handler == nil {
		return nil, errors.New("webhook: Options.Inbox and Options.Handler are required")
	}
	if opts.KeyURL == "" {
		opts.KeyURL = DefaultKeyURL
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{}
	}
	if opts.Clock == nil {
		opts.Clock = core.SystemClock
	}
	if opts.DedupeTTL <= 0 {
		opts.DedupeTTL = DefaultDedupeTTL
	}
	if opts.KeyRefetch <= 0 {
		opts.KeyRefetch = DefaultKeyRefetch
	}
	if opts.RetryEvery <= 0 {
		opts.RetryEvery = DefaultRetryEvery
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	return &Receiver{
		opts:  opts,
		log:   opts.Logger.With().Str("component", "realtimekit-webhook").Logger(),
		clock: opts.Clock,
		keys:  &keySet{url: opts.KeyURL, client: opts.HTTPClient, clock: opts.Clock, minGap: opts.KeyRefetch},
		wake:  make(chan struct{}, 1),

		commit: newCommitter(opts.Inbox),

		backoff: map[string]time.Time{},
	}, nil
}

// Header names RealtimeKit sends (rtk-signature, rtk-uuid and
// rtk-webhook-id), spelled in net/http's canonical form so that
// Header.Get finds them without building the canonical key on every
// delivery.
const (
	headerSignature = "Rtk-Signature"
	headerUUID      = "Rtk-Uuid"
	headerWebhookID = "Rtk-Webhook-Id"
)

// ServeHTTP takes one delivery: 413 over MaxBody, 401 for a missing or bad
// signature, 400 for a signed body that is no webhook, 503 when the key or
// the store cannot be reached (RealtimeKit retries a 5xx), 202 once
// stored, 200 for a replay of a delivery already handled or an event
// meetbot ignores. Nothing is stored unless the answer is 202.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			rc.answer(w, http.StatusRequestEntityTooLarge, "body too large", "")
			return
		}
		rc.answer(w, http.StatusBadRequest, "could not read body", "")
		return
	}
	sig := strings.TrimSpace(r.Header.Get(headerSignature))
	if sig == "" {
		rc.answer(w, http.StatusUnauthorized, "missing signature", "")
		return
	}
	ok, err := rc.verify(r.Context(), body, sig)
	if err != nil {
		rc.log.Warn().Err(err).Msg("webhook signing key unavailable; answering 503 so RealtimeKit retries")
		rc.answer(w, http.StatusServiceUnavailable, "signing key unavailable", "")
		return
	}
	if !ok {
		rc.answer(w, http.StatusUnauthorized, "bad signature", "")
		return
	}
	uuid := r.Header.Get(headerUUID)
	hash := bodyHash(r.Header.Get(headerWebhookID), body)
	id := deliveryID(uuid, hash)
	ev, use, err := Parse(body, id)
	if err != nil {
		rc.answer(w, http.StatusBadRequest, "not a webhook", "")
		return
	}
	if !use {
		rc.answer(w, http.StatusOK, "ignored", "")
		return
	}
	keys := dedupeKeys(uuid, hash)
	if rc.commit.fresh == nil { // the store cannot check the keys as it writes
		known, err := rc.known(r.Context(), keys)
		if err != nil {
			rc.log.Error().Err(err).Str("event", string(ev.Kind)).Msg("webhook not stored; answering 503 so RealtimeKit retries")
			rc.answer(w, http.StatusServiceUnavailable, "not stored", "")
			return
		}
		if known {
			rc.answer(w, http.StatusOK, "duplicate", string(ev.Kind))
			return
		}
	}
	// Each arrival is its own entry (a replay racing the first copy is
	// stored too); ClaimInbox lets only one of them through to the handler.
	now := rc.stamp()
	e := &core.InboxEntry{ID: entryID(id, now), Received: now, Body: body, Keys: keys}
	stored, err := rc.commit.accept(e) // storeTimeout bounds it on etcd (see accept)
	if err != nil {
		rc.log.Error().Err(err).Str("event", string(ev.Kind)).Msg("webhook not stored; answering 503 so RealtimeKit retries")
		rc.answer(w, http.StatusServiceUnavailable, "not stored", "")
		return
	}
	if !stored {
		rc.answer(w, http.StatusOK, "duplicate", string(ev.Kind))
		return
	}
	rc.answer(w, http.StatusAccepted, "accepted", string(ev.Kind))
	rc.Wake()
}

func (rc *Receiver) answer(w http.ResponseWriter, status int, what, kind string) {
	ev := rc.log.Debug()
	if status >= 400 {
		ev = rc.log.Info()
	}
	ev.Int("status", status).Str("outcome", what).Str("event", kind).Msg("realtimekit webhook")
	if status < 400 {
		w.WriteHeader(status) // RealtimeKit reads the status only
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, what+"\n")
}

// known asks the inbox whether a key of a delivery was claimed, for
// stores that do not check it in the write (see freshInbox).
func (rc *Receiver) known(ctx context.Context, keys []string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	return rc.opts.Inbox.KnownInbox(ctx, keys, rc.clock.Now())
}

// stamp is the receive time: the clock's, but always after the previous
// stamp, so the inbox (ordered by receive time) keeps the arrival order
// even when the clock does not move between two deliveries.
func (rc *Receiver) stamp() time.Time {
	now := rc.clock.Now()
	rc.stampMu.Lock()
	defer rc.stampMu.Unlock()
	if !now.After(rc.lastStamp) {
		now = rc.lastStamp.Add(time.Nanosecond)
	}
	rc.lastStamp = now
	return now
}

// verify checks sig with the cached key and, when that fails, once more
// with a freshly fetched key (a rotation), subject to the refetch gap.
func (rc *Receiver) verify(ctx context.Context, body []byte, sig string) (bool, error) {
	key, err := rc.keys.current(ctx)
	if err != nil {
		return false, err
	}
	if Verify(key, body, sig) {
		return true, nil
	}
	var fresh *rsa.PublicKey
	fresh, changed, err := rc.keys.refresh(ctx, key)
	if err != nil || !changed {
		return false, nil
	}
	return Verify(fresh, body, sig), nil
}

// deliveryID names a delivery: its rtk-uuid when that is a sane id, else
// hash, the hash of webhook id and body (bodyHash).
func deliveryID(uuid, hash string) string {
	if u := strings.TrimSpace(uuid); u != "" && len(u) <= 128 && saneID(u) {
		return "rtk:" + u
	}
	return "sha:" + hash[:32]
}

// dedupeKeys are a delivery's dedupe keys: its rtk-uuid when sane, and
// its webhook id with the body's hash, since a retry may carry a new
// rtk-uuid (one integration reports so) but not a new body. hash is
// bodyHash of the delivery, computed once for both.
func dedupeKeys(uuid, hash string) []string {
	keys := make([]string, 1, 2)
	keys[0] = "body:" + hash
	if u := strings.TrimSpace(uuid); u != "" && len(u) <= 128 && saneID(u) {
		keys = append(keys, "uuid:"+u)
	}
	return keys
}

// deliveryOf is the delivery id of an inbox entry (its id without the
// arrival stamp), the RoomEvent's DeliveryID.
func deliveryOf(entryID string) string {
	if i := strings.LastIndexByte(entryID, '@'); i >= 0 {
		return entryID[:i]
	}
	return entryID
}

// entryID is the inbox entry id of a delivery received at now: its
// delivery id and the arrival stamp, built in one allocation (this runs
// on every delivery).
func entryID(id string, now time.Time) string {
	var buf [160]byte // "rtk:" + 128 + "@" + 13 fit
	b := append(buf[:0], id...)
	b = append(b, '@')
	return string(strconv.AppendInt(b, now.UnixNano(), 36))
}

func bodyHash(webhookID string, body []byte) string {
	h := sha256.New()
	_, _ = io.WriteString(h, webhookID)
	h.Write([]byte{0})
	h.Write(body)
	var sum [sha256.Size]byte
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], h.Sum(sum[:0]))
	return string(out[:])
}

func saneID(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
