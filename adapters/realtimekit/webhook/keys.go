package webhook

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/meetbot/meetbot/core"
)

// DefaultKeyURL is where RealtimeKit publishes the public key its webhooks
// are signed with.
const DefaultKeyURL = "https://api.realtime.cloudflare.com/.well-known/webhooks.json"

// Limits of the key fetch: the document is one PEM key, and a fetch must
// not hold a delivery long (RealtimeKit retries a 5xx anyway).
const (
	maxKeyDoc       = 64 << 10
	keyFetchTimeout = 5 * time.Second
)

// keySet caches the webhook signing key. It fetches it on first use and
// again only when a signature fails to verify, at most once per minGap,
// so a flood of forged deliveries cannot make meetbot hammer the key URL
// while a real rotation is picked up within a minute.
type keySet struct {
	url    string
	client *http.Client
	clock  core.Clock
	minGap time.Duration

	fetchMu sync.Mutex // one fetch at a time

	mu        sync.Mutex
	key       *rsa.PublicKey
	fetchedAt time.Time // last fetch attempt, successful or not
	tried     bool
}

// current returns the cached key, fetching it when none is cached yet
// (subject to minGap after a failed fetch).
func (k *keySet) current(ctx context.Context) (*rsa.PublicKey, error) {
	k.mu.Lock()
	key := k.key
	k.mu.Unlock()
	if key != nil {
		return key, nil
	}
	key, _, err := k.refresh(ctx, nil)
	return key, err
}

// refresh fetches the key again unless the cached key already differs
// from stale (another delivery refreshed it meanwhile) or the last fetch
// was less than minGap ago. It returns the key to try and whether it is a
// different key from stale.
func (k *keySet) refresh(ctx context.Context, stale *rsa.PublicKey) (*rsa.PublicKey, bool, error) {
	k.fetchMu.Lock()
	defer k.fetchMu.Unlock()
	k.mu.Lock()
	key, last, tried := k.key, k.fetchedAt, k.tried
	k.mu.Unlock()
	if key != nil && key != stale {
		return key, true, nil
	}
	now := k.clock.Now()
	if tried && now.Sub(last) < k.minGap {
		if key == nil {
			return nil, false, core.Errorf(core.EUNAVAILABLE, "The webhook signing key could not be fetched; try again in a minute.")
		}
		return key, false, nil
	}
	fresh, err := k.fetch(ctx)
	k.mu.Lock()
	k.fetchedAt, k.tried = now, true
	if err == nil {
		k.key = fresh
	}
	key = k.key
	k.mu.Unlock()
	if err != nil {
		if key == nil {
			return nil, false, err
		}
		return key, false, nil // keep the old key; the signature fails on it
	}
	return fresh, stale == nil || !fresh.Equal(stale), nil
}

// wellKnown is the key document: {"success":true,"data":{"publicKey":PEM}}.
type wellKnown struct {
	Data struct {
		PublicKey string `json:"publicKey"`
	} `json:"data"`
}

func (k *keySet) fetch(ctx context.Context) (*rsa.PublicKey, error) {
	ctx, cancel := context.WithTimeout(ctx, keyFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return nil, core.Wrap(core.EINTERNAL, err, "The webhook key URL is invalid.")
	}
	res, err := k.client.Do(req)
	if err != nil {
		return nil, core.Wrap(core.EUNAVAILABLE, err, "The webhook signing key could not be fetched.")
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, core.Wrap(core.EUNAVAILABLE, fmt.Errorf("webhook key URL answered %d", res.StatusCode),
			"The webhook signing key could not be fetched.")
	}
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxKeyDoc))
	if err != nil {
		return nil, core.Wrap(core.EUNAVAILABLE, err, "The webhook signing key could not be fetched.")
	}
	var doc wellKnown
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, core.Wrap(core.EUNAVAILABLE, err, "The webhook signing key document is not JSON.")
	}
	key, err := ParsePublicKey(doc.Data.PublicKey)
	if err != nil {
		return nil, core.Wrap(core.EUNAVAILABLE, err, "The webhook signing key document holds no RSA key.")
	}
	return key, nil
}

// ParsePublicKey reads an RSA public key from PEM: SPKI ("PUBLIC KEY", what
// RealtimeKit publishes) or PKCS#1 ("RSA PUBLIC KEY").
func ParsePublicKey(pemText string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("webhook: no PEM block in the key document")
	}
	if block.Type == "RSA PUBLIC KEY" {
		return x509.ParsePKCS1PublicKey(block.Bytes)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("webhook: parse public key: %w", err)
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("webhook: the key is %T, not RSA", pub)
	}
	return rk, nil
}

// Verify reports whether sig (the rtk-signature header, base64) is key's
// RSA-SHA256 PKCS#1 v1.5 signature of body, the raw bytes as received.
func Verify(key *rsa.PublicKey, body []byte, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || key == nil || len(raw) == 0 {
		return false
	}
	d := sha256.Sum256(body)
	return rsa.VerifyPKCS1v15(key, crypto.SHA256, d[:], raw) == nil
}

// Sign is Verify's counterpart for the sandbox and tests: the base64
// rtk-signature of body under key.
func Sign(key *rsa.PrivateKey, body []byte) (string, error) {
	d := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
	if err != nil {
		return "", fmt.Errorf("webhook: sign: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// PublicKeyPEM renders key as the SPKI PEM RealtimeKit's key document
// carries.
func PublicKeyPEM(key *rsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return "", fmt.Errorf("webhook: encode public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}
