package core

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// DefaultRoomPollEvery is how often the poller looks at open rooms when no
// webhooks reach meetbot.
const DefaultRoomPollEvery = time.Minute

// RoomPollerOptions configure a RoomPoller.
type RoomPollerOptions struct {
	// Rooms lists the rooms to look at: every meeting whose room is
	// ACTIVE (the store).
	Rooms interface {
		FindActiveRooms(ctx context.Context) ([]*Meeting, error)
	}
	// Insight reads the active sessions (the RealtimeKit adapter).
	Insight RoomInsight
	// Handler receives the events the poller infers (the Service).
	Handler RoomEventHandler
	// Clock stamps what the poller cannot know the time of (a session
	// that ended between two looks); nil means the system clock.
	Clock Clock
	// Every is the time between passes; zero means DefaultRoomPollEvery.
	Every time.Duration
	// Leading, when set, makes Run skip passes while it reports false, so
	// only the replica running the scheduler spends API calls on this.
	Leading func() bool
	// Logger receives a line per pass that found something or failed.
	Logger zerolog.Logger
}

// RoomPoller is the fallback for deployments without a public URL
// (Socket Mode, the Discord gateway), which RealtimeKit's webhooks cannot
// reach: about once a minute it asks for the active session of every open
// room, compares it with what it saw last time and hands the difference
// to the RoomEventHandler as the same RoomEvents the webhooks would give
// (started, joined, left, ended), with coarser timing. Every call is
// background work in the API budget, so joins are never starved: when the
// budget refuses a call the pass stops and the next one carries on.
//
// What it saw lives in memory only. After a restart the first pass
// reports the live sessions again with the same delivery and peer ids,
// which the handler treats as repeats.
type RoomPoller struct {
	opts RoomPollerOptions
	log  zerolog.Logger

	mu     sync.Mutex
	seen   map[string]*polledRoom // by room id
	cursor int                    // where the next pass starts
}

// polledRoom is what the last pass saw of one room's live session.
type polledRoom struct {
	session string
	started time.Time
	peers   map[string]*polledPeer // by poller-made peer id
}

type polledPeer struct {
	custom, name string
	joined, left time.Time
}

// NewRoomPoller returns a poller; Run starts it.
func NewRoomPoller(opts RoomPollerOptions) (*RoomPoller, error) {
	if opts.Rooms == nil || opts.Insight == nil || opts.Handler == nil {
		return nil, errors.New("core: RoomPollerOptions needs Rooms, Insight and Handler")
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock
	}
	if opts.Every <= 0 {
		opts.Every = DefaultRoomPollEvery
	}
	return &RoomPoller{opts: opts, log: opts.Logger.With().Str("component", "room-poller").Logger(), seen: map[string]*polledRoom{}}, nil
}

// Run polls every Every until ctx ends, and returns ctx's error. While
// this replica does not lead it looks again every few seconds, so a new
// leader's first pass is not a whole Every late.
func (p *RoomPoller) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		wait := p.opts.Every
		if p.opts.Leading == nil || p.opts.Leading() {
			if err := p.Poll(ctx); err != nil && ctx.Err() == nil {
				p.log.Warn().Err(err).Msg("room poll incomplete; the next pass carries on")
			}
		} else {
			wait = min(wait, followerRecheck)
		}
		t.Reset(wait)
	}
}

// followerRecheck is how often a replica that does not lead asks again.
const followerRecheck = 5 * time.Second

// Poll makes one pass: each open room's active session, plus the rooms
// seen live last time that are no longer open (closed by meetbot, so their
// end is reported). It stops at the first failure of the video service,
// the budget's refusal included, and returns it; a handler failure is
// returned too, and what it concerned is looked at again next pass.
func (p *RoomPoller) Poll(ctx context.Context) error {
	ctx = WithPriority(ctx, PriorityBackground)
	open, err := p.opts.Rooms.FindActiveRooms(ctx)
	if err != nil {
		return err
	}
	var rooms []string
	listed := map[string]bool{}
	for _, m := range open {
		if m.RoomID != "" && !listed[m.RoomID] {
			listed[m.RoomID] = true
			rooms = append(rooms, m.RoomID)
		}
	}
	p.mu.Lock()
	for id := range p.seen {
		if !listed[id] {
			rooms = append(rooms, id)
		}
	}
	// Start where the last pass stopped, so that when the budget ends
	// passes early every room still gets its turn.
	if n := len(rooms); n > 0 {
		k := p.cursor % n
		rooms = append(rooms[k:], rooms[:k]...)
	}
	p.mu.Unlock()
	for _, id := range rooms {
		if err := ctx.Err(); err != nil {
			return err
		}
		ls, ok, err := p.opts.Insight.ActiveSession(ctx, id)
		if err != nil {
			return err
		}
		if err := p.diff(ctx, id, ls, ok); err != nil {
			return err
		}
		p.mu.Lock()
		p.cursor++
		p.mu.Unlock()
	}
	return nil
}

