package core

import (
	"context"
	"errors"
	"slices"
	"time"
)

// MeetingFilter selects meetings within one workspace. Workspace is required:
// no store method lists across workspaces except FindPendingMeetings, which
// exists for crash recovery only.
type MeetingFilter struct {
	Workspace WorkspaceKey
	// Channel, when set, keeps only meetings of that channel.
	Channel string
	// States, when set, keeps only meetings in one of these states.
	States []MeetingState
	// EndsAfter, when set, keeps only meetings whose first occurrence ends
	// after it (upcoming and running meetings).
	EndsAfter time.Time
	// Limit caps the result; 0 means no cap.
	Limit int
}

// Matches reports whether m passes f's Channel, States and EndsAfter (the
// workspace and the limit are the store's to apply). Every backend filters
// through it, so they cannot drift on what a filter means.
func (f MeetingFilter) Matches(m *Meeting) bool {
	if f.Channel != "" && m.Channel != f.Channel {
		return false
	}
	if len(f.States) > 0 && !slices.Contains(f.States, m.State) {
		return false
	}
	if !f.EndsAfter.IsZero() && !m.End().After(f.EndsAfter) {
		return false
	}
	return true
}

// MeetingStore keeps meetings. Implementations must scope every key by
// workspace and copy values out of transactions.
type MeetingStore interface {
	// CreateMeeting assigns m.ID (the next id of m.Workspace: short, never
	// reused), sets Version to 1 and stores m. Returns ECONFLICT only on a
	// bug (an id already taken).
	CreateMeeting(ctx context.Context, m *Meeting) error
	// CreatePlannedMeeting is CreateMeeting followed by PlanJobs of the jobs
	// plan returns for the stored meeting (its ID assigned), so a new
	// meeting and its due jobs cost one commit: "/meet schedule" answers
	// after one write. plan must be pure (it may run inside the write
	// transaction, and more than once). Backends that cannot do both in one
	// transaction may plan right after the create; a crash between the two
	// leaves a pending meeting without jobs, which recovery re-plans.
	CreatePlannedMeeting(ctx context.Context, m *Meeting, plan func(*Meeting) []DueJob) error
	// FindMeetingByID returns ENOTFOUND when ws has no meeting id.
	FindMeetingByID(ctx context.Context, ws WorkspaceKey, id string) (*Meeting, error)
	// FindMeetings returns the meetings matching f, ordered by Start.
	FindMeetings(ctx context.Context, f MeetingFilter) ([]*Meeting, error)
	// FindPendingMeetings returns every meeting in StatePending, in all
	// workspaces: intents whose upstream room may or may not exist.
	FindPendingMeetings(ctx context.Context) ([]*Meeting, error)
	// FindActiveRooms returns every meeting whose RoomStatus is ACTIVE, in
	// all workspaces: the rooms that must be closed when their window ends.
	// Backends keep an index so this costs the number of open rooms, not
	// the number of meetings.
	FindActiveRooms(ctx context.Context) ([]*Meeting, error)
	// UpdateMeeting applies fn to a copy of the stored meeting and stores the
	// result atomically, bumping Version; setting UpdatedAt is left to fn. fn
	// runs inside the backend's write transaction, so it must be pure and
	// fast: no I/O, no store calls (they would deadlock), and it may be called
	// more than once. If fn returns an error nothing is stored and that error
	// is returned. ENOTFOUND when the meeting does not exist.
	UpdateMeeting(ctx context.Context, ws WorkspaceKey, id string, fn func(*Meeting) error) (*Meeting, error)
	// DeleteMeeting removes a meeting and its participants. Deleting a
	// missing meeting is not an error.
	DeleteMeeting(ctx context.Context, ws WorkspaceKey, id string) error
}

// MeetingViewer is an optional face of a MeetingStore: FindMeetings
// without a private copy of each result. A store that keeps decoded
// meetings (storage/bolt) hands out its own shared copies, so a list of 40
// meetings costs 40 lookups rather than 40 deep copies; core detects it
// by type assertion and falls back to FindMeetings. The meetings returned
// are read-only: the caller must not change them or anything they point
// to, and must Clone one before handing it to code that might.
type MeetingViewer interface {
	ViewMeetings(ctx context.Context, f MeetingFilter) ([]*Meeting, error)
}

// ParticipantStore keeps the (meeting, user) → RealtimeKit participant map.
type ParticipantStore interface {
	// FindParticipant returns ENOTFOUND when the user has none for the meeting.
	FindParticipant(ctx context.Context, ws WorkspaceKey, meetingID, userID string) (*Participant, error)
	// PutParticipant creates or replaces the record for (p.Meeting, p.User).
	// ENOTFOUND when the meeting does not exist, so a join racing a delete
	// cannot leave a token behind that nothing would clean up.
	PutParticipant(ctx context.Context, p *Participant) error
	// DeleteParticipant removes the record; a missing one is not an error.
	DeleteParticipant(ctx context.Context, ws WorkspaceKey, meetingID, userID string) error
	// ListParticipants returns the meeting's participants ordered by user id.
	ListParticipants(ctx context.Context, ws WorkspaceKey, meetingID string) ([]*Participant, error)
}

