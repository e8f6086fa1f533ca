package slack

import (
	"net/http"
	"time"

	"github.com/meetbot/meetbot/adapters/slack/signature"
)

// SignatureWindow is how far a request's timestamp may be from our clock,
// in either direction, before the request is refused as a replay.
const SignatureWindow = signature.SignatureWindow

// The header names Slack signs requests with.
const (
	HeaderSignature = signature.HeaderSignature
	HeaderTimestamp = signature.HeaderTimestamp
	// HeaderRetryNum is set when Slack delivers a request again.
	HeaderRetryNum = signature.HeaderRetryNum
)

// Errors returned by Verify; see package signature. Each one means the
// request is refused with 401 and nothing else happens.
var (
	ErrNoSecret       = signature.ErrNoSecret
	ErrMissingHeaders = signature.ErrMissingHeaders
	ErrStaleTimestamp = signature.ErrStaleTimestamp
	ErrBadSignature   = signature.ErrBadSignature
)

// Sign returns the v0 signature Slack sends for body at timestamp ts (see
// signature.Sign); tests and tools use it to build signed requests.
func Sign(secret, ts string, body []byte) string { return signature.Sign(secret, ts, body) }

// Verify checks a request's signature headers against its raw body at now
// (see signature.Verify).
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	return signature.Verify(secret, h, body, now)
}
