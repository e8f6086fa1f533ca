package core

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
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
	// macs pools keyed HMAC states: hmac.New hashes the key into its pads
	// each time, which was a good part of verifying a code, and Reset
	// returns a used state to just after the key.
	macs sync.Pool
}

// NewLinkSigner returns a signer using key (at least 32 bytes recommended).
func NewLinkSigner(key []byte) *LinkSigner {
	s := &LinkSigner{key: key}
	s.macs.New = func() any { return hmac.New(sha256.New, s.key) }
	return s
}

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
	return s.macInto(nil, payload)
}

// macInto appends the code's MAC of payload to dst.
func (s *LinkSigner) macInto(dst []byte, payload string) []byte {
	h := s.macs.Get().(hash.Hash)
	h.Reset()
	_, _ = io.WriteString(h, "meetbot-join-v1\x00")
	_, _ = io.WriteString(h, payload)
	dst = h.Sum(dst)
	s.macs.Put(h)
	return dst
}

// Verify checks the code's signature and expiry at now. A tampered or
// malformed code gives EFORBIDDEN; an expired one EINVALID, so the page can
// tell the person to ask for a fresh link.
func (s *LinkSigner) Verify(code string, now time.Time) (LinkClaims, error) {
	if len(code) == 0 || len(code) > maxCodeLen {
		return LinkClaims{}, badLink()
	}
	payload, sig, ok := strings.Cut(code, ".")
	if !ok {
		return LinkClaims{}, badLink()
	}
	var gotBuf, wantBuf [sha256.Size]byte
	got, err := decodeCodeInto(gotBuf[:0], sig)
	if err != nil || !hmac.Equal(got, s.macInto(wantBuf[:0], payload)) {
		return LinkClaims{}, badLink()
	}
	var bodyBuf [512]byte
	body, err := decodeCodeInto(bodyBuf[:0], payload)
	if err != nil {
		return LinkClaims{}, badLink()
	}
	c, ok := parseClaims(body)
	if !ok {
		// Not in the exact form Sign writes (an older build's, say):
		// encoding/json decides, as it always did.
		c = LinkClaims{}
		if err := json.Unmarshal(body, &c); err != nil {
			return LinkClaims{}, badLink()
		}
	}
	if c.Meeting == "" || c.User == "" {
		return LinkClaims{}, badLink()
	}
	if now.Unix() >= c.Expires {
		// The claims are authentic, so return them with the error: the
		// caller may prefer to say the meeting ended, which is more useful.
		return c, &Error{Code: EINVALID, Err: ErrLinkExpired,
			Message: fmt.Sprintf("This join link has expired (links last a few minutes). Ask the bot for a new one with /meet join %s.", c.Meeting)}
	}
	return c, nil
}

// badLink is the answer to a tampered or malformed code. It is built only
// when needed: the common case, a good code, never formats it.
func badLink() *Error {
	return Errorf(EFORBIDDEN, "This join link is not valid. Ask the bot for a new one with /meet join.")
}

// parseClaims reads claims in the one form Sign writes them,
// {"p":"…","w":"…","m":"…","o":N,"u":"…","e":N}, with strings that need no
// escaping, without encoding/json's reflection: verifying a link is on
// every open. ok is false for anything else, valid JSON included, which
// the caller then hands to encoding/json, so what is accepted and what it
// means never differ from json.Unmarshal.
func parseClaims(b []byte) (c LinkClaims, ok bool) {
	var p string
	if b, ok = claimString(b, `{"p":`, &p); !ok {
		return c, false
	}
	c.Platform = Platform(p)
	if b, ok = claimString(b, `,"w":`, &c.Workspace); !ok {
		return c, false
	}
	if b, ok = claimString(b, `,"m":`, &c.Meeting); !ok {
		return c, false
	}
	if b, ok = claimInt(b, `,"o":`, &c.Occurrence); !ok {
		return c, false
	}
	if b, ok = claimString(b, `,"u":`, &c.User); !ok {
		return c, false
	}
	if b, ok = claimInt(b, `,"e":`, &c.Expires); !ok {
		return c, false
	}
	return c, string(b) == "}"
}

// claimString reads prefix and then a JSON string free of escapes,
// control characters and invalid UTF-8 (json.Unmarshal would read such a
// string as exactly its bytes) into *dst.
func claimString(b []byte, prefix string, dst *string) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(prefix))
	if !ok || len(rest) == 0 || rest[0] != '"' {
		return b, false
	}
	rest = rest[1:]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return b, false
	}
	v := rest[:end]
	for _, ch := range v {
		if ch < 0x20 || ch == '\\' {
			return b, false
		}
	}
	if !utf8.Valid(v) {
		return b, false
	}
	*dst = string(v)
	return rest[end+1:], true
}

// claimInt reads prefix and then a JSON integer in its plain form (an
// optional minus and digits, no leading zero, no fraction or exponent).
func claimInt(b []byte, prefix string, dst *int64) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(prefix))
	if !ok {
		return b, false
	}
	i := 0
	if i < len(rest) && rest[i] == '-' {
		i++
	}
	start := i
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	digits := rest[start:i]
	if len(digits) == 0 || len(digits) > 18 || (len(digits) > 1 && digits[0] == '0') {
		return b, false
	}
	if i < len(rest) && (rest[i] == '.' || rest[i] == 'e' || rest[i] == 'E') {
		return b, false
	}
	n, err := strconv.ParseInt(string(rest[:i]), 10, 64)
	if err != nil {
		return b, false
	}
	*dst = n
	return rest[i:], true
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
	return decodeCodeInto(nil, s)
}

// strictURL is the one decoder of codes: unpadded base64url that refuses
// set trailing bits.
var strictURL = base64.RawURLEncoding.Strict()

// decodeCodeInto is decodeCode appending to dst, so a caller with a
// buffer of the right size (a MAC's) decodes without allocating. Strict
// decoding leaves exactly one way to spell a code but for the line breaks
// the decoder skips; refusing those is the same check as re-encoding and
// comparing, without building the second string.
func decodeCodeInto(dst []byte, s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errNotCanonical
	}
	n := strictURL.DecodedLen(len(s))
	if cap(dst)-len(dst) < n {
		dst = slices.Grow(dst, n)
	}
	m, err := strictURL.Decode(dst[len(dst):len(dst)+n], []byte(s))
	if err != nil {
		return nil, err
	}
	return dst[:len(dst)+m], nil
}

// ErrLinkExpired is the cause inside the error Verify returns for an
// authentic but expired link, so adapters can tell it from a forged one
// (errors.Is) without reading the message.
var ErrLinkExpired = errors.New("join link expired")
