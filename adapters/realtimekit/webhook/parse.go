package webhook

import (
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

// The webhook events meetbot subscribes to (RealtimeKit's names). Register
// asks for exactly these; Parse ignores every other event.
const (
	EventMeetingStarted     = "meeting.started"
	EventMeetingEnded       = "meeting.ended"
	EventParticipantJoined  = "meeting.participantJoined"
	EventParticipantLeft    = "meeting.participantLeft"
	EventRecordingStatus    = "recording.statusUpdate"
	EventMeetingSummary     = "meeting.summary"
	recordingStatusUploaded = "UPLOADED"
)

// Events lists the subscribed events in a stable order.
var Events = []string{
	EventMeetingStarted, EventMeetingEnded, EventParticipantJoined,
	EventParticipantLeft, EventRecordingStatus, EventMeetingSummary,
}

// payload is the union of the webhook bodies meetbot reads. RealtimeKit's
// webhook keys are camelCase, unlike its REST API. decodePayload fills it
// as json.Unmarshal would with these tags (a test checks that they agree).
type payload struct {
	Event       string       `json:"event"`
	Reason      string       `json:"reason"`
	Meeting     *meetingPart `json:"meeting"`
	Participant *peerPart    `json:"participant"`
	Recording   *recPart     `json:"recording"`
	// meeting.summary
	SummaryDownloadURL       string `json:"summaryDownloadUrl"`
	SummaryDownloadURLExpiry string `json:"summaryDownloadUrlExpiry"`
}

// meetingPart is the meeting object. Its title, roomName and status are
// not read, but decodePayload still refuses them when they are not
// strings, as the JSON decoder this replaced did.
type meetingPart struct {
	ID        string `json:"id"`
	SessionID string `json:"sessionId"`
	StartedAt string `json:"startedAt"`
	EndedAt   string `json:"endedAt"`
}

type peerPart struct {
	PeerID              string `json:"peerId"`
	UserDisplayName     string `json:"userDisplayName"`
	CustomParticipantID string `json:"customParticipantId"`
	ClientSpecificID    string `json:"clientSpecificId"`
	JoinedAt            string `json:"joinedAt"`
	LeftAt              string `json:"leftAt"`
}

type recPart struct {
	ID          string `json:"id"`
	RecordingID string `json:"recordingId"`
	Status      string `json:"status"`
	MeetingID   string `json:"meetingId"`
	StoppedTime string `json:"stoppedTime"`
}

// Parse reads one webhook body into a RoomEvent. ok is false, with no
// error, for a well-formed event meetbot does not act on (chat exports,
// livestreams, transcripts, recordings not yet uploaded); err is EINVALID
// for a body that is not a webhook at all. deliveryID becomes the event's
// DeliveryID. Parse never fails on a missing time: At is then zero.
func Parse(body []byte, deliveryID string) (ev core.RoomEvent, ok bool, err error) {
	var p payload
	if !decodePayload(body, &p) {
		return ev, false, core.Errorf(core.EINVALID, "The webhook body is not valid JSON, or a field has the wrong type.")
	}
	if p.Event == "" {
		return ev, false, core.Errorf(core.EINVALID, "The webhook body names no event.")
	}
	ev.DeliveryID = deliveryID
	if m := p.Meeting; m != nil {
		ev.RoomID = m.ID
		ev.SessionID = m.SessionID
		ev.SessionStarted = parseTime(m.StartedAt)
	}
	switch p.Event {
	case EventMeetingStarted:
		ev.Kind, ev.At = core.RoomStarted, ev.SessionStarted
	case EventMeetingEnded:
		ev.Kind, ev.Reason = core.RoomEnded, p.Reason
		if p.Meeting != nil {
			ev.At = parseTime(p.Meeting.EndedAt)
		}
	case EventParticipantJoined, EventParticipantLeft:
		pp := p.Participant
		if pp == nil {
			return ev, false, core.Errorf(core.EINVALID, "The participant event has no participant.")
		}
		ev.PeerID, ev.DisplayName = pp.PeerID, pp.UserDisplayName
		ev.CustomParticipantID = pp.CustomParticipantID
		if ev.CustomParticipantID == "" {
			ev.CustomParticipantID = pp.ClientSpecificID // the legacy alias
		}
		ev.Kind, ev.At = core.ParticipantJoined, parseTime(pp.JoinedAt)
		if p.Event == EventParticipantLeft {
			ev.Kind, ev.At = core.ParticipantLeft, parseTime(pp.LeftAt)
		}
	case EventRecordingStatus:
		r := p.Recording
		if r == nil {
			return ev, false, core.Errorf(core.EINVALID, "The recording event has no recording.")
		}
		if !strings.EqualFold(r.Status, recordingStatusUploaded) {
			return ev, false, nil
		}
		ev.Kind, ev.At = core.RecordingReady, parseTime(r.StoppedTime)
		ev.RecordingID = r.ID
		if ev.RecordingID == "" {
			ev.RecordingID = r.RecordingID
		}
		if ev.RoomID == "" {
			ev.RoomID = r.MeetingID
		}
		if ev.RecordingID == "" {
			return ev, false, core.Errorf(core.EINVALID, "The recording event names no recording.")
		}
	case EventMeetingSummary:
		ev.Kind = core.SummaryReady
		ev.DownloadURL = p.SummaryDownloadURL
		ev.DownloadExpiry = parseTime(p.SummaryDownloadURLExpiry)
		if p.Meeting != nil {
			ev.At = parseTime(p.Meeting.EndedAt)
		}
		if ev.DownloadURL == "" {
			return ev, false, core.Errorf(core.EINVALID, "The summary event has no download URL.")
		}
	default:
		return core.RoomEvent{}, false, nil
	}
	if ev.RoomID == "" {
		return ev, false, core.Errorf(core.EINVALID, "The webhook names no meeting.")
	}
	return ev, true, nil
}

// parseTime reads RealtimeKit's ISO-8601 times (with or without
// fractional seconds); anything else is the zero time.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
