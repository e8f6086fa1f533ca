package core

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"
)

// participants keeps each person's RealtimeKit participant per meeting:
// created once and reused across occurrences and devices, its token
// refreshed only near its 100-day end, sealed at rest (sealing.go), and
// deleted upstream when the person is removed, which revokes every token
// they hold.
type participants struct {
	store             participantStore
	conf              Conference
	hostPreset        string
	participantPreset string
	tokenMaxAge       time.Duration // a stored token older than this is refreshed
	idKey             []byte        // the HMAC key of custom participant ids
	sealer            Sealer        // nil: tokens are stored as issued
	clock             Clock
	log               zerolog.Logger
	flight            singleflight.Group // one upstream call per (meeting, user) at a time
}

// participantStore is what participants read and write: the participant
// records, and a person's remembered name for one made without it.
type participantStore interface {
	ParticipantStore
	FindUser(ctx context.Context, key UserKey) (*User, error)
}

// customParticipantID derives the opaque, stable id RealtimeKit knows a user
// by: an HMAC of the user key, so it is neither an email nor a name and
// cannot be reversed, yet is the same on every replica and after restarts.
func (s *participants) customParticipantID(u UserKey) string {
	h := hmac.New(sha256.New, s.idKey)
	h.Write([]byte(u.String()))
	return "mb-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil)[:20]))
}

// ensureParticipant returns the user's participant for m, creating it once.
// Concurrent calls for the same (meeting, user), from two clicks or two
// devices, share one upstream call; later calls reuse the stored record and
// make none, until the token nears its 100-day end.
func (s *participants) ensureParticipant(ctx context.Context, m *Meeting, user UserKey, name string) (*Participant, error) {
	// The common case, a stored participant whose token still holds, is a
	// read: it needs no coalescing, which is for upstream calls.
	// (A token that does not open is left to the slow path, which logs it.)
	if p, err := s.store.FindParticipant(ctx, m.Workspace, m.ID, user.UserID); err == nil &&
		openToken(s.sealer, p) == nil && s.usable(m, user, p, s.clock.Now()) {
		return p, nil
	}
	key := user.String() + "\x00" + m.ID
	v, err, _ := s.flight.Do(key, func() (any, error) {
		return s.ensureParticipantOnce(context.WithoutCancel(ctx), m, user, name)
	})
	if err != nil {
		return nil, err
	}
	return v.(*Participant), nil
}

// usable reports whether stored participant p of user can be handed out
// as it is at now: the preset their role calls for and a token young
// enough.
func (s *participants) usable(m *Meeting, user UserKey, p *Participant, now time.Time) bool {
	preset := s.participantPreset
	if m.IsHost(user.UserID) {
		preset = s.hostPreset
	}
	return p.Preset == preset && now.Sub(p.IssuedAt) < s.tokenMaxAge && p.Token != ""
}

// ensureParticipantOnce is one attempt of ensureParticipant: reuse the
// stored participant while its preset and token hold, else refresh its
// token, else (none stored, or gone upstream) add it anew.
func (s *participants) ensureParticipantOnce(ctx context.Context, m *Meeting, user UserKey, name string) (*Participant, error) {
	now := s.clock.Now()
	preset := s.participantPreset
	if m.IsHost(user.UserID) {
		preset = s.hostPreset
	}
	p, err := s.store.FindParticipant(ctx, m.Workspace, m.ID, user.UserID)
	if err == nil {
		s.openStored(p)
	}
	switch {
	case err == nil && s.usable(m, user, p, now):
		return p, nil
	case err != nil && ErrorCode(err) != ENOTFOUND:
		return nil, fmt.Errorf("find participant: %w", err)
	}
	// One budget for both upstream calls: a person is waiting.
	cctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
	defer cancel()
	if err == nil && p.Preset == preset {
		refreshed, gone, err := s.refresh(ctx, cctx, m, p, now)
		if !gone {
			return refreshed, err
		}
		// Gone upstream: fall through and add it again.
	}
	return s.add(ctx, cctx, m, user, name, preset, now)
}

