package slack

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/core"
)

// click is one button press on a meeting card.
type click struct {
	action  string // actionJoin, actionRSVPYes, …
	meeting string
	actor   core.Actor
	// responseURL answers the click; replace reports whether the card it
	// came from may be replaced in place (a channel message).
	responseURL string
	replace     bool
}

// serveInteraction handles POST /slack/interactions. Slack ignores the
// body of the answer to a button click, so every click is acknowledged
// with an empty 200 at once and answered through its response_url.
func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	if !a.readSigned(w, r) {
		return
	}
	ic, err := slackapi.InteractionCallbackParse(r)
	if err != nil {
		http.Error(w, "not an interaction payload", http.StatusBadRequest)
		return
	}
	team := ic.Team.ID
	if team == "" {
		team = ic.User.TeamID
	}
	if team == "" || ic.User.ID == "" {
		http.Error(w, "interaction without team or user", http.StatusBadRequest)
		return
	}
	log := a.opts.Logger.With().Str("team", team).Str("user", ic.User.ID).Logger()
	c, ok := parseClick(ic, team)
	if !ok {
		// Not one of ours (or not a button): acknowledged, nothing done.
		w.WriteHeader(http.StatusOK)
		return
	}
	if !a.firstDelivery(w, r, team, ic.TriggerID, log) {
		return
	}
	w.WriteHeader(http.StatusOK)
	base := context.WithoutCancel(r.Context()) // the work outlives the request
	a.wg.Go(func() {
		ctx, cancel := context.WithTimeout(base, a.opts.WorkTimeout)
		defer cancel()
		for _, msg := range a.runClick(ctx, c, log) {
			if err := a.respond(ctx, c.responseURL, msg); err != nil {
				log.Error().Err(err).Str("action", c.action).Str("meeting", c.meeting).Msg("could not answer a button click")
				return
			}
		}
	})
}

// parseClick finds the first card button in a block_actions payload.
func parseClick(ic slackapi.InteractionCallback, team string) (click, bool) {
	if ic.Type != slackapi.InteractionTypeBlockActions {
		return click{}, false
	}
	for _, act := range ic.ActionCallback.BlockActions {
		if act == nil {
			continue
		}
		verb, id, ok := strings.Cut(act.ActionID, ":")
		if !ok || id == "" || len(id) > 64 {
			continue
		}
		switch verb {
		case actionJoin, actionRSVPYes, actionRSVPNo, actionCancel:
		default:
			continue
		}
		name := ic.User.Username
		if name == "" {
			name = ic.User.Name
		}
		if name == "" {
			name = ic.User.ID
		}
		channel := ic.Channel.ID
		if channel == "" {
			channel = ic.Container.ChannelID
		}
		return click{
			action:  verb,
			meeting: id,
			actor: core.Actor{
				User:    core.UserKey{Workspace: core.WorkspaceKey{Platform: core.PlatformSlack, ID: team}, UserID: ic.User.ID},
				Name:    name,
				Channel: channel,
			},
			responseURL: ic.ResponseURL,
			replace:     ic.Container.Type == "message" && !ic.Container.IsEphemeral,
		}, true
	}
	return click{}, false
}

// runClick performs a click and returns the messages to send back, in
// order: always an ephemeral answer to the person who clicked, and, when
// the meeting changed, the card replaced in place.
func (a *Adapter) runClick(ctx context.Context, c click, log zerolog.Logger) []slackapi.Msg {
	svc := a.opts.Service
	now := svc.Now()
	fail := func(err error) []slackapi.Msg {
		if core.ErrorCode(err) == core.EINTERNAL {
			log.Error().Err(err).Str("action", c.action).Str("meeting", c.meeting).Msg("button click failed")
		}
		return []slackapi.Msg{ephemeral(Escape(core.ErrorMessage(err)))}
	}
	switch c.action {
	case actionJoin:
		link, err := svc.Join(ctx, c.actor, c.meeting)
		if err != nil {
			return fail(err)
		}
		text := fmt.Sprintf("Your personal link to *%s* (meeting %s). It is for you only and works for %s:\n%s",
			fit(link.Meeting.Title, 250), Escape(link.Meeting.ID), core.HumanDuration(link.Expires.Sub(now)), Escape(link.URL))
		return []slackapi.Msg{ephemeral(text)}
	case actionRSVPYes, actionRSVPNo:
		answer := core.RSVPYes
		if c.action == actionRSVPNo {
			answer = core.RSVPNo
		}
		m, err := svc.RSVP(ctx, c.actor, c.meeting, answer)
		if err != nil {
			return fail(err)
		}
		yes, no, maybe := m.RSVPCounts()
		out := []slackapi.Msg{ephemeral(fmt.Sprintf("Noted: %s for *%s*. So far %d yes, %d no, %d maybe.", answer, fit(m.Title, 250), yes, no, maybe))}
		return append(out, a.replaceCard(c, m, now)...)
	case actionCancel:
		res, err := svc.Cancel(ctx, c.actor, c.meeting)
		if err != nil {
			return fail(err)
		}
		out := []slackapi.Msg{ephemeral(fmt.Sprintf("Cancelled meeting %s, *%s*. No one can join it any more.", Escape(res.Meeting.ID), fit(res.Meeting.Title, 250)))}
		return append(out, a.replaceCard(c, res.Meeting, now)...)
	}
	return nil
}

// replaceCard updates the clicked card in place, when it is a channel
// message and the meeting is not private.
func (a *Adapter) replaceCard(c click, m *core.Meeting, now time.Time) []slackapi.Msg {
	if !c.replace || m.Private {
		return nil
	}
	msg := slackapi.Msg{ReplaceOriginal: true, Text: cardText(m, now), Blocks: slackapi.Blocks{BlockSet: Card(m, now, "")}}
	return []slackapi.Msg{a.guard(msg, "")}
}

// ephemeral is a reply only the actor sees, never replacing the card.
func ephemeral(text string) slackapi.Msg {
	return slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: fitLines(text, maxMessageText)}
}
