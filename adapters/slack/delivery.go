package slack

import (
	"crypto/sha256"
	"encoding/hex"
)

// delivery is what identifies one delivery of a request besides its
// trigger_id: Slack's retry number ("" on a first delivery) and, over
// HTTP, a key over the signed bytes, so a request that carries no
// trigger_id still runs once however often it is replayed.
type delivery struct {
	retry  string
	signed string
}

// signedKey is the de-duplication key of a signed HTTP request: a hash of
// its timestamp and raw body, exactly the bytes the signature covers. A
// replay of the same signed request gets the same key; any change to
// either part needs a new signature.
func signedKey(ts string, body []byte) string {
	sum := sha256.New()
	sum.Write([]byte(ts))
	sum.Write([]byte{0})
	sum.Write(body)
	return hex.EncodeToString(sum.Sum(nil)[:16])
}
