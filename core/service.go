package core

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

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
	// Insight tells about rooms after they are made (recordings,
	// summaries); nil means the Conference's, when it has one.
	Insight RoomInsight
	// Observer is told of commands, join-link opens and the like, for
	// metrics; nil means a NopObserver.
	Observer Observer
}

// Service is meetbot's use cases. Every adapter calls it with the same
// request types.
//
// It is composed of parts that each serve one end and hold only the ports
// that end needs, so a reader finds a use case in the file named after it
// and sees at a glance what it may touch: scheduling (schedule.go), what
// happens to a meeting afterwards (meetings.go, series.go), who is in it
// (roster.go), joining (join.go, participants.go), the video rooms
// (rooms.go), the due jobs (plan.go, runjob.go), crash recovery
// (recovery.go), what people are told (notices.go, cards.go), public
// calendar links (calendar.go), workspace settings (settings.go,
// workspaces.go), people's zones and names (people.go) and who may do what
// (access.go). Their exported methods are the Service's own, promoted by
// embedding, so adapters call one type.
type Service struct {
	cfg   Config
	clock Clock
	obs   Observer

	*workspaces
	*access
	*people
	*settings
	*rooms
	*participants
	*joins
	*planner
	*runner
	*notices
	*meetings
	*roster
	*scheduling
	*recovery
	*calendar
	*liveRooms
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
	if deps.Clock == nil {
		deps.Clock = SystemClock
	}
	if deps.Observer == nil {
		deps.Observer = NopObserver{}
	}
	keys, err := loadKeys(ctx, deps.Store, joinKey)
	if err != nil {
		return nil, err
	}
	return compose(cfg.withDefaults(), deps, keys), nil
}

// serviceKeys are the secrets a Service signs and derives ids with.
type serviceKeys struct {
	joinLink, participantID, calendar, recording []byte
}

// loadKeys reads the Service's keys from the store, creating each on first
// use, so every replica shares them. A joinKey given by the operator takes
// the place of the stored join-link key.
func loadKeys(ctx context.Context, store SecretStore, joinKey []byte) (serviceKeys, error) {
	gen := func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	}
	k := serviceKeys{joinLink: joinKey}
	var err error
	if len(k.joinLink) == 0 {
		if k.joinLink, err = store.Secret(ctx, secretJoinLink, gen); err != nil {
			return k, fmt.Errorf("core: load join-link key: %w", err)
		}
	}
	if k.participantID, err = store.Secret(ctx, secretParticipantID, gen); err != nil {
		return k, fmt.Errorf("core: load participant-id key: %w", err)
	}
	if k.calendar, err = store.Secret(ctx, secretCalendar, gen); err != nil {
		return k, fmt.Errorf("core: load calendar key: %w", err)
	}
	if k.recording, err = store.Secret(ctx, secretRecordingLink, gen); err != nil {
		return k, fmt.Errorf("core: load recording-link key: %w", err)
	}
	return k, nil
}

// compose wires the parts of a Service, each after the parts it uses, and
// hands each only the ports and settings its end needs.
func compose(cfg Config, d Deps, keys serviceKeys) *Service {
	st, clock, log := d.Store, d.Clock, d.Logger
	ws := &workspaces{store: st, cfg: cfg}
	acc := &access{store: st, workspaces: ws, members: d.Members, log: log}
	ppl := &people{store: st, workspaces: ws, defaultZone: cfg.DefaultTimeZone, clock: clock, log: log}
	rms := &rooms{store: st, conf: d.Conference, workspaces: ws, clock: clock, log: log}
	parts := &participants{
		store: st, conf: d.Conference, hostPreset: cfg.HostPreset, participantPreset: cfg.ParticipantPreset,
		tokenMaxAge: cfg.TokenMaxAge, idKey: keys.participantID, sealer: d.Sealer, clock: clock, log: log,
	}
	plan := &planner{store: st, workspaces: ws, clock: clock, log: log}
	note := &notices{store: st, workspaces: ws, notify: d.Notifier, log: log}
	live := &liveRooms{
		store: st, workspaces: ws, notices: note, insight: d.Insight, recLinks: &recordingSigner{key: keys.recording},
		publicURL: cfg.PublicURL, clock: clock, log: log,
	}
	if live.insight == nil {
		live.insight, _ = d.Conference.(RoomInsight)
	}
	live.cards = newCoalescer(CardEvery, CardSettle, live.flushCard)
	return &Service{
		cfg:          cfg,
		clock:        clock,
		obs:          d.Observer,
		workspaces:   ws,
		access:       acc,
		people:       ppl,
		settings:     &settings{store: st, workspaces: ws, planner: plan, cfg: cfg, clock: clock, log: log},
		rooms:        rms,
		participants: parts,
		joins: &joins{
			store: st, access: acc, workspaces: ws, people: ppl, rooms: rms, participants: parts,
			links: NewLinkSigner(keys.joinLink), linkTTL: cfg.LinkTTL, publicURL: cfg.PublicURL, clock: clock,
			obs: d.Observer,
		},
		planner: plan,
		runner: &runner{
			store: st, workspaces: ws, rooms: rms, planner: plan, participants: parts, notices: note,
			clock: clock, log: log,
		},
		notices: note,
		meetings: &meetings{
			store: st, access: acc, workspaces: ws, rooms: rms, planner: plan, notices: note,
			clock: clock, log: log,
		},
		roster: &roster{
			store: st, access: acc, people: ppl, participants: parts, planner: plan, notices: note,
			clock: clock, log: log,
		},
		scheduling: &scheduling{
			store: st, access: acc, people: ppl, rooms: rms, planner: plan, cfg: cfg, clock: clock, log: log,
		},
		recovery: &recovery{
			store: st, conf: d.Conference, workspaces: ws, rooms: rms, planner: plan, clock: clock, log: log,
		},
		calendar:  &calendar{signer: NewLinkSigner(keys.calendar), store: st, publicURL: cfg.PublicURL, clock: clock},
		liveRooms: live,
	}
}

// Config returns the effective configuration (defaults applied).
func (s *Service) Config() Config { return s.cfg }

// Now returns the injected clock's time.
func (s *Service) Now() time.Time { return s.clock.Now() }

// Current returns m's current occurrence (open, next, or last) and its
// join window, so adapters show a series by the occurrence that matters.
func (s *Service) Current(ctx context.Context, m *Meeting) (Occurrence, Window) {
	w, occ := s.workspaces.windowFor(ctx, m, s.clock.Now())
	return occ, w
}

// WindowOf returns the join window of m's current occurrence at now.
func (s *Service) WindowOf(ctx context.Context, m *Meeting) Window {
	w, _ := s.workspaces.windowFor(ctx, m, s.clock.Now())
	return w
}
