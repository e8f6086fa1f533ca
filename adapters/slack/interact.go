package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/adapters/chatkit"
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
	// botToken is set when the workspace has a bot token: core then
	// redraws a recorded card with chat.update, and the click must not
	// replace it a second time.
	botToken bool
}

// serveInteraction handles POST /slack/interactions. It only verifies and
// parses; handleInteraction does the rest, as it does for Socket Mode.
func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request) {
	d, ok := a.readSigned(w, r)
	if !ok {
		return
	}
	ic, err := slackapi.InteractionCallbackParse(r)
	if err != nil {
		http.Error(w, "not an interaction payload", http.StatusBadRequest)
		return
	}
	ack, ok := a.handleInteraction(r.Context(), ic, d)
	if !ok {
		http.Error(w, "interaction without team or user", http.StatusBadRequest)
		return
	}
	if ack == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	b, err := json.Marshal(ack)
	if err != nil {
		a.opts.Logger.Error().Err(err).Msg("could not encode an interaction answer")
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// interactionTeam is the team an interaction came from.
func interactionTeam(ic slackapi.InteractionCallback) string {
	if ic.Team.ID != "" {
		return ic.Team.ID
	}
	return ic.User.TeamID
}

// handleInteraction acts on one verified interaction payload and returns
// the body to acknowledge it with (nil: empty). ok is false when the
// payload names no team or user. Button clicks are acknowledged at once
// and answered through their response_url; a modal submission is answered
// in the acknowledgement (validation errors) within AckWait.
func (a *Adapter) handleInteraction(ctx context.Context, ic slackapi.InteractionCallback, d delivery) (ack any, ok bool) {
	team := interactionTeam(ic)
	if team == "" || ic.User.ID == "" {
		return nil, false
	}
	log := chatkit.RequestLogger(ctx, a.opts.Logger.With().Str("team", team).Str("user", ic.User.ID).Logger())
	leave, entered := a.work.Enter()
	defer leave()
	if ic.Type == slackapi.InteractionTypeViewSubmission {
		if ic.View.CallbackID != modalCallback {
			return nil, true
		}
		if !entered {
			return modalError(chatkit.Restarting), true
		}
		if run, say := a.firstDelivery(ctx, "slack-view", team, submissionKey(ic), d, log); !run {
			if say != "" {
				// Under the form, which stays open to be sent again.
				return modalError(say), true
			}
			return nil, true
		}
		if resp := a.handleSubmission(ctx, ic, team, log); resp != nil {
			return resp, true
		}
		return nil, true
	}
	c, ok := parseClick(ic, team)
	if !ok {
		// Not one of ours (or not a button): acknowledged, nothing done.
		return nil, true
	}
	if !entered {
		return sayMsg(chatkit.Restarting), true
	}
	if run, say := a.firstDelivery(ctx, "slack-click", team, ic.TriggerID, d, log); !run {
		if msg := sayMsg(say); msg != nil {
			return msg, true
		}
		return nil, true
	}
	a.deadline.Detach(ctx, func(ctx context.Context) {
		c.actor = a.actor(ctx, team, c.actor.User.UserID, c.actor.Name, c.actor.Channel)
		_, _, c.botToken = a.client(ctx, team)
		for _, msg := range a.runClick(ctx, c, log) {
			if err := a.respond(ctx, c.responseURL, msg); err != nil {
				log.Error().Err(err).Str("action", c.action).Str("meeting", c.meeting).Msg("could not answer a button click")
				return
			}
		}
	})
	return nil, true
}

// submissionKey identifies one delivery of a modal submission. The view id
// and hash stay the same while the modal is open, also after Slack showed
// our errors under the inputs, so they alone would take a corrected
// resubmission for a retry and drop it; the trigger_id (new for every
// submission) and the submitted values tell the two apart, while a retry
// or replay of the same bytes gets the same key.
func submissionKey(ic slackapi.InteractionCallback) string {
	state, _ := json.Marshal(ic.View.State)
	sum := sha256.New()
	for _, part := range [][]byte{[]byte(ic.TriggerID), []byte(ic.View.Hash), state} {
		sum.Write(part)
		sum.Write([]byte{0})
	}
	return ic.View.ID + ":" + hex.EncodeToString(sum.Sum(nil)[:16])
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
		if link.Early {
			text = fmt.Sprintf("*%s* (meeting %s) opens <!date^%d^{time}|%s>, in %s. Your personal link, for you only: open it now and it joins by itself when the meeting opens:\n%s",
				fit(link.Meeting.Title, 250), Escape(link.Meeting.ID), link.Window.Opens.Unix(),
				core.ClockTime(link.Window.Opens, link.Meeting.TimeZone, now), core.HumanDuration(link.Window.Opens.Sub(now)), Escape(link.URL))
		}
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
// message, the meeting is not private and core did not already redraw a
// recorded card through chat.update (it can only when there is a bot token
// and the card was posted with it; a card that went out as a command's
// in-channel reply, because the bot could not post it, is known only to
// this click's response_url).
func (a *Adapter) replaceCard(c click, m *core.Meeting, now time.Time) []slackapi.Msg {
	if !c.replace || m.Private || c.botToken && !m.Card.IsZero() {
		return nil
	}
	msg := slackapi.Msg{ReplaceOriginal: true, Text: cardText(m, now), Blocks: slackapi.Blocks{BlockSet: Card(m, now, "")}}
	return []slackapi.Msg{a.guard(msg, "")}
}

// ephemeral is a reply only the actor sees, never replacing the card.
func ephemeral(text string) slackapi.Msg {
	return slackapi.Msg{ResponseType: slackapi.ResponseTypeEphemeral, Text: fitLines(text, maxMessageText)}
}
