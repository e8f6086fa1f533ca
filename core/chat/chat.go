// Package chat owns the text conversation every chat adapter shares: it
// parses a "/meet …" line with core/command, calls core.Service, and returns
// a Reply holding both the structured result and a plain-text rendering.
// Adapters that can do better (Slack's <!date>, Discord's <t:…>) render the
// structured fields themselves; the console prints Text as it is.
package chat

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/command"
)

// Reply is the answer to one command line.
type Reply struct {
	// OK is false when the command failed; Err then says why.
	OK bool
	// Text is the plain-text answer, one or a few lines.
	Text string
	// Err is the typed error when OK is false.
	Err *core.Error
	// Meeting is the meeting the command was about, if any.
	Meeting *core.Meeting
	// Meetings is set by list.
	Meetings []*core.Meeting
	// JoinURL is a personal link; it must be shown to the actor only.
	JoinURL string
	// Private is true when the reply must not be shown to anyone but the
	// actor (it holds a personal link).
	Private bool
	// Verb is the command that was run ("" when the line did not parse).
	Verb command.Verb
	// Note is a one-time hint for the actor that goes with the answer (the
	// time zone their times were read in, when they never chose one). It
	// is also the last line of Text; adapters that show something other
	// than Text (a card) show Note to the actor on its own.
	Note string
	// Settings is set by settings: the workspace's settings in force after
	// the command.
	Settings *core.WorkspaceSettings
	// Rooms is set by info: the room of each of the meeting's last
	// occurrences, newest first (empty for a private meeting unless the
	// actor is invited or a host).
	Rooms []core.RoomState
	// Summary is set by summary: the AI summary text.
	Summary string
}

// Handler runs command lines against a Service.
type Handler struct {
	svc *core.Service
	// ownList is set by adapters that render Reply.Meetings themselves,
	// so list replies skip building a plain text nobody shows.
	ownList bool
}

// New returns a Handler for svc.
func New(svc *core.Service) *Handler { return &Handler{svc: svc} }

// NewRenderingLists returns a Handler for an adapter that renders list
// replies from Reply.Meetings itself: their Text stays empty, which saves
// formatting every meeting twice on the busiest read.
func NewRenderingLists(svc *core.Service) *Handler { return &Handler{svc: svc, ownList: true} }

// Handle parses and runs one line typed by a. It never returns a Go error:
// failures become a Reply with OK false and a plain sentence, because every
// adapter has to show something to the person who typed.
func (h *Handler) Handle(ctx context.Context, a core.Actor, line string) Reply {
	start := time.Now()
	r := h.handle(ctx, a, line)
	verb := string(r.Verb)
	if verb == "" {
		verb = "unknown" // the line did not parse: no verb to name
	}
	outcome := "ok"
	if !r.OK && r.Err != nil {
		outcome = string(r.Err.Code)
	}
	h.svc.Observer().CommandDone(a.User.Workspace.Platform, verb, outcome, time.Since(start))
	return r
}

// handle is Handle without the observation.
func (h *Handler) handle(ctx context.Context, a core.Actor, line string) Reply {
	// One command reads the workspace's settings several times; read once.
	ctx = core.WithRequestMemo(ctx)
	loc, src := h.svc.LocationSource(ctx, a)
	now := h.svc.Now()
	cmd, err := command.Parse(line, command.Context{Now: now, Location: loc, MaxTitle: h.svc.Config().MaxTitle})
	if err != nil {
		return failure("", err)
	}
	r := h.run(ctx, a, cmd, loc, now)
	r.Verb = cmd.Verb
	if !r.OK {
		return r
	}
	if note := ZoneUnreadNote(a, loc, src); note != "" && readsTime(cmd) {
		addNote(&r, note)
	} else if a.ZoneUnread == "" && (cmd.Verb == command.VerbSchedule || cmd.Verb == command.VerbNow) &&
		(src == core.ZoneFromWorkspace || src == core.ZoneFromConfig) {
		h.addZoneHint(ctx, a, &r)
	}
	return r
}

// run dispatches one parsed command to the service and words the answer.
func (h *Handler) run(ctx context.Context, a core.Actor, cmd command.Command, loc *time.Location, now time.Time) Reply {
	switch cmd.Verb {
	case command.VerbHelp:
		return Reply{OK: true, Text: command.HelpTopic(cmd.Topic)}
	case command.VerbSchedule, command.VerbNow:
		return h.runSchedule(ctx, a, cmd, loc, now)
	case command.VerbList:
		ms, err := h.svc.List(ctx, a)
		if err != nil {
			return failure(cmd.Verb, err)
		}
		if h.ownList {
			return Reply{OK: true, Meetings: ms}
		}
		return Reply{OK: true, Text: listText(ms, loc, now), Meetings: ms}
	case command.VerbInfo:
		m, err := h.svc.Info(ctx, a, cmd.MeetingID)
		if err != nil {
			return failure(cmd.Verb, err)
		}
		occ, w := h.svc.Current(ctx, m)
		rooms, err := h.svc.RoomHistory(ctx, a, m)
		if err != nil {
			return failure(cmd.Verb, err)
		}
		text := infoText(m, occ, w, loc, now)
		if rt := roomsText(m, rooms, loc, now); rt != "" {
			text += "\n" + rt
		}
		return Reply{OK: true, Text: text, Meeting: m, Rooms: rooms}
	case command.VerbSummary:
		return h.runSummary(ctx, a, cmd)
	case command.VerbJoin:
		return h.runJoin(ctx, a, cmd, loc, now)
	case command.VerbCancel:
		return h.runCancel(ctx, a, cmd)
	case command.VerbInvite, command.VerbRemove:
		return h.runPeople(ctx, a, cmd)
	case command.VerbSkip, command.VerbMove, command.VerbRSVP, command.VerbICS:
		return h.runSeries(ctx, a, cmd, loc, now)
	case command.VerbSettings:
		return h.runSettings(ctx, a, cmd)
	case command.VerbTZ:
		l, err := h.svc.SetTimeZone(ctx, a, cmd.TimeZone)
		if err != nil {
			return failure(cmd.Verb, err)
		}
		return Reply{OK: true, Text: fmt.Sprintf("Your time zone is now %s (it is %s there).", l.String(), now.In(l).Format("15:04 MST"))}
	}
	return failure(cmd.Verb, core.Errorf(core.EINVALID, "I don't know that command. Try \"/meet help\"."))
}

