package core

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"
)

// Config holds the operator's policy. Zero values take the documented
// defaults, so a test or local mode only sets what it cares about.
type Config struct {
	// EarlyJoin and Grace widen the join window; 0 takes the default of
	// 5m, a negative value means none (the window is exactly the meeting).
	EarlyJoin       time.Duration
	Grace           time.Duration
	DefaultDuration time.Duration // default 30m
	MaxDuration     time.Duration // default 24h
	DefaultTimeZone string        // default "UTC"
	// HostPreset and ParticipantPreset name RealtimeKit presets.
	HostPreset        string // default "group_call_host"
	ParticipantPreset string // default "group_call_participant"
	// PublicURL is where adapters/web is reachable; links are built on it.
	PublicURL string // default "http://127.0.0.1:8080"
	// LinkTTL is how long a personal join link stays valid.
	LinkTTL time.Duration // default 15m
	// TokenMaxAge is when a stored participant token is refreshed; tokens
	// live 100 days upstream, so refresh well before.
	TokenMaxAge time.Duration // default 80 days
	// MaxTitle caps titles, in runes.
	MaxTitle int // default 200
	// Reminders are the default reminder lead times; nil means 10m and 0s.
	// An empty non-nil slice means no reminders.
	Reminders []time.Duration
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.EarlyJoin, 5*time.Minute)
	def(&c.Grace, 5*time.Minute)
	c.EarlyJoin, c.Grace = max(c.EarlyJoin, 0), max(c.Grace, 0)
	def(&c.DefaultDuration, 30*time.Minute)
	def(&c.MaxDuration, 24*time.Hour)
	def(&c.LinkTTL, 15*time.Minute)
	def(&c.TokenMaxAge, 80*24*time.Hour)
	if c.DefaultTimeZone == "" {
		c.DefaultTimeZone = "UTC"
	}
	if c.HostPreset == "" {
		c.HostPreset = "group_call_host"
	}
	if c.ParticipantPreset == "" {
		c.ParticipantPreset = "group_call_participant"
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://127.0.0.1:8080"
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.MaxTitle == 0 {
		c.MaxTitle = 200
	}
	if c.Reminders == nil {
		c.Reminders = []time.Duration{10 * time.Minute, 0}
	}
	return c
}

// MembershipChecker answers whether a user is in a channel. Adapters that can
// ask their platform implement it; without one, a user counts as a member of
// the channel they are typing in.
type MembershipChecker interface {
	IsChannelMember(ctx context.Context, ws WorkspaceKey, channel, user string) (bool, error)
}

// Deps are the ports a Service runs on.
type Deps struct {
	Store      Store
	Conference Conference
	Clock      Clock             // nil → SystemClock
	Members    MembershipChecker // optional
	// Notifier posts reminders and announcements; nil means none are posted
	// (jobs still run: rooms open and close).
	Notifier Notifier
	Logger   zerolog.Logger
	// Sealer, when set, seals participant tokens before they are stored
	// (see Sealer); nil stores them as RealtimeKit issued them.
	Sealer Sealer
}

// Actor is the person behind a request, as the adapter identified them.
type Actor struct {
	User    UserKey
	Name    string // display name; sent to RealtimeKit as the participant name
	Channel string // where they typed or clicked
	IsAdmin bool   // workspace admin, as the platform says
	// TimeZone is the zone the platform reports for the person (Slack's
	// users.info tz), used when they never set one with /meet tz. Empty
	// where the platform has none (Discord).
	TimeZone string
	// ZoneUnread names the platform ("Slack") when it keeps a zone for the
	// person but it could not be read for this request (the lookup failed
	// or timed out, or the bot token is not usable yet). Their times then
	// fall to the workspace's or the configured zone like anyone's who has
	// none, but the reply says so every time (see chat's zone notes), and
	// nothing about the failure is remembered as theirs.
	ZoneUnread string
	// adminLooked records that the workspace's admin list was already read
	// for this actor (see permits), so a refusal reads it at most once.
	adminLooked bool
}