// UserStore keeps per-user preferences.
type UserStore interface {
	// FindUser returns ENOTFOUND for a user we never stored.
	FindUser(ctx context.Context, key UserKey) (*User, error)
	// PutUser creates or replaces the user.
	PutUser(ctx context.Context, u *User) error
	// UpdateUser reads the user (a record holding only Key when none is
	// stored), applies fn and stores the result, atomically, and returns
	// what it stored, so a name remembered while the person sets their
	// zone loses neither. When fn returns ErrUnchanged nothing is written
	// and the user as read is returned; any other error from fn is
	// returned and nothing is stored. fn may run more than once, so it
	// must only change the user it is given.
	UpdateUser(ctx context.Context, key UserKey, fn func(*User) error) (*User, error)
}

// ErrUnchanged tells UpdateUser that fn decided no change is needed, so no
// write happens.
var ErrUnchanged = errors.New("core: nothing to change")

// WorkspaceStore keeps per-workspace settings.
type WorkspaceStore interface {
	// FindWorkspace returns ENOTFOUND for a workspace with no stored settings.
	FindWorkspace(ctx context.Context, key WorkspaceKey) (*Workspace, error)
	// PutWorkspace creates or replaces the settings.
	PutWorkspace(ctx context.Context, w *Workspace) error
	// UpdateWorkspace reads the settings (a record holding only Key when
	// none are stored), applies fn and stores the result, atomically, and
	// returns what it stored. Concurrent updates each see the one before,
	// so none is lost (two admins changing settings at once). When fn
	// returns an error nothing is stored and that error is returned.
	UpdateWorkspace(ctx context.Context, key WorkspaceKey, fn func(*Workspace) error) (*Workspace, error)
}

// SecretStore keeps process-independent secrets (the join-link key, the
// participant-id key) so that every replica signs and verifies alike.
type SecretStore interface {
	// Secret returns the secret stored under name, creating it with gen when
	// absent. Creation is atomic: when two callers race, both get the value
	// that was stored first.
	Secret(ctx context.Context, name string, gen func() ([]byte, error)) ([]byte, error)
}

// Installation is a chat app installed in one workspace: what an adapter
// needs to call the platform on that workspace's behalf.
type Installation struct {
	Workspace WorkspaceKey
	// SealedToken is the bot token, encrypted by the adapter (AES-GCM under
	// storage.encryption_key) before it reaches the store, so the file on
	// disk never holds it in the clear.
	SealedToken []byte
	// BotUserID is the app's own user in the workspace, so it can ignore
	// its own messages.
	BotUserID   string
	Scopes      string
	InstalledBy string
	InstalledAt time.Time
}

// InstallStore keeps one Installation per workspace.
type InstallStore interface {
	// PutInstallation creates or replaces the workspace's installation.
	PutInstallation(ctx context.Context, in *Installation) error
	// FindInstallation returns ENOTFOUND when the workspace has none.
	FindInstallation(ctx context.Context, ws WorkspaceKey) (*Installation, error)
	// DeleteInstallation forgets the workspace's token (uninstall, revoked
	// tokens); a missing one is not an error.
	DeleteInstallation(ctx context.Context, ws WorkspaceKey) error
}

// OnceStore remembers keys for a while, so a delivery the platform retries
// or an attacker replays is acted on once across every replica, and a
// single-use value (an OAuth state) is accepted once.
type OnceStore interface {
	// Once records key until now+ttl and reports whether it was new. A key
	// whose time has run out counts as new again.
	Once(ctx context.Context, key string, now time.Time, ttl time.Duration) (bool, error)
	// PruneOnce forgets keys that ran out before now and returns how many.
	PruneOnce(ctx context.Context, now time.Time) (int, error)
}

// InboxEntry is one room-event delivery (a RealtimeKit webhook) that was
// accepted and not yet handed to the RoomEventHandler. It is stored before
// the sender hears 2xx, so a crash right after the answer loses nothing.
type InboxEntry struct {
	// ID names the entry (unique per delivery as the receiver sees it).
	ID string
	// Received is when the delivery arrived; pending entries are listed in
	// this order, so a room's events are handled roughly as they came.
	Received time.Time
	// Body is the delivery as received (the signed bytes), kept raw so a
	// parser fixed later can read it again.
	Body []byte
	// Keys are the delivery's dedupe keys (its rtk-uuid, its webhook id
	// with the body's hash): ClaimInbox records them before the hand-over.
	Keys []string
	// Attempts counts failed hand-overs, so a poison entry is dropped in
	// the end instead of retried for ever.
	Attempts int
}