// diff hands over what changed in room id since the last pass and
// remembers the new state once the handler took it all.
func (p *RoomPoller) diff(ctx context.Context, id string, ls LiveSession, live bool) error {
	p.mu.Lock()
	prev := p.seen[id]
	p.mu.Unlock()
	now := p.opts.Clock.Now()
	var evs []RoomEvent
	if prev != nil && (!live || prev.session != ls.ID) {
		evs = append(evs, p.endOf(id, prev, now)...)
		prev = nil
	}
	var next *polledRoom
	if live {
		next = &polledRoom{session: ls.ID, started: ls.StartedAt, peers: map[string]*polledPeer{}}
		if prev == nil {
			evs = append(evs, RoomEvent{Kind: RoomStarted, RoomID: id, SessionID: ls.ID, At: ls.StartedAt, SessionStarted: ls.StartedAt})
		} else {
			for k, v := range prev.peers {
				c := *v
				next.peers[k] = &c
			}
		}
		for _, sp := range ls.Participants {
			peer := "poll:" + sp.CustomParticipantID + ":" + strconv.FormatInt(sp.JoinedAt.UnixNano(), 10)
			pp := next.peers[peer]
			if pp == nil {
				pp = &polledPeer{custom: sp.CustomParticipantID, name: sp.DisplayName, joined: sp.JoinedAt}
				next.peers[peer] = pp
				evs = append(evs, p.peerEvent(ParticipantJoined, id, next, peer, pp, sp.JoinedAt))
			}
			if !sp.LeftAt.IsZero() && pp.left.IsZero() {
				pp.left = sp.LeftAt
				evs = append(evs, p.peerEvent(ParticipantLeft, id, next, peer, pp, sp.LeftAt))
			}
		}
	}
	for _, ev := range evs {
		ev.DeliveryID = pollDeliveryID(ev)
		if err := p.opts.Handler.HandleRoomEvent(ctx, ev); err != nil {
			return err // state not advanced: the next pass repeats these
		}
	}
	if len(evs) > 0 {
		p.log.Debug().Str("room", id).Int("events", len(evs)).Msg("room poll found changes")
	}
	p.mu.Lock()
	if next == nil {
		delete(p.seen, id)
	} else {
		p.seen[id] = next
	}
	p.mu.Unlock()
	return nil
}

// endOf is what a session that is gone leaves to report: everyone still
// in it left, and it ended, at now (the poller cannot know when).
func (p *RoomPoller) endOf(id string, prev *polledRoom, now time.Time) []RoomEvent {
	var evs []RoomEvent
	for peer, pp := range prev.peers {
		if pp.left.IsZero() {
			evs = append(evs, p.peerEvent(ParticipantLeft, id, prev, peer, pp, now))
		}
	}
	return append(evs, RoomEvent{Kind: RoomEnded, RoomID: id, SessionID: prev.session, At: now, SessionStarted: prev.started})
}

func (p *RoomPoller) peerEvent(kind RoomEventKind, room string, r *polledRoom, peer string, pp *polledPeer, at time.Time) RoomEvent {
	return RoomEvent{Kind: kind, RoomID: room, SessionID: r.session, SessionStarted: r.started, At: at,
		PeerID: peer, CustomParticipantID: pp.custom, DisplayName: pp.name}
}

// pollDeliveryID is the same for the same event seen by any pass, so a
// repeat after a restart is a repeat to the handler too.
func pollDeliveryID(ev RoomEvent) string {
	id := "poll:" + ev.SessionID + ":" + string(ev.Kind)
	if ev.PeerID != "" {
		id += ":" + ev.PeerID
	}
	return id
}
