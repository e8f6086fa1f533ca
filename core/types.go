package core

import (
	"slices"
	"time"
)

// Platform names the chat system a workspace lives on.
type Platform string

// The platforms meetbot speaks to.
const (
	PlatformConsole Platform = "console"
	PlatformSlack   Platform = "slack"
	PlatformDiscord Platform = "discord"
)

// WorkspaceKey identifies one installed Slack team or Discord guild. Every
// stored record is scoped by it, so a user of one workspace can never reach
// another's meetings whatever id they type.
type WorkspaceKey struct {
	Platform Platform
	ID       string
}

// String renders the key as "platform:id" for logs.
func (w WorkspaceKey) String() string { return string(w.Platform) + ":" + w.ID }

// UserKey identifies a person within a workspace.
type UserKey struct {
	Workspace WorkspaceKey
	UserID    string
}

// String renders the key as "platform:workspace:user". It is used to derive
// opaque ids (HMAC inputs), never shown upstream as is.
func (u UserKey) String() string { return u.Workspace.String() + ":" + u.UserID }

// Workspace holds per-workspace settings. Zero values mean "use the
// configured default", so a workspace that never changed anything follows the
// operator's config.
type Workspace struct {
	Key             WorkspaceKey
	DefaultTimeZone string
	EarlyJoin       *time.Duration
	Grace           *time.Duration
	// Reminders are the lead times of channel reminders ("10m, 0s"); nil
	// means the configured default.
	Reminders []time.Duration
	// DMReminders also reminds invitees and "yes" RSVPs personally.
	DMReminders bool
	// AdminsOnly lets only workspace admins schedule meetings.
	AdminsOnly bool
	// Admins are user ids given admin rights in meetbot besides the people
	// the platform says are admins.
	Admins []string
	// Recordings posts a link to each uploaded recording (to the organizer,
	// and a note to the channel); off by default, since a recording can hold
	// what people said off the record.
	Recordings bool
	// Summaries posts RealtimeKit's AI summary in the meeting's thread (or
	// to the organizer, for a private meeting); off by default.
	Summaries bool
	// Media overrides the operator's camera and screen-share quality;
	// zero fields follow the config.
	Media     MediaSettings
	UpdatedAt time.Time
}

// User is what we remember about a person: a display name and a zone, so
// "tomorrow 3pm" means their 3pm.
type User struct {
	Key         UserKey
	DisplayName string
	TimeZone    string
	// ZoneHinted records that the person was told which zone was assumed
	// for them (platforms with no user zone), so they are told only once.
	ZoneHinted bool
	UpdatedAt  time.Time
}

// MeetingState is the lifecycle state we store. Whether a scheduled meeting
// is upcoming, open or over is derived from the clock (see Window), not
// stored, so it can never be stale.
type MeetingState string

// The stored meeting states.
const (
	// StatePending marks the first phase of a two-phase create: the intent is
	// recorded but the RealtimeKit room is not yet known to exist.
	StatePending   MeetingState = "pending"
	StateScheduled MeetingState = "scheduled"
	StateCancelled MeetingState = "cancelled"
	// StateEnded marks a meeting with no occurrence left; the scheduler sets
	// it when the last window closes, so listings need not look at history.
	StateEnded MeetingState = "ended"
	// StateFailed marks an intent that was given up (the user was told to try
	// again). Its room, if one turned up upstream, stays tracked and inactive.
	StateFailed MeetingState = "failed"
)

// RoomStatus mirrors RealtimeKit's meeting status as we last set it.
type RoomStatus string

// RealtimeKit's two meeting statuses.
const (
	RoomActive   RoomStatus = "ACTIVE"
	RoomInactive RoomStatus = "INACTIVE"
)

// Meeting is one scheduled meeting (a one-off meeting has exactly one
// occurrence). Start is an instant; TimeZone is the IANA zone it was written
// in, kept so that rendering and recurrence use the organizer's wall clock.
type Meeting struct {
	Workspace WorkspaceKey
	ID        string // short, human-typable, unique within the workspace
	Channel   string
	Title     string
	Organizer string // user id
	// OrganizerName is the display name at scheduling time, for replies.
	OrganizerName string
	CoHosts       []string
	Start         time.Time
	TimeZone      string
	Duration      time.Duration
	// Recurrence is an RRULE evaluated in TimeZone; empty for one-off meetings.
	Recurrence string
	Private    bool
	Invitees   []string
	Removed    []string
	// Exceptions change single occurrences of a series (skip or move), keyed
	// by the occurrence's start as the rule gives it (RFC 5545 RECURRENCE-ID).
	Exceptions []Exception
	// RSVPs maps user id to their answer for the meeting (the whole series).
	RSVPs map[string]RSVP
	// Card is the meeting card the chat adapter posted when it was
	// scheduled; zero when none was posted or the adapter cannot edit it.
	Card MessageRef
	// Mirror is a copy of the meeting kept on the platform's own calendar
	// (a Discord Guild Scheduled Event), so it can be moved or cancelled
	// with the meeting; zero when none.
	Mirror MessageRef

	State       MeetingState
	CancelledBy string
	CancelledAt time.Time

	// RoomID is the RealtimeKit meeting id, empty until phase two of create.
	RoomID string
	// RoomTag is a random marker put in the upstream title so that an
	// ambiguous create (timeout, 5xx) can be resolved by searching for it.
	RoomTag string
	// RoomStatus is the status we last set upstream.
	RoomStatus RoomStatus
	// Abandoned marks a pending intent whose user was told it failed. Recovery
	// looks for its room upstream: found, it is kept tracked and INACTIVE;
	// not found, the intent is deleted.
	Abandoned bool
	// RoomAttempts counts the upstream creations started under RoomTag. It
	// is stored before each attempt, so a non-zero count means a room may
	// exist upstream that meetbot has not recorded, and the next attempt
	// looks it up by its tag before creating (at most one room per tag).
	RoomAttempts int
	// RoomAttemptAt is when the last of those attempts started. For a while
	// after it (an attempt's deadline) another process leaves the room to
	// that attempt instead of creating a second one beside it.
	RoomAttemptAt time.Time

	CreatedAt time.Time
	UpdatedAt time.Time
	// Version increases with every stored change; stores use it for
	// optimistic concurrency.
	Version int64
}

