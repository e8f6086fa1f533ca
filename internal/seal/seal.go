// Package seal encrypts the few secrets meetbot must store in a form it can
// read back (chat bot tokens), with AES-256-GCM under the operator's
// storage.encryption_key. A copy of the bbolt file alone then gives away no
// token. Each sealed value is bound to what it belongs to (its additional
// data, such as "slack:T123"), so a sealed token moved under another
// workspace's key does not open.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the key length: AES-256.
const KeySize = 32

// version prefixes every sealed value so the format can change later.
const version = 1

// ErrOpen is returned for a value that was not sealed under this key and
// additional data, or that was altered.
var ErrOpen = errors.New("seal: value does not open under this key (wrong key, wrong owner or altered)")

// Box seals and opens values under one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: the key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Box{aead: aead}, nil
}

// ParseKey reads a key as configured: 64 hex digits or standard/URL base64
// of 32 bytes (with or without padding), so `openssl rand -hex 32` and
// `openssl rand -base64 32` both work.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("seal: the key must be 32 random bytes written as 64 hex digits or base64 (openssl rand -hex 32)")
}

// Seal encrypts plaintext bound to ad, with a fresh random nonce.
func (b *Box) Seal(plaintext []byte, ad string) ([]byte, error) {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return b.aead.Seal(out, out[1:], plaintext, []byte(ad)), nil
}

// Open decrypts a value from Seal with the same ad. It returns ErrOpen for
// anything it cannot authenticate.
func (b *Box) Open(sealed []byte, ad string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrOpen
	}
	pt, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(ad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
