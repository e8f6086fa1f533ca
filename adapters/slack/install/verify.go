package install

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureWindow is how far a request's timestamp may be from our clock,
// in either direction, before it is refused as a replay. It is Slack's
// documented 5 minutes, the same as adapters/slack uses.
const SignatureWindow = 5 * time.Minute

// The headers Slack signs requests with, and the one it sets on retries.
const (
	headerSignature = "X-Slack-Signature"
	headerTimestamp = "X-Slack-Request-Timestamp"
	headerRetryNum  = "X-Slack-Retry-Num"
)

// Reasons a request signature is refused. They are logged, and each one
// answers 401 with nothing else done. This is the same check as
// adapters/slack's Verify (which this package cannot import), with an
// injectable clock that slack-go's SecretsVerifier lacks.
var (
	errNoSecret       = errors.New("no signing secret configured")
	errMissingHeaders = errors.New("missing signature headers")
	errStale          = errors.New("request timestamp outside the allowed window")
	errBadSignature   = errors.New("request signature does not match")
)

// sign returns Slack's v0 signature of body at timestamp ts.
func sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// verify checks the signature headers of a request with raw body body at
// now: version v0, timestamp within SignatureWindow both ways, HMAC
// compared in constant time.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	if secret == "" {
		return errNoSecret
	}
	sig, ts := h.Get(headerSignature), h.Get(headerTimestamp)
	if sig == "" || ts == "" {
		return errMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		return errStale
	}
	// Seconds, so a huge timestamp cannot overflow a Duration.
	if d := now.Unix() - sec; d > int64(SignatureWindow/time.Second) || d < -int64(SignatureWindow/time.Second) {
		return errStale
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return errBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return errBadSignature
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return errBadSignature
	}
	return nil
}