// End returns the end instant of the (first) occurrence.
func (m *Meeting) End() time.Time { return m.Start.Add(m.Duration) }

// IsHost reports whether user gets the host preset: the organizer and co-hosts.
func (m *Meeting) IsHost(user string) bool {
	return user == m.Organizer || slices.Contains(m.CoHosts, user)
}

// IsRemoved reports whether user was removed from the meeting.
func (m *Meeting) IsRemoved(user string) bool { return slices.Contains(m.Removed, user) }

// IsInvited reports whether user is an invitee, host or organizer.
func (m *Meeting) IsInvited(user string) bool {
	return m.IsHost(user) || slices.Contains(m.Invitees, user)
}

// RSVPCounts counts the answers.
func (m *Meeting) RSVPCounts() (yes, no, maybe int) {
	for _, r := range m.RSVPs {
		switch r {
		case RSVPYes:
			yes++
		case RSVPNo:
			no++
		case RSVPMaybe:
			maybe++
		}
	}
	return
}

// personalRecipients are the people reminded by DM: invitees and everyone
// who said yes (and, for a private meeting, its hosts), minus removed users
// and those who said no.
func personalRecipients(m *Meeting) []string {
	var out []string
	add := func(u string) {
		if u != "" && !slices.Contains(out, u) && !m.IsRemoved(u) && m.RSVPs[u] != RSVPNo {
			out = append(out, u)
		}
	}
	if m.Private {
		// Nobody learns of a private meeting from the channel, its hosts
		// included.
		add(m.Organizer)
		for _, u := range m.CoHosts {
			add(u)
		}
	}
	for _, u := range m.Invitees {
		add(u)
	}
	for u, r := range m.RSVPs {
		if r == RSVPYes {
			add(u)
		}
	}
	slices.Sort(out)
	return out
}

// yesRSVPs lists the people who said yes.
func yesRSVPs(m *Meeting) []string {
	var out []string
	for u, r := range m.RSVPs {
		if r == RSVPYes && !m.IsRemoved(u) {
			out = append(out, u)
		}
	}
	return out
}

// Clone returns a deep copy, so callers can change a meeting without
// touching a value another goroutine may hold.
func (m *Meeting) Clone() *Meeting {
	c := *m
	c.CoHosts = slices.Clone(m.CoHosts)
	c.Invitees = slices.Clone(m.Invitees)
	c.Removed = slices.Clone(m.Removed)
	c.Exceptions = slices.Clone(m.Exceptions)
	if m.RSVPs != nil {
		c.RSVPs = make(map[string]RSVP, len(m.RSVPs))
		for k, v := range m.RSVPs {
			c.RSVPs[k] = v
		}
	}
	return &c
}

// Exception changes one occurrence of a series.
type Exception struct {
	// Original is the occurrence's start as the rule gives it.
	Original time.Time
	// Skipped drops the occurrence.
	Skipped bool
	// Start, when not zero, is where the occurrence moved to.
	Start time.Time
}

// RSVP is a person's answer.
type RSVP string

// The three answers.
const (
	RSVPYes   RSVP = "yes"
	RSVPNo    RSVP = "no"
	RSVPMaybe RSVP = "maybe"
)

// Participant links a (meeting, user) to its RealtimeKit participant. It is
// created once and reused across occurrences and devices, so a second join
// costs no upstream call.
type Participant struct {
	Meeting  string // meeting id, within User.Workspace
	User     UserKey
	RemoteID string // RealtimeKit participant id
	CustomID string // the opaque custom_participant_id we sent
	Preset   string
	// Name is the display name sent upstream (and shown on the join page).
	Name      string
	Token     string // the participant's auth token; a secret, never logged
	IssuedAt  time.Time
	UpdatedAt time.Time
}

// Occurrence is one instance of a meeting in time.
type Occurrence struct {
	Start time.Time
	End   time.Time
	// Original is the start the recurrence rule gives; it differs from
	// Start only for a moved occurrence, and identifies the occurrence in
	// Exceptions.
	Original time.Time
}

// MessageRef points at a message a chat adapter posted (a Slack channel and
// ts, a Discord channel and message id), so the adapter can edit it later.
// Core stores it and hands it back; what the two strings mean is the
// adapter's business.
type MessageRef struct {
	Channel string
	ID      string
}

// IsZero reports whether no message is referenced.
func (r MessageRef) IsZero() bool { return r.Channel == "" || r.ID == "" }
