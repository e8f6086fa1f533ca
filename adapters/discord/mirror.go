package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/recur"
)

// Discord's limits on a guild scheduled event
// (developers/resources/guild-scheduled-event): over any of them the
// create fails with 400, so every text is cut to fit instead.
const (
	maxEventName     = 100
	maxEventDesc     = 1000
	maxEventLocation = 100
)

// EventLocation is what a mirrored meeting's event shows as its location:
// the meeting's public info page when its URL fits Discord's 100
// characters, else how to join from Discord. An EXTERNAL event must have a
// location, and it is never a join link: a personal link is only ever
// handed out in an ephemeral reply.
func EventLocation(infoURL, id string) string {
	if infoURL != "" && units(infoURL) <= maxEventLocation {
		return infoURL
	}
	return fit("Discord: /meet join "+id, maxEventLocation)
}

// eventText is the event's name and description: the title, then who
// organizes it, how it repeats, how to join (each person gets their own
// link from the bot) and the public info page.
func (a *Adapter) eventText(m *core.Meeting) (name, desc string) {
	name = strings.TrimSpace(m.Title)
	if name == "" {
		name = "Meeting " + m.ID
	}
	var d strings.Builder
	who := m.OrganizerName
	if who == "" && m.Organizer != "" {
		who = "<@" + m.Organizer + ">"
	}
	if who != "" {
		fmt.Fprintf(&d, "Organized by %s.\n", who)
	}
	if m.IsRecurring() {
		loc, err := core.LoadZone(m.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		fmt.Fprintf(&d, "Repeats %s (%s).\n", recur.Describe(m.Recurrence, loc), m.TimeZone)
	}
	fmt.Fprintf(&d, "Join with /meet join %s or the Join button on the meeting card: each person gets their own link.\n", m.ID)
	d.WriteString("Details: " + a.opts.Service.InfoURL(m))
	return fit(name, maxEventName), fit(d.String(), maxEventDesc)
}

// eventFor is the event mirroring m's current occurrence, or nil when
// that occurrence has already started: Discord refuses a scheduled start
// in the past.
func (a *Adapter) eventFor(ctx context.Context, m *core.Meeting) *dg.GuildScheduledEventParams {
	svc := a.opts.Service
	occ, _ := svc.Current(ctx, m)
	if !occ.Start.After(svc.Now()) {
		return nil
	}
	start, end := occ.Start.UTC(), occ.End.UTC()
	if !end.After(start) {
		end = start.Add(time.Minute) // an EXTERNAL event needs an end after its start
	}
	name, desc := a.eventText(m)
	return &dg.GuildScheduledEventParams{
		Name:               name,
		Description:        desc,
		ScheduledStartTime: &start,
		ScheduledEndTime:   &end,
		PrivacyLevel:       dg.GuildScheduledEventPrivacyLevelGuildOnly,
		EntityType:         dg.GuildScheduledEventEntityTypeExternal,
		EntityMetadata:     &dg.GuildScheduledEventEntityMetadata{Location: EventLocation(svc.InfoURL(m), m.ID)},
	}
}

// createEvent creates the event mirroring m in guild, returning its id;
// "" with a nil error when there is nothing to mirror.
func (a *Adapter) createEvent(ctx context.Context, guild string, m *core.Meeting) (string, error) {
	p := a.eventFor(ctx, m)
	if p == nil {
		return "", nil
	}
	var ev *dg.GuildScheduledEvent
	err := a.rest(ctx, func(opts ...dg.RequestOption) error {
		var err error
		ev, err = a.session.GuildScheduledEventCreate(guild, p, append(opts, dg.WithAuditLogReason("meetbot meeting "+m.ID))...)
		return err
	})
	if err != nil {
		return "", err
	}
	if ev == nil || ev.ID == "" {
		return "", errors.New("discord answered without an event id")
	}
	return ev.ID, nil
}

// mirror creates the Guild Scheduled Event for a meeting just scheduled
// in guild and records it on the meeting, when MirrorEvents is on. It is
// best effort: a failure (Create Events not granted, the guild's 100
// events reached) is one log line, and the meeting stands as scheduled.
func (a *Adapter) mirror(ctx context.Context, guild string, m *core.Meeting) {
	if !a.opts.MirrorEvents || a.opts.BotToken == "" || m.Private || guild == "" {
		return
	}
	id, err := a.createEvent(ctx, guild, m)
	if err != nil {
		a.log.Warn().Str("guild", guild).Str("meeting", m.ID).Str("error", describe(err)).
			Msg("could not create the discord scheduled event for the meeting (does the bot have Create Events?); the meeting is scheduled without it")
		return
	}
	if id == "" {
		return
	}
	if _, err := a.opts.Service.SetMirror(ctx, m.Workspace, m.ID, core.MessageRef{Channel: guild, ID: id}); err != nil {
		// An event nobody can move or cancel would go stale: remove it.
		a.log.Warn().Err(err).Str("meeting", m.ID).Msg("could not record the discord scheduled event; removing it")
		_ = a.deleteEvent(ctx, guild, id)
	}
}

// deleteEvent deletes one event; an event already gone is not an error.
func (a *Adapter) deleteEvent(ctx context.Context, guild, id string) error {
	err := a.rest(ctx, func(opts ...dg.RequestOption) error {
		return a.session.GuildScheduledEventDelete(guild, id, opts...)
	})
	if restCode(err) == dg.ErrCodeUnknownGuildScheduledEvent {
		return nil
	}
	return err
}

// syncMirror brings m's event in line with m after ev: gone once the
// meeting is cancelled or over, on the new occurrence after a move, skip
// or the end of one meeting of a series. RSVPs, invitations and starts
// change nothing Discord shows. It never calls back into core beyond
// SetMirror, which redraws nothing, so it cannot loop.
func (a *Adapter) syncMirror(ctx context.Context, m *core.Meeting, ev core.CardEvent) error {
	if m.Mirror.IsZero() {
		return nil
	}
	switch {
	case ev == core.CardCancelled || m.State != core.StateScheduled && m.State != core.StatePending:
		return a.dropMirror(ctx, m)
	case ev == core.CardMoved || ev == core.CardSkipped:
		return a.moveMirror(ctx, m)
	case ev == core.CardEnded:
		// The event of the meeting that ended is COMPLETED by Discord at
		// its end time, and COMPLETED is final: the series' next meeting
		// gets an event of its own.
		return a.replaceMirror(ctx, m)
	}
	return nil
}

// dropMirror deletes m's event and forgets it.
func (a *Adapter) dropMirror(ctx context.Context, m *core.Meeting) error {
	if err := a.deleteEvent(ctx, m.Mirror.Channel, m.Mirror.ID); err != nil {
		return redact("discord: delete the scheduled event", err)
	}
	return a.setMirror(ctx, m, core.MessageRef{})
}

// moveMirror edits m's event to the current occurrence. An occurrence
// already started keeps its start (Discord refuses one in the past) and
// only its end is moved; an event Discord will not edit (400: active or
// completed) is replaced.
func (a *Adapter) moveMirror(ctx context.Context, m *core.Meeting) error {
	svc := a.opts.Service
	occ, _ := svc.Current(ctx, m)
	now := svc.Now()
	p := &dg.GuildScheduledEventParams{}
	start, end := occ.Start.UTC(), occ.End.UTC()
	switch {
	case start.After(now):
		p.ScheduledStartTime, p.ScheduledEndTime = &start, &end
	case end.After(now):
		p.ScheduledEndTime = &end
	default:
		return nil
	}
	err := a.rest(ctx, func(opts ...dg.RequestOption) error {
		_, err := a.session.GuildScheduledEventEdit(m.Mirror.Channel, m.Mirror.ID, p, opts...)
		return err
	})
	switch {
	case err == nil:
		return nil
	case restCode(err) == dg.ErrCodeUnknownGuildScheduledEvent:
		return a.forget(ctx, m)
	case restStatus(err) == http.StatusBadRequest:
		return a.replaceMirror(ctx, m)
	}
	return redact("discord: edit the scheduled event", err)
}

// replaceMirror deletes m's event and creates one for the current
// occurrence; m keeps no event when that has already started or the
// create fails (one log line).
func (a *Adapter) replaceMirror(ctx context.Context, m *core.Meeting) error {
	guild := m.Mirror.Channel
	if err := a.deleteEvent(ctx, guild, m.Mirror.ID); err != nil {
		return redact("discord: delete the scheduled event", err)
	}
	id, err := a.createEvent(ctx, guild, m)
	if err != nil {
		a.log.Warn().Str("guild", guild).Str("meeting", m.ID).Str("error", describe(err)).
			Msg("could not create the discord scheduled event for the meeting's next occurrence; it is no longer mirrored")
	}
	ref := core.MessageRef{}
	if id != "" {
		ref = core.MessageRef{Channel: guild, ID: id}
	}
	return a.setMirror(ctx, m, ref)
}

// forget drops the record of an event someone deleted in Discord.
func (a *Adapter) forget(ctx context.Context, m *core.Meeting) error {
	a.log.Info().Str("guild", m.Mirror.Channel).Str("meeting", m.ID).
		Msg("the discord scheduled event of the meeting was deleted in discord; it is no longer mirrored")
	return a.setMirror(ctx, m, core.MessageRef{})
}

// setMirror records ref as m's event, in the store and on m.
func (a *Adapter) setMirror(ctx context.Context, m *core.Meeting, ref core.MessageRef) error {
	if _, err := a.opts.Service.SetMirror(ctx, m.Workspace, m.ID, ref); err != nil && core.ErrorCode(err) != core.ENOTFOUND {
		return fmt.Errorf("discord: record the scheduled event: %w", err)
	}
	m.Mirror = ref
	return nil
}

// restStatus returns the HTTP status of a failed REST call, 0 if none.
func restStatus(err error) int {
	if re, ok := errors.AsType[*dg.RESTError](err); ok && re.Response != nil {
		return re.Response.StatusCode
	}
	return 0
}