// runSchedule is /meet schedule and /meet now.
func (h *Handler) runSchedule(ctx context.Context, a core.Actor, cmd command.Command, loc *time.Location, now time.Time) Reply {
	req := core.ScheduleRequest{
		Title:      cmd.Title,
		Start:      cmd.Start,
		TimeZone:   loc.String(),
		Duration:   cmd.Duration,
		Invitees:   cmd.Users,
		Private:    cmd.Private,
		Recurrence: cmd.Recurrence,
		Now:        cmd.Verb == command.VerbNow,
	}
	if req.Now && strings.TrimSpace(req.Title) == "" {
		req.Title = "Quick meeting"
	}
	m, err := h.svc.Schedule(ctx, a, req)
	if err != nil {
		return failure(cmd.Verb, err)
	}
	text := scheduledText(m, loc, now, h.svc.WindowOf(ctx, m))
	if cmd.StartNote != "" {
		text += "\nNote: " + cmd.StartNote
	}
	return Reply{OK: true, Text: text, Meeting: m}
}

// runJoin is /meet join: the personal link, shown to its owner only. A
// refusal carries the meeting when the person may see it, so adapters can
// say when it opens.
func (h *Handler) runJoin(ctx context.Context, a core.Actor, cmd command.Command, loc *time.Location, now time.Time) Reply {
	id := cmd.MeetingID
	if id == "" {
		m, err := h.svc.CurrentMeeting(ctx, a)
		if err != nil {
			return failure(cmd.Verb, err)
		}
		id = m.ID
	}
	link, err := h.svc.Join(ctx, a, id)
	if err != nil {
		r := failure(cmd.Verb, err)
		if m, ierr := h.svc.Info(ctx, a, id); ierr == nil {
			r.Meeting = m
		}
		return r
	}
	text := fmt.Sprintf("Your personal link to %q (meeting %s, open until %s). It is for you only and works for %s:\n%s",
		link.Meeting.Title, link.Meeting.ID, core.ClockTime(link.Window.Closes, loc.String(), now),
		core.HumanDuration(link.Expires.Sub(now)), link.URL)
	if link.Early {
		text = fmt.Sprintf("Meeting %s, %q, opens at %s, in %s. Your personal link, for you only: open it now and it joins by itself when the meeting opens (it works until %s):\n%s",
			link.Meeting.ID, link.Meeting.Title, core.ClockTime(link.Window.Opens, loc.String(), now),
			core.HumanDuration(link.Window.Opens.Sub(now)), core.ClockTime(link.Window.Closes, loc.String(), now), link.URL)
	}
	return Reply{OK: true, Text: text, Meeting: link.Meeting, JoinURL: link.URL, Private: true}
}

// runCancel is /meet cancel.
func (h *Handler) runCancel(ctx context.Context, a core.Actor, cmd command.Command) Reply {
	res, err := h.svc.Cancel(ctx, a, cmd.MeetingID)
	if err != nil {
		return failure(cmd.Verb, err)
	}
	text := fmt.Sprintf("Cancelled meeting %s, %q. No one can join it any more.", res.Meeting.ID, res.Meeting.Title)
	if !res.RoomClosed {
		text += " (The video service did not answer; its room will be closed as soon as it does. Links are refused already.)"
	}
	return Reply{OK: true, Text: text, Meeting: res.Meeting}
}

// runPeople is /meet invite (as guests or as hosts) and /meet remove.
func (h *Handler) runPeople(ctx context.Context, a core.Actor, cmd command.Command) Reply {
	if cmd.Verb == command.VerbRemove {
		res, err := h.svc.Remove(ctx, a, cmd.MeetingID, cmd.Users)
		if err != nil {
			return failure(cmd.Verb, err)
		}
		return Reply{OK: true, Text: removeText(res), Meeting: res.Meeting}
	}
	invite := h.svc.Invite
	if cmd.AsHost {
		invite = h.svc.InviteHosts
	}
	res, err := invite(ctx, a, cmd.MeetingID, cmd.Users)
	if err != nil {
		return failure(cmd.Verb, err)
	}
	return Reply{OK: true, Text: inviteText(res, cmd.AsHost), Meeting: res.Meeting}
}

// failure turns err into a Reply. Internal errors get the generic sentence;
// the adapter logs the cause.
func failure(verb command.Verb, err error) Reply {
	e, ok := core.AsError(err)
	if !ok || e.Code == core.EINTERNAL {
		e = &core.Error{Code: core.EINTERNAL, Message: core.ErrorMessage(err), Err: err}
	}
	return Reply{OK: false, Text: e.Message, Err: e, Verb: verb}
}

func mentions(users []string) string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = "@" + u
	}
	return strings.Join(out, ", ")
}
