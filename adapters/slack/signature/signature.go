// Package signature checks Slack's request signatures: v0 HMAC-SHA256 of
// "v0:<timestamp>:<raw body>" under the app's signing secret, compared in
// constant time, with the timestamp within 5 minutes of our clock either
// way. It is its own package so every Slack endpoint (commands, buttons,
// events, the install flow) uses one check, and the clock is a parameter so
// tests can sign with a fixed time, which slack-go's SecretsVerifier cannot.
package signature

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
// in either direction, before the request is refused as a replay.
const SignatureWindow = 5 * time.Minute

// The header names Slack signs requests with.
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	// HeaderRetryNum is set when Slack delivers a request again.
	HeaderRetryNum = "X-Slack-Retry-Num"
)

// Errors returned by Verify. Each one means the request is refused with 401
// and nothing else happens.
var (
	// ErrNoSecret means the adapter has no signing secret: it refuses
	// everything rather than accept unsigned requests.
	ErrNoSecret = errors.New("slack signature: no signing secret configured")
	// ErrMissingHeaders means the signature or timestamp header is absent.
	ErrMissingHeaders = errors.New("slack signature: missing signature headers")
	// ErrStaleTimestamp means the timestamp is not a number or is outside
	// SignatureWindow.
	ErrStaleTimestamp = errors.New("slack signature: request timestamp outside the allowed window")
	// ErrBadSignature means the signature is malformed or does not match.
	ErrBadSignature = errors.New("slack signature: request signature does not match")
)

// Sign returns the v0 signature Slack sends for body at timestamp ts:
// "v0=" + hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)). The secret is
// used as its UTF-8 bytes, not decoded.
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks the signature headers of a request whose raw body is body,
// against secret, with now as the clock. It refuses timestamps more than
// SignatureWindow away from now in either direction and compares the
// signature in constant time.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	if secret == "" {
		return ErrNoSecret
	}
	sig, ts := h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if sig == "" || ts == "" {
		return ErrMissingHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		return ErrStaleTimestamp
	}
	// Compare in seconds so that a huge timestamp cannot overflow a Duration.
	if d := now.Unix() - sec; d > int64(SignatureWindow/time.Second) || d < -int64(SignatureWindow/time.Second) {
		return ErrStaleTimestamp
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return ErrBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return ErrBadSignature
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":"))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrBadSignature
	}
	return nil
}
