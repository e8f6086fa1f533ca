package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// TokenLifetime is how long a participant token is valid, as RealtimeKit
// documents (not configurable there either).
const TokenLifetime = 100 * 24 * time.Hour

// Errors returned by DecodeToken, VerifyToken, Join and Leave, so that a
// local join page can tell the user what RealtimeKit's UI would.
var (
	ErrInvalidToken    = errors.New("sandbox: invalid participant token")
	ErrTokenExpired    = errors.New("sandbox: participant token expired")
	ErrMeetingNotFound = errors.New("sandbox: meeting not found")
	// ErrParticipantGone means the participant was deleted, which revokes
	// all of its tokens.
	ErrParticipantGone = errors.New("sandbox: participant was removed")
	// ErrMeetingInactive means the meeting's status is INACTIVE: nobody can
	// join, whatever their token.
	ErrMeetingInactive = errors.New("sandbox: meeting is inactive")
	// ErrNoName mirrors RealtimeKit's behaviour for a participant created
	// without a name: the token exists but cannot connect.
	ErrNoName = errors.New("sandbox: participant has no name; the token cannot join")
)

// Claims is the payload of a participant token. The field names follow
// RealtimeKit's JWTs (meetingId, participantId), so a join page written
// against the sandbox reads the same fields it would upstream.
type Claims struct {
	MeetingID           string `json:"meetingId"`
	ParticipantID       string `json:"participantId"`
	PresetName          string `json:"presetName"`
	Name                string `json:"name"`
	CustomParticipantID string `json:"customParticipantId"`
	// ID is unique per token, so that two tokens issued within one second
	// still differ (refresh must return a new token).
	ID        string `json:"jti"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
}

// Expires returns the expiry as a time.
func (c Claims) Expires() time.Time { return time.Unix(c.ExpiresAt, 0) }

var tokenHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// issueToken signs a new token for p. Callers hold s.mu.
func (s *Server) issueToken(p *participant) string {
	now := s.now()
	c := Claims{
		MeetingID: p.MeetingID, ParticipantID: p.ID, PresetName: p.PresetName,
		Name: p.Name, CustomParticipantID: p.CustomID, ID: newUUID(),
		IssuedAt: now.Unix(), ExpiresAt: now.Add(TokenLifetime).Unix(),
	}
	payload, err := json.Marshal(c)
	if err != nil {
		panic("sandbox: encoding claims: " + err.Error()) // plain strings and ints cannot fail
	}
	signed := tokenHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	p.tokens++
	return signed + "." + base64.RawURLEncoding.EncodeToString(s.sign(signed))
}

func (s *Server) sign(signed string) []byte {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(signed))
	return mac.Sum(nil)
}

// DecodeToken reads a participant token's claims without checking its
// signature or expiry. It needs no key, so the local join page can show
// which meeting, participant and preset a token would join as; it must not
// be used to decide whether someone may join (use VerifyToken or Join).
func DecodeToken(tok string) (Claims, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return Claims{}, ErrInvalidToken
	}
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return Claims{}, ErrInvalidToken
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hdr, &h) != nil || h.Alg != "HS256" {
		return Claims{}, ErrInvalidToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return Claims{}, ErrInvalidToken
	}
	var c Claims
	if json.Unmarshal(payload, &c) != nil || c.MeetingID == "" || c.ParticipantID == "" {
		return Claims{}, ErrInvalidToken
	}
	return c, nil
}

// VerifyToken checks that tok was issued by this server and has not
// expired (by Options.Now), and returns its claims. It does not check that
// the participant still exists; Join does.
func (s *Server) VerifyToken(tok string) (Claims, error) {
	c, err := DecodeToken(tok)
	if err != nil {
		return Claims{}, err
	}
	i := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[i+1:])
	if err != nil || !hmac.Equal(sig, s.sign(tok[:i])) {
		return Claims{}, ErrInvalidToken
	}
	if !s.now().Before(c.Expires()) {
		return Claims{}, ErrTokenExpired
	}
	return c, nil
}

// Join simulates a client joining with tok: the participant enters the
// meeting's live session, which starts if none is live. It refuses what
// RealtimeKit refuses: bad or expired tokens, deleted participants,
// nameless participants and INACTIVE meetings. Joining twice is a no-op.
func (s *Server) Join(tok string) error {
	c, err := s.VerifyToken(tok)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetings[c.MeetingID]
	if !ok {
		return ErrMeetingNotFound
	}
	p, ok := m.participants[c.ParticipantID]
	if !ok {
		return ErrParticipantGone
	}
	if p.Name == "" {
		return ErrNoName
	}
	if m.Status != StatusActive {
		return ErrMeetingInactive
	}
	if m.session != nil && slices.Contains(m.session.live, p.ID) {
		return nil
	}
	s.enterLocked(m, p)
	return nil
}

// Leave simulates the client of tok leaving. The session ends when the last
// participant leaves (the sandbox has no keep-alive period). Leaving when
// not in the session is a no-op; only a bad token is an error.
func (s *Server) Leave(tok string) error {
	c, err := DecodeToken(tok)
	if err != nil {
		return err
	}
	if _, err := s.VerifyToken(tok); err != nil && !errors.Is(err, ErrTokenExpired) {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.meetings[c.MeetingID]
	if !ok || m.session == nil {
		return nil
	}
	for _, p := range slices.Clone(m.session.peers) {
		if m.session == nil {
			break
		}
		if p.ParticipantID == c.ParticipantID && p.LeftAt.IsZero() {
			s.leaveLocked(m, p)
		}
	}
	return nil
}

// DecodeTokenMap is DecodeToken with the claims as a generic map keyed by
// their JSON names. It has the shape of the web adapter's DecodeToken
// option, so cmd/bot can hand it over without the adapters importing each
// other.
func DecodeTokenMap(tok string) (map[string]any, error) {
	c, err := DecodeToken(tok)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}