// Service is meetbot's use cases. Every adapter calls it with the same
// request types.
type Service struct {
	cfg      Config
	store    Store
	conf     Conference
	clock    Clock
	members  MembershipChecker
	log      zerolog.Logger
	links    *LinkSigner
	calendar *LinkSigner
	pidKey   []byte
	flight   singleflight.Group
	wake     func()
	notify   Notifier
	sealer   Sealer
}

// Secret names in the SecretStore.
const (
	secretJoinLink      = "join-link-key"
	secretParticipantID = "participant-id-key"
)

// NewService builds a Service. The join-link and participant-id keys come
// from the store (created on first use) unless joinKey is set, so every
// replica signs alike and custom_participant_ids stay stable across restarts.
func NewService(ctx context.Context, cfg Config, deps Deps, joinKey []byte) (*Service, error) {
	if deps.Store == nil || deps.Conference == nil {
		return nil, fmt.Errorf("core: store and conference are required")
	}
	s := &Service{
		cfg:     cfg.withDefaults(),
		store:   deps.Store,
		conf:    deps.Conference,
		clock:   deps.Clock,
		members: deps.Members,
		log:     deps.Logger,
		notify:  deps.Notifier,
		sealer:  deps.Sealer,
	}
	if s.clock == nil {
		s.clock = SystemClock
	}
	gen := func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	}
	if len(joinKey) == 0 {
		k, err := s.store.Secret(ctx, secretJoinLink, gen)
		if err != nil {
			return nil, fmt.Errorf("core: load join-link key: %w", err)
		}
		joinKey = k
	}
	s.links = NewLinkSigner(joinKey)
	k, err := s.store.Secret(ctx, secretParticipantID, gen)
	if err != nil {
		return nil, fmt.Errorf("core: load participant-id key: %w", err)
	}
	s.pidKey = k
	ck, err := s.store.Secret(ctx, secretCalendar, gen)
	if err != nil {
		return nil, fmt.Errorf("core: load calendar key: %w", err)
	}
	s.calendar = NewLinkSigner(ck)
	return s, nil
}

// Config returns the effective configuration (defaults applied).
func (s *Service) Config() Config { return s.cfg }

// Now returns the injected clock's time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// customParticipantID derives the opaque, stable id RealtimeKit knows a user
// by: an HMAC of the user key, so it is neither an email nor a name and
// cannot be reversed, yet is the same on every replica and after restarts.
func (s *Service) customParticipantID(u UserKey) string {
	h := hmac.New(sha256.New, s.pidKey)
	h.Write([]byte(u.String()))
	return "mb-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(h.Sum(nil)[:20]))
}

// newRoomTag returns a random marker for an upstream title.
func newRoomTag() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "mb" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Location returns the zone to read the actor's times in: the one they
// set, else the one their platform reports, else the workspace default,
// else the configured default (cmd/bot makes that the machine's zone when
// the config names none). It is the one place a person's zone is chosen:
// commands, the Slack modal and Discord's previews all come here.
func (s *Service) Location(ctx context.Context, a Actor) *time.Location {
	loc, _ := s.LocationSource(ctx, a)
	return loc
}

// ZoneSource says where an actor's zone came from, so a reply can tell a
// person whose zone was assumed how to set theirs.
type ZoneSource int

// Where a zone came from, most personal first.
const (
	ZoneFromUser ZoneSource = iota
	ZoneFromPlatform
	ZoneFromWorkspace
	ZoneFromConfig
)

// LocationSource is Location, also saying where the zone came from.
func (s *Service) LocationSource(ctx context.Context, a Actor) (*time.Location, ZoneSource) {
	if u, err := s.store.FindUser(ctx, a.User); err == nil && u.TimeZone != "" {
		if loc, err := LoadZone(u.TimeZone); err == nil {
			return loc, ZoneFromUser
		}
	}
	if a.TimeZone != "" {
		if loc, err := LoadZone(a.TimeZone); err == nil {
			return loc, ZoneFromPlatform
		}
	}
	if w, err := s.findWorkspace(ctx, a.User.Workspace); err == nil && w.DefaultTimeZone != "" {
		if loc, err := LoadZone(w.DefaultTimeZone); err == nil {
			return loc, ZoneFromWorkspace
		}
	}
	if loc, err := LoadZone(s.cfg.DefaultTimeZone); err == nil {
		return loc, ZoneFromConfig
	}
	return time.UTC, ZoneFromConfig
}

