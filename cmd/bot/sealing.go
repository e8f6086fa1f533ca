package main

import (
	"fmt"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/seal"
)

// tokenSealer returns the Sealer core seals participant tokens with when
// storage.encryption_key is set (the same key that seals Slack bot
// tokens), and nil, meaning plaintext, when it is not.
func tokenSealer(cfg Config) (core.Sealer, error) {
	if cfg.Storage.EncryptionKey == "" {
		return nil, nil
	}
	key, err := seal.ParseKey(cfg.Storage.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("storage.encryption_key: %w", err)
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, fmt.Errorf("storage.encryption_key: %w", err)
	}
	return box, nil
}
