package core

import (
	"context"
	"time"
)

// RoomEventKind names what happened in a RealtimeKit room. The values are
// also the event names the console prints in --json, so they are stable.
type RoomEventKind string

// The room events meetbot acts on. Webhooks (meeting.started, …) and the
// active-session poller both produce these, so the rest of meetbot does not
// care which of the two saw the room.
const (
	RoomStarted       RoomEventKind = "started"
	ParticipantJoined RoomEventKind = "participant_joined"
	ParticipantLeft   RoomEventKind = "participant_left"
	RoomEnded         RoomEventKind = "ended"
	RecordingReady    RoomEventKind = "recording"
	SummaryReady      RoomEventKind = "summary"
)

// RoomEvent is one thing that happened in a room, as RealtimeKit reported
// it. It carries upstream ids only; mapping RoomID to a meeting and
// CustomParticipantID to a person is the Service's job, so an adapter never
// needs the store.
type RoomEvent struct {
	// DeliveryID identifies the delivery for deduplication (the webhook's
	// rtk-uuid, or a poller-made id); a replayed delivery has the same one.
	DeliveryID string
	Kind       RoomEventKind
	// RoomID is the RealtimeKit meeting id (Meeting.RoomID).
	RoomID string
	// SessionID is the RealtimeKit session: one per stretch of the room
	// being live, which is how events are attributed to an occurrence.
	SessionID string
	// At is when it happened upstream (joinedAt, leftAt, startedAt,
	// endedAt, …); zero when the payload had no time.
	At time.Time
	// SessionStarted is the session's startedAt when the payload carries it.
	SessionStarted time.Time

	// Participant fields, for ParticipantJoined and ParticipantLeft.
	// PeerID is one device's connection: one person on two devices is two
	// peers with the same CustomParticipantID.
	PeerID              string
	CustomParticipantID string
	DisplayName         string

	// Reason is meeting.ended's reason (HOST_ENDED_MEETING,
	// ALL_PARTICIPANTS_LEFT) or empty.
	Reason string

	// Recording fields, for RecordingReady (status UPLOADED only).
	RecordingID string
	// Summary fields, for SummaryReady: where RealtimeKit put the summary.
	// Both URLs expire and are secrets to the room: never post or log them.
	DownloadURL    string
	DownloadExpiry time.Time
}

// RoomEventHandler takes room events in. The webhook endpoint and the
// poller call it after the event is durably received; it must be safe to
// call more than once with the same event (deliveries are at least once)
// and with events out of order.
type RoomEventHandler interface {
	HandleRoomEvent(ctx context.Context, ev RoomEvent) error
}

// SessionParticipant is one person's presence in a RealtimeKit session, as
// the sessions API reports it.
type SessionParticipant struct {
	CustomParticipantID string
	DisplayName         string
	JoinedAt            time.Time
	LeftAt              time.Time // zero while still in the room
}

// LiveSession is a room's session as the active-session API reports it:
// what the poller compares with what it saw last time when no webhooks
// reach meetbot.
type LiveSession struct {
	ID           string
	Live         bool
	StartedAt    time.Time
	EndedAt      time.Time
	Participants []SessionParticipant
}

// RoomInsight is what RealtimeKit tells about rooms after they are made:
// sessions, recordings, summaries. It is separate from Conference so a
// Conference without it still works (meetbot then shows no live state).
type RoomInsight interface {
	// ActiveSession returns the room's live session; ok is false when none
	// is live.
	ActiveSession(ctx context.Context, roomID string) (s LiveSession, ok bool, err error)
	// RecordingURL returns a fresh download URL for a recording and when it
	// expires. The URL is a secret: redirect to it, never post or log it.
	RecordingURL(ctx context.Context, recordingID string) (url string, expires time.Time, err error)
	// Summary returns the AI summary text of a session; ENOTFOUND when none
	// exists (transcription off in the preset, or not made yet).
	Summary(ctx context.Context, sessionID string) (string, error)
	// FetchSummary downloads the summary a summary event pointed at.
	FetchSummary(ctx context.Context, downloadURL string) (string, error)
}
