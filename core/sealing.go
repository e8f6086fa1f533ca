package core

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// Sealer encrypts the secrets core keeps in the store and must read back
// (participant tokens), so a copy of the store alone gives no way into a
// meeting. internal/seal.Box implements it with AES-256-GCM under
// storage.encryption_key; cmd/bot injects it through Deps.Sealer. Core
// seals before every write and opens after every read, so each storage
// backend gets it without knowing. Each value is bound to its owner (ad),
// so a sealed token copied onto another participant's record does not open.
type Sealer interface {
	Seal(plaintext []byte, ad string) ([]byte, error)
	Open(sealed []byte, ad string) ([]byte, error)
}

// sealedPrefix marks a sealed token in the store. Tokens stored before
// sealing was turned on have no prefix and are read as they are.
const sealedPrefix = "sealed1:"

// participantAD is the additional data a participant's token is sealed
// under: its workspace, meeting and user.
func participantAD(p *Participant) string {
	return "participant\x00" + p.User.Workspace.String() + "\x00" + p.Meeting + "\x00" + p.User.UserID
}

// sealedCopy returns p as it is to be stored: with its token sealed when
// sealer is set, unchanged otherwise. p itself is not modified.
func sealedCopy(sealer Sealer, p *Participant) (*Participant, error) {
	if sealer == nil || p.Token == "" {
		return p, nil
	}
	b, err := sealer.Seal([]byte(p.Token), participantAD(p))
	if err != nil {
		return nil, fmt.Errorf("seal participant token: %w", err)
	}
	c := *p
	c.Token = sealedPrefix + base64.RawURLEncoding.EncodeToString(b)
	return &c, nil
}

// openToken turns a stored participant's token back into the one
// RealtimeKit issued. A plaintext token (stored before sealing was on) is
// kept as it is. A sealed token that does not open (the key changed or
// was removed) is dropped and the reason returned, so the caller can say
// so and refresh it from RealtimeKit instead of failing the join.
func openToken(sealer Sealer, p *Participant) error {
	if !strings.HasPrefix(p.Token, sealedPrefix) {
		return nil
	}
	var pt []byte
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(p.Token, sealedPrefix))
	if err == nil && sealer != nil {
		pt, err = sealer.Open(b, participantAD(p))
	} else if err == nil {
		err = fmt.Errorf("no storage.encryption_key is set")
	}
	if err != nil {
		p.Token = ""
		return err
	}
	p.Token = string(pt)
	return nil
}
