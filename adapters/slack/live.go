package slack

import (
	"context"
	"fmt"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/core"
)

// The Adapter tells Slack about room events: recordings and summaries
// (joins and leaves only redraw the card).
var _ core.RoomNotifier = (*Adapter)(nil)

// maxName caps one display name on a card, in characters.
const maxName = 60

// roomBlock renders the room's state as a section under the card's
// facts. Display names are user text: escaped and cut like titles, so a
// name such as "<!channel>" pings no one.
func roomBlock(m *core.Meeting, room *core.RoomState) slackapi.Block {
	at := func(t time.Time) string {
		return fmt.Sprintf("<!date^%d^{time}|%s>", t.Unix(), Escape(core.ClockTime(t, m.TimeZone, t)))
	}
	lines := room.CardLines(func(s string) string { return fit(s, maxName) }, at, len(m.RSVPs) > 0)
	if len(lines) > 0 && room.Live {
		lines[0] = ":red_circle: *" + lines[0] + "*"
	}
	return slackapi.NewSectionBlock(
		slackapi.NewTextBlockObject(slackapi.MarkdownType, fitLines(strings.Join(lines, "\n"), maxSectionText), false, false), nil, nil,
		slackapi.SectionBlockOptionBlockID("room_"+m.ID))
}

// RoomNotice implements core.RoomNotifier: a recording's personal links go
// by DM (with a note in the card's thread, or the channel, when the
// meeting is not private), and a summary goes in the card's thread (or to
// n.To by DM, for a private meeting). Other events redraw the card only.
func (a *Adapter) RoomNotice(ctx context.Context, n core.RoomNotice) error {
	m := n.Meeting
	team := m.Workspace.ID
	c, fp, ok := a.client(ctx, team)
	if !ok || a.dead.Has(deadTokenKey(team, fp), a.opts.Now()) {
		return nil
	}
	log := a.opts.Logger.With().Str("team", team).Str("meeting", m.ID).Str("room_event", string(n.Kind)).Logger()
	switch n.Kind {
	case core.RecordingReady:
		for user, link := range n.Links {
			text := fmt.Sprintf("The recording of *%s* (meeting %s) is ready: <%s|open the recording>. The link is yours alone and works for %s.",
				fit(m.Title, 250), Escape(m.ID), link, core.HumanDuration(core.RecordingLinkTTL))
			if err := a.dm(ctx, c, team, user, []slackapi.MsgOption{slackapi.MsgOptionText(text, false)}); err != nil {
				log.Warn().Err(err).Str("user", user).Msg("could not send a recording link by direct message")
			}
		}
		if n.ChannelNote {
			note := fmt.Sprintf("A recording of *%s* is ready; its organizer has been sent a link.", fit(m.Title, 250))
			return a.inThread(ctx, c, team, fp, m, note)
		}
	case core.SummaryReady:
		text := fitLines(fmt.Sprintf("*Summary of %s*\n%s", fit(m.Title, 250), Escape(n.Summary)), maxSectionText)
		if len(n.To) > 0 {
			for _, u := range n.To {
				if err := a.dm(ctx, c, team, u, []slackapi.MsgOption{slackapi.MsgOptionText(text, false)}); err != nil {
					log.Warn().Err(err).Str("user", u).Msg("could not send a summary by direct message")
				}
			}
			return nil
		}
		return a.inThread(ctx, c, team, fp, m, text)
	}
	return nil
}

// inThread posts text in the thread of m's card, or in its channel when it
// has no card. A private meeting is never posted about in a channel.
func (a *Adapter) inThread(ctx context.Context, c *slackapi.Client, team, fp string, m *core.Meeting, text string) error {
	if m.Private {
		return nil
	}
	channel, opts := m.Channel, []slackapi.MsgOption{slackapi.MsgOptionText(text, false)}
	if !m.Card.IsZero() {
		channel = m.Card.Channel
		opts = append(opts, slackapi.MsgOptionTS(m.Card.ID))
	}
	if a.unreachable(team, channel, fp) {
		return nil
	}
	if _, err := a.post(ctx, c, team, channel, opts...); err != nil {
		if a.markDead(err, team, channel, fp, m.ID) {
			return nil
		}
		return fmt.Errorf("post in the meeting's thread: %w", err)
	}
	return nil
}