// RoomInbox is the durable queue between the webhook endpoint and the
// RoomEventHandler, with the delivery keys that make a redelivery a no-op.
//
// Storing is split from deduplicating so the answer to RealtimeKit waits
// for an append only: AcceptInbox writes entries at the queue's end (one
// commit for many concurrent deliveries), while the dedupe keys, which
// land all over an index, are written by ClaimInbox when the entry is
// handled, after the answer. KnownInbox lets the endpoint answer a replay
// of an already handled delivery without storing it again.
type RoomInbox interface {
	// AcceptInbox stores the entries as pending, in one durable write
	// where the backend allows (bbolt: one transaction).
	AcceptInbox(ctx context.Context, entries []*InboxEntry) error
	// KnownInbox reports whether any of keys was claimed and has not
	// expired at now.
	KnownInbox(ctx context.Context, keys []string, now time.Time) (bool, error)
	// ClaimInbox records e.Keys for e (until now+ttl) unless one of them
	// is claimed by another entry and not expired; it reports whether e
	// holds them all, so the handler gets a delivery once. Claiming again
	// for the same entry (a retry, a restart) answers true.
	ClaimInbox(ctx context.Context, e *InboxEntry, now time.Time, ttl time.Duration) (bool, error)
	// PendingInbox returns up to limit entries not yet done, oldest
	// Received first.
	PendingInbox(ctx context.Context, limit int) ([]*InboxEntry, error)
	// RetryInbox records e.Attempts of a pending entry; ENOTFOUND when the
	// entry is done or unknown.
	RetryInbox(ctx context.Context, e *InboxEntry) error
	// DoneInbox removes a handled entry (its keys stay until they expire);
	// an unknown entry is not an error.
	DoneInbox(ctx context.Context, e *InboxEntry) error
	// PruneInbox forgets dedupe keys that ran out before now and returns
	// how many.
	PruneInbox(ctx context.Context, now time.Time) (int, error)
}

// Store is everything core needs from a storage backend. Every backend must
// pass storage/storagetest.
type Store interface {
	MeetingStore
	DueJobStore
	ParticipantStore
	UserStore
	WorkspaceStore
	SecretStore
	InstallStore
	OnceStore
	RoomInbox
	AttendanceStore
	// Ping reports whether the backend can serve requests (for /readyz).
	Ping(ctx context.Context) error
	// Close releases the backend.
	Close() error
}

// Room is a RealtimeKit meeting as the conference adapter reports it.
type Room struct {
	ID     string
	Title  string
	Status RoomStatus
}

// CreateRoomRequest asks for a new upstream room. Tag must appear in the
// upstream title so FindRoomByTag can find the room after an ambiguous
// failure.
type CreateRoomRequest struct {
	Title  string
	Tag    string
	Status RoomStatus // the status the room should have once created
}

// AddParticipantRequest asks for a participant. Name is always sent: a token
// made without one fails to join.
type AddParticipantRequest struct {
	CustomID string
	Name     string
	Preset   string
}

// RemoteParticipant is a RealtimeKit participant with a usable token.
type RemoteParticipant struct {
	ID     string
	Token  string
	Preset string
}

// Conference is RealtimeKit, seen from core. Every method must return within
// the context's deadline; failures of the video service come back as
// *Error with EUNAVAILABLE (and RetryAfter when known), an upstream 404 as
// ENOTFOUND. The call's priority travels in the context (WithPriority).
type Conference interface {
	// CreateRoom creates a room and sets its status as asked. It makes no
	// retries of its own that could create a second room.
	CreateRoom(ctx context.Context, req CreateRoomRequest) (Room, error)
	// FindRoomByTag looks for a room whose title carries tag.
	FindRoomByTag(ctx context.Context, tag string) (Room, bool, error)
	// SetRoomStatus sets ACTIVE or INACTIVE.
	SetRoomStatus(ctx context.Context, roomID string, status RoomStatus) error
	// KickAll ends the live session, if any; no live session is not an error.
	KickAll(ctx context.Context, roomID string) error
	// AddParticipant creates a participant, or, when one with the same
	// CustomID exists, returns it with a fresh token. So it is safe to retry.
	AddParticipant(ctx context.Context, roomID string, req AddParticipantRequest) (RemoteParticipant, error)
	// RefreshToken issues a new token for an existing participant.
	RefreshToken(ctx context.Context, roomID, participantID string) (string, error)
	// RemoveParticipant kicks the participant from a live session and deletes
	// it, which revokes every token it had. A missing one is not an error.
	RemoveParticipant(ctx context.Context, roomID, participantID string) error
	// ListPresets returns the names of the app's presets.
	ListPresets(ctx context.Context) ([]string, error)
}

// Priority orders calls to the video service within the shared API budget.
type Priority int

// Interactive calls (a person is waiting) go ahead of background ones.
const (
	PriorityInteractive Priority = iota
	PriorityBackground
)

type priorityKey struct{}

// WithPriority marks ctx's calls with p. Calls without a mark are interactive.
func WithPriority(ctx context.Context, p Priority) context.Context {
	return context.WithValue(ctx, priorityKey{}, p)
}

// PriorityFrom returns the priority carried by ctx.
func PriorityFrom(ctx context.Context) Priority {
	if p, ok := ctx.Value(priorityKey{}).(Priority); ok {
		return p
	}
	return PriorityInteractive
}

// Clock tells the time. It is injected so tests control it.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the wall clock.
var SystemClock Clock = ClockFunc(time.Now)
