package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core/recur"
	"github.com/rs/zerolog"
)

// ScheduleRequest is a new meeting as any adapter collects it (a parsed
// command line, a Slack modal, Discord options).
type ScheduleRequest struct {
	Title    string
	Start    time.Time
	TimeZone string        // IANA zone the start was written in; "" → the actor's
	Duration time.Duration // 0 → the default
	Invitees []string
	Private  bool
	// Recurrence is an RRULE body ("FREQ=WEEKLY;BYDAY=MO") evaluated in
	// TimeZone from Start's wall clock; empty for a one-off meeting.
	Recurrence string
	// Now asks for a meeting starting at once; Start is ignored.
	Now bool
}

// scheduling turns a request for a new meeting into a stored meeting with
// its room and its due jobs.
type scheduling struct {
	store   MeetingStore
	access  *access
	people  *people
	rooms   *rooms
	planner *planner
	cfg     Config // title and duration limits, the default duration
	clock   Clock
	log     zerolog.Logger
}

// Schedule stores a meeting with its room job (JobRoom) in one commit and
// returns at once. The scheduler runs that job right away: it first writes
// the meeting's other jobs (reminders, opening, closing; planFirst, a store
// write only) and then makes the video room upstream, so scheduling works,
// and answers after one small commit, while RealtimeKit is slow or down. The meeting stays pending until its room is
// recorded; a join before then creates the room on the spot (ensureRoom),
// and RoomTag and RoomAttempts make sure only one room ever exists.
//
// "/meet now" (req.Now) still creates the room inline, since the person
// wants to join at once: a failure there is reported and the intent
// removed (or left for recovery when the outcome is unknown).
func (s *scheduling) Schedule(ctx context.Context, a Actor, req ScheduleRequest) (*Meeting, error) {
	// Who may schedule is a workspace setting (see settings.go): checked
	// before anything is stored, for "/meet now" too (Now requests).
	if err := s.access.mayCreate(ctx, a); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	m, err := s.newMeeting(ctx, a, req, now)
	if err != nil {
		return nil, err
	}
	if req.Now {
		return s.scheduleNow(ctx, m)
	}
	// The meeting and its room job, in one commit; the job plans the rest
	// (planFirst) before it calls upstream.
	if err := s.store.CreatePlannedMeeting(ctx, m, func(c *Meeting) []DueJob { return []DueJob{roomJob(c)} }); err != nil {
		return nil, fmt.Errorf("record meeting: %w", err)
	}
	s.planner.woken()
	s.log.Info().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Str("channel", m.Channel).Time("start", m.Start).Msg("meeting scheduled; room to follow")
	return m, nil
}

// scheduleNow stores a meeting that starts at once and creates its room
// before answering, in two phases: the intent is recorded first, then the
// room is created upstream, then its id recorded. A crash or an ambiguous
// failure between the phases is resolved by finding the room by its tag.
func (s *scheduling) scheduleNow(ctx context.Context, m *Meeting) (*Meeting, error) {
	if err := s.store.CreateMeeting(ctx, m); err != nil {
		return nil, fmt.Errorf("record meeting intent: %w", err)
	}
	log := s.log.With().Str("workspace", m.Workspace.String()).Str("meeting", m.ID).Logger()
	m, err := s.rooms.createRoomOnce(ctx, m, true)
	if err != nil {
		log.Warn().Err(err).Msg("room creation failed")
		return nil, err
	}
	s.planner.planLogged(ctx, m)
	log.Info().Str("channel", m.Channel).Time("start", m.Start).Msg("meeting started")
	return m, nil
}

// newMeeting validates req and builds the pending record. Each part of the
// request is checked in turn, so the person hears about the first thing to
// change, in the order they wrote it.
func (s *scheduling) newMeeting(ctx context.Context, a Actor, req ScheduleRequest, now time.Time) (*Meeting, error) {
	title := strings.TrimSpace(req.Title)
	if title == "" {
		return nil, Errorf(EINVALID, "The meeting needs a title, for example \"/meet schedule Weekly sync tomorrow 3pm\".")
	}
	if err := CheckTitle(title, s.cfg.MaxTitle); err != nil {
		return nil, err
	}
	d, err := s.duration(req.Duration)
	if err != nil {
		return nil, err
	}
	zone := req.TimeZone
	if zone == "" {
		zone = s.people.Location(ctx, a).String()
	}
	if _, err := LoadZone(zone); err != nil {
		return nil, Errorf(EINVALID, "%q is not a time zone I know. Use an IANA name such as \"Europe/Berlin\".", zone)
	}
	start, err := startOf(req, zone, now)
	if err != nil {
		return nil, err
	}
	invitees, err := inviteesOf(req.Invitees, a.User.UserID)
	if err != nil {
		return nil, err
	}
	return &Meeting{
		Workspace:     a.User.Workspace,
		Channel:       a.Channel,
		Title:         title,
		Organizer:     a.User.UserID,
		OrganizerName: a.Name,
		Start:         start,
		TimeZone:      zone,
		Duration:      d,
		Recurrence:    req.Recurrence,
		Private:       req.Private,
		Invitees:      invitees,
		State:         StatePending,
		RoomTag:       newRoomTag(),
		CreatedAt:     now,
		UpdatedAt:     now,
	}, nil
}

// duration is the requested length, or the default, within the limits.
func (s *scheduling) duration(d time.Duration) (time.Duration, error) {
	if d == 0 {
		d = s.cfg.DefaultDuration
	}
	if d < time.Minute {
		return 0, Errorf(EINVALID, "A meeting must last at least a minute, for example \"for 30m\".")
	}
	if d > s.cfg.MaxDuration {
		return 0, Errorf(EINVALID, "A meeting can last at most %s; \"for 1h30m\" is a valid example.", HumanDuration(s.cfg.MaxDuration))
	}
	return d, nil
}

// startOf is the requested start, checked against now: not past, not more
// than two years ahead, and produced by the rule of a series written in
// zone.
func startOf(req ScheduleRequest, zone string, now time.Time) (time.Time, error) {
	start := req.Start
	if req.Now {
		start = now.Truncate(time.Second)
	}
	if start.IsZero() {
		return start, Errorf(EINVALID, "When should it start? For example \"/meet schedule Weekly sync tomorrow 3pm\".")
	}
	if !req.Now && start.Before(now.Add(-time.Minute)) {
		return start, Errorf(EINVALID, "That start time has already passed. Pick a time in the future, for example \"tomorrow 3pm\".")
	}
	if start.After(now.AddDate(2, 0, 1)) {
		return start, Errorf(EINVALID, "That is more than two years ahead. Pick a nearer date, for example \"next monday 10:30\".")
	}
	if req.Recurrence != "" {
		if err := recur.Validate(req.Recurrence, start.In(loadZone(zone))); err != nil {
			return start, Wrap(EINVALID, err, err.Error())
		}
	}
	return start, nil
}

// inviteesOf checks the people named for a new meeting and returns them
// once each, without the organizer, who is in it anyway.
func inviteesOf(users []string, organizer string) ([]string, error) {
	invitees := make([]string, 0, len(users))
	for _, u := range users {
		if err := checkText("invitee", u, 64); err != nil || u == "" {
			return nil, Errorf(EINVALID, "%q is not a user I can invite. Mention people, for example \"with @ana @bo\".", u)
		}
		if u != organizer && !slices.Contains(invitees, u) {
			invitees = append(invitees, u)
		}
	}
	if len(invitees) > 500 {
		return nil, Errorf(EINVALID, "That is %d invitees; the limit is 500. Invite a channel instead and leave the meeting open to it.", len(invitees))
	}
	return invitees, nil
}