// windowFor returns the join window of m's current occurrence, using the
// workspace's overrides when it has any.
func (s *Service) windowFor(ctx context.Context, m *Meeting, now time.Time) (Window, Occurrence) {
	p := s.policy(ctx, m.Workspace)
	occ := m.CurrentOccurrence(now, p.early, p.grace)
	return WindowOf(occ, p.early, p.grace), occ
}

// policy is a workspace's effective timing settings.
type policy struct {
	early, grace time.Duration
	reminders    []time.Duration
	dms          bool
}

// policy returns the workspace's overrides over the configured defaults.
func (s *Service) policy(ctx context.Context, ws WorkspaceKey) policy {
	p := policy{early: s.cfg.EarlyJoin, grace: s.cfg.Grace, reminders: s.cfg.Reminders}
	if w, err := s.findWorkspace(ctx, ws); err == nil {
		if w.EarlyJoin != nil {
			p.early = *w.EarlyJoin
		}
		if w.Grace != nil {
			p.grace = *w.Grace
		}
		if w.Reminders != nil {
			p.reminders = w.Reminders
		}
		p.dms = w.DMReminders
	}
	return p
}

// Current returns m's current occurrence (open, next, or last) and its
// join window, so adapters show a series by the occurrence that matters.
func (s *Service) Current(ctx context.Context, m *Meeting) (Occurrence, Window) {
	w, occ := s.windowFor(ctx, m, s.clock.Now())
	return occ, w
}

// WindowOf returns the join window of m's current occurrence at now.
func (s *Service) WindowOf(ctx context.Context, m *Meeting) Window {
	w, _ := s.windowFor(ctx, m, s.clock.Now())
	return w
}

// checkText rejects control characters and enforces a rune cap; it is the
// last line of defence for text that reaches a store or a chat post.
func checkText(what, v string, max int) error {
	if !utf8.ValidString(v) {
		return Errorf(EINVALID, "The %s has characters I can't read. Please retype it.", what)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return Errorf(EINVALID, "The %s has control characters. Please use plain text, for example \"Weekly sync\".", what)
		}
	}
	if n := utf8.RuneCountInString(v); n > max {
		return Errorf(EINVALID, "The %s is %d characters long; the limit is %d. Please shorten it.", what, n, max)
	}
	return nil
}

// findMeeting loads a meeting of the actor's workspace, returning a plain
// not-found error that never reveals other workspaces.
func (s *Service) findMeeting(ctx context.Context, ws WorkspaceKey, id string) (*Meeting, error) {
	id = normalizeID(id)
	if id == "" {
		return nil, Errorf(EINVALID, "Which meeting? Give its id, for example \"/meet info 12\". \"/meet list\" shows the ids.")
	}
	m, err := s.store.FindMeetingByID(ctx, ws, id)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, notFound(id)
		}
		return nil, fmt.Errorf("find meeting %s: %w", id, err)
	}
	if m.State == StatePending && m.Abandoned || m.State == StateFailed {
		return nil, notFound(id)
	}
	return m, nil
}

// normalizeID accepts the ways people type an id: "#12", " 12 ", "012".
func normalizeID(id string) string {
	id = strings.TrimPrefix(strings.TrimSpace(id), "#")
	if strings.Trim(id, "0123456789") == "" && len(id) > 1 {
		if t := strings.TrimLeft(id, "0"); t != "" {
			id = t
		}
	}
	return id
}

func notFound(id string) error {
	return Errorf(ENOTFOUND, "There is no meeting %q here. Use \"/meet list\" to see this channel's meetings.", id)
}

// canSee reports whether a may see m at all: private meetings are visible to
// invitees, hosts and admins only.
func canSee(m *Meeting, a Actor) bool {
	return !m.Private || a.IsAdmin || m.IsInvited(a.User.UserID)
}

// canManage reports whether a may change m: organizer, co-hosts, admins.
func canManage(m *Meeting, a Actor) bool {
	return a.IsAdmin || m.IsHost(a.User.UserID)
}
