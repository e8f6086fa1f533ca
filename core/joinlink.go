package core

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// LinkClaims is what a personal join link names: who may use it, for which
// occurrence, until when. The link carries no RealtimeKit token; the token is
// looked up when the link is opened, so a leaked link (shown only to its
// owner, valid minutes) exposes far less than a 100-day token would.
type LinkClaims struct {
	Platform   Platform `json:"p"`
	Workspace  string   `json:"w"`
	Meeting    string   `json:"m"`
	Occurrence int64    `json:"o"` // occurrence start, unix seconds
	User       string   `json:"u"`
	Expires    int64    `json:"e"` // unix seconds
}

// WorkspaceKey returns the workspace key the claims are scoped to.
func (c LinkClaims) WorkspaceKey() WorkspaceKey {
	return WorkspaceKey{Platform: c.Platform, ID: c.Workspace}
}

// LinkSigner signs and verifies join-link codes with HMAC-SHA256. The key
// lives in the store, so every replica accepts every replica's links.
type LinkSigner struct {
	key []byte
}

// NewLinkSigner returns a signer using key (at least 32 bytes recommended).
func NewLinkSigner(key []byte) *LinkSigner { return &LinkSigner{key: key} }

// maxCodeLen bounds what Verify will even look at, so an oversized path
// cannot cost more than a cheap length check.
const maxCodeLen = 1024

// Sign returns an opaque URL-safe code for c.
func (s *LinkSigner) Sign(c LinkClaims) string {
	body, _ := json.Marshal(c) // plain struct of strings and ints: cannot fail
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

func (s *LinkSigner) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("meetbot-join-v1\x00"))
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// Verify checks the code's signature and expiry at now. A tampered or
// malformed code gives EFORBIDDEN; an expired one EINVALID, so the page can
// tell the person to ask for a fresh link.
func (s *LinkSigner) Verify(code string, now time.Time) (LinkClaims, error) {
	bad := Errorf(EFORBIDDEN, "This join link is not valid. Ask the bot for a new one with /meet join.")
	if len(code) == 0 || len(code) > maxCodeLen {
		return LinkClaims{}, bad
	}
	payload, sig, ok := strings.Cut(code, ".")
	if !ok {
		return LinkClaims{}, bad
	}
	got, err := decodeCode(sig)
	if err != nil || !hmac.Equal(got, s.mac(payload)) {
		return LinkClaims{}, bad
	}
	body, err := decodeCode(payload)
	if err != nil {
		return LinkClaims{}, bad
	}
	var c LinkClaims
	if err := json.Unmarshal(body, &c); err != nil || c.Meeting == "" || c.User == "" {
		return LinkClaims{}, bad
	}
	if now.Unix() >= c.Expires {
		// The claims are authentic, so return them with the error: the
		// caller may prefer to say the meeting ended, which is more useful.
		return c, &Error{Code: EINVALID, Err: ErrLinkExpired,
			Message: fmt.Sprintf("This join link has expired (links last a few minutes). Ask the bot for a new one with /meet join %s.", c.Meeting)}
	}
	return c, nil
}

// errNotCanonical refuses a code spelled in any way but the one Sign and
// publicCode write.
var errNotCanonical = errors.New("code is not in its one canonical spelling")

// decodeCode decodes unpadded base64url and accepts only the one spelling
// the encoder writes, so each code (join link, public meeting code) has
// exactly one form: Strict refuses set trailing bits, and the re-encoding
// check refuses what Strict still lets through (line breaks, which the
// decoder skips).
func decodeCode(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, err
	}
	if base64.RawURLEncoding.EncodeToString(b) != s {
		return nil, errNotCanonical
	}
	return b, nil
}

// ErrLinkExpired is the cause inside the error Verify returns for an
// authentic but expired link, so adapters can tell it from a forged one
// (errors.Is) without reading the message.
var ErrLinkExpired = errors.New("join link expired")
