package install

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// The OAuth state is nonce ‖ expiry ‖ HMAC-SHA256(key, label ‖ nonce ‖
// expiry), base64url without padding. The nonce is also set in a cookie so
// the state only works in the browser that started the install, and it is
// recorded once in the store so the state works only once.
const (
	nonceSize  = 16
	stateLabel = "meetbot slack oauth state v1\x00"
	stateLen   = nonceSize + 8 + sha256.Size
)

// errState is any state that must be refused: its reason is logged, never
// shown (the page says the same for all of them).
var (
	errStateForged  = errors.New("oauth state is malformed or not signed by us")
	errStateExpired = errors.New("oauth state expired")
)

// newState returns a fresh state valid until exp and its nonce in the form
// the cookie carries.
func newState(key []byte, exp time.Time) (state, nonce string, err error) {
	b := make([]byte, nonceSize+8, stateLen)
	if _, err := rand.Read(b[:nonceSize]); err != nil {
		return "", "", err
	}
	binary.BigEndian.PutUint64(b[nonceSize:], uint64(exp.Unix()))
	b = append(b, stateMAC(key, b)...)
	return base64.RawURLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b[:nonceSize]), nil
}

// stateMAC signs nonce ‖ expiry.
func stateMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(stateLabel))
	m.Write(msg)
	return m.Sum(nil)
}

// checkState verifies state's signature and expiry at now and returns its
// nonce (cookie form).
func checkState(key []byte, state string, now time.Time) (string, error) {
	if len(state) > 2*stateLen || strings.ContainsAny(state, "=+/") {
		return "", errStateForged
	}
	// Strict and the re-encoding check give each state one spelling: no
	// set trailing bits, no line breaks (which the decoder would skip).
	b, err := base64.RawURLEncoding.Strict().DecodeString(state)
	if err != nil || len(b) != stateLen || base64.RawURLEncoding.EncodeToString(b) != state {
		return "", errStateForged
	}
	if !hmac.Equal(b[nonceSize+8:], stateMAC(key, b[:nonceSize+8])) {
		return "", errStateForged
	}
	exp := int64(binary.BigEndian.Uint64(b[nonceSize:]))
	if now.Unix() >= exp {
		return "", errStateExpired
	}
	return base64.RawURLEncoding.EncodeToString(b[:nonceSize]), nil
}

// sameNonce compares the state's nonce with the cookie's in constant time.
func sameNonce(a, b string) bool {
	return len(a) > 0 && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
