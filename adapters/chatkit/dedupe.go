package chatkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/meetbot/meetbot/core"
)

// NotRecorded is what a person sees when their request could not be
// recorded as delivered: it did nothing, and trying again is safe.
const NotRecorded = "meetbot cannot reach its store right now, so it did nothing. Please try again in a minute."

// Dedupe makes each delivery of a request run once across every replica,
// however often the platform retries it or someone replays it, with keys
// in a core.OnceStore.
type Dedupe struct {
	// Store records the keys; required (MemoryOnce for one process).
	Store core.OnceStore
	// TTL is how long a key is remembered; default DefaultDedupeTTL.
	TTL time.Duration
	// Now is the clock of the keys' lifetimes; default time.Now.
	Now func() time.Time
}

// First records key and reports whether this is its first delivery. When
// the store fails it returns false and an EUNAVAILABLE *core.Error whose
// message (NotRecorded) the adapter shows the person: the request was not
// run, since it may have run already on another replica, and not dropped
// without a word either, so the person tries again. This is the one
// failure policy of every chat adapter.
func (d Dedupe) First(ctx context.Context, key string) (bool, error) {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	first, err := d.Store.Once(ctx, key, now(), Or(d.TTL, DefaultDedupeTTL))
	if err != nil {
		return false, core.Wrap(core.EUNAVAILABLE, err, NotRecorded)
	}
	return first, nil
}

// SignedKey is the de-duplication key of a signed HTTP request when it
// carries no delivery id of its own: a hash of its timestamp and raw body,
// exactly the bytes the platform's signature covers. A replay of the same
// signed request gets the same key; any change to either part needs a new
// signature.
func SignedKey(ts string, body []byte) string {
	sum := sha256.New()
	sum.Write([]byte(ts))
	sum.Write([]byte{0})
	sum.Write(body)
	return hex.EncodeToString(sum.Sum(nil)[:16])
}