// refresh gets a new token for stored participant p. gone reports that the
// video service no longer knows p, so the caller adds it again.
func (s *participants) refresh(ctx, cctx context.Context, m *Meeting, p *Participant, now time.Time) (_ *Participant, gone bool, _ error) {
	tok, err := s.conf.RefreshToken(cctx, m.RoomID, p.RemoteID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, true, nil
		}
		return nil, false, userFacingUpstream(err)
	}
	p.Token, p.IssuedAt, p.UpdatedAt = tok, now, now
	if err := s.putParticipant(ctx, p); err != nil {
		return nil, false, fmt.Errorf("store refreshed participant: %w", err)
	}
	return p, false, nil
}

// add creates user's participant in m's room with preset and stores it.
// Without a name it sends the one remembered, or the user id, since a
// token made without a name fails to join.
func (s *participants) add(ctx, cctx context.Context, m *Meeting, user UserKey, name, preset string, now time.Time) (*Participant, error) {
	if name == "" {
		if u, err := s.store.FindUser(ctx, user); err == nil && u.DisplayName != "" {
			name = u.DisplayName
		} else {
			name = user.UserID
		}
	}
	rp, err := s.conf.AddParticipant(cctx, m.RoomID, AddParticipantRequest{
		CustomID: s.customParticipantID(user),
		Name:     name,
		Preset:   preset,
	})
	if err != nil {
		return nil, userFacingUpstream(err)
	}
	np := &Participant{
		Meeting:   m.ID,
		User:      user,
		RemoteID:  rp.ID,
		CustomID:  s.customParticipantID(user),
		Preset:    preset,
		Name:      name,
		Token:     rp.Token,
		IssuedAt:  now,
		UpdatedAt: now,
	}
	if err := s.putParticipant(ctx, np); err != nil {
		s.dropUntracked(ctx, m, rp.ID)
		return nil, fmt.Errorf("store participant: %w", err)
	}
	return np, nil
}

// dropUntracked deletes a participant just created upstream whose record
// could not be stored, so a failing store leaves no participant (and no
// live token) that nothing tracks or could revoke. Should the delete fail
// too, the participant keeps meetbot's custom id, so the next join finds
// and reuses it instead of adding another.
func (s *participants) dropUntracked(ctx context.Context, m *Meeting, remoteID string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), roomCallTimeout)
	defer cancel()
	if err := s.conf.RemoveParticipant(cctx, m.RoomID, remoteID); err != nil {
		s.log.Warn().Err(err).Str("meeting", m.ID).Str("room", m.RoomID).Str("participant", remoteID).
			Msg("could not delete an upstream participant whose record was not stored; the next join reuses it")
	}
}

// revoke deletes a user's participant upstream, then forgets it.
func (s *participants) revoke(ctx context.Context, m *Meeting, user string) error {
	p, err := s.store.FindParticipant(ctx, m.Workspace, m.ID, user)
	if ErrorCode(err) == ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, roomCallTimeout)
	defer cancel()
	if err := s.conf.RemoveParticipant(cctx, m.RoomID, p.RemoteID); err != nil {
		return err
	}
	return s.store.DeleteParticipant(context.WithoutCancel(ctx), m.Workspace, m.ID, user)
}

// openStored opens p's stored token (see openToken in sealing.go). One that
// does not open is dropped with a warning, so the caller fetches a fresh
// one.
func (s *participants) openStored(p *Participant) {
	if err := openToken(s.sealer, p); err != nil {
		s.log.Warn().Err(err).Str("meeting", p.Meeting).Str("user", p.User.String()).
			Msg("a stored participant token does not open; fetching a fresh one")
	}
}

// putParticipant stores p, its token sealed (see sealedCopy).
func (s *participants) putParticipant(ctx context.Context, p *Participant) error {
	sp, err := sealedCopy(s.sealer, p)
	if err != nil {
		return err
	}
	return s.store.PutParticipant(ctx, sp)
}
