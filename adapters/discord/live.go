package discord

import (
	"context"
	"fmt"
	"strings"
	"time"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/core"
)

// The Adapter tells Discord about room events: recordings and summaries
// (joins and leaves only redraw the card).
var _ core.RoomNotifier = (*Adapter)(nil)

// maxName caps one display name on a card, in UTF-16 code units.
const maxName = 60

// roomText renders the room's state for a card's description. Display
// names are user text: escaped (markdown and mentions) and cut like
// titles, and allowed_mentions is empty besides.
func roomText(m *core.Meeting, room *core.RoomState) string {
	lines := room.CardLines(func(s string) string { return literal.Fit(s, maxName) },
		func(t time.Time) string { return stamp(t, 't') }, len(m.RSVPs) > 0)
	if len(lines) > 0 && room.Live {
		lines[0] = "🔴 **" + lines[0] + "**"
	}
	return strings.Join(lines, "\n")
}

// RoomNotice implements core.RoomNotifier: a recording's personal links go
// by DM (with a reply to the card, or a channel post, when the meeting is
// not private), and a summary goes as a reply to the card (or to n.To by
// DM, for a private meeting). Other events redraw the card only.
func (a *Adapter) RoomNotice(ctx context.Context, n core.RoomNotice) error {
	m := n.Meeting
	if a.opts.BotToken == "" {
		return nil
	}
	title := literal.Fit(m.Title, maxEmbedTitle)
	switch n.Kind {
	case core.RecordingReady:
		for user, link := range n.Links {
			a.dm(ctx, []string{user}, m.ID, fmt.Sprintf("The recording of **%s** (meeting %s) is ready: %s\nThe link is yours alone and works for %s.",
				title, m.ID, link, core.HumanDuration(core.RecordingLinkTTL)))
		}
		if n.ChannelNote {
			return a.reply(ctx, m, fmt.Sprintf("A recording of **%s** is ready; its organizer has been sent a link.", title))
		}
	case core.SummaryReady:
		msg := summaryMessage(m.Title, m.ID, n.Summary, false)
		if len(n.To) > 0 {
			a.dmMessage(ctx, n.To, m.ID, msg)
			return nil
		}
		return a.replyMessage(ctx, m, msg)
	}
	return nil
}

// reply posts text as a reply to m's card, or in its channel when it has
// no card. A private meeting is never posted about in a channel.
func (a *Adapter) reply(ctx context.Context, m *core.Meeting, text string) error {
	return a.replyMessage(ctx, m, textMessage(text, false))
}

// replyMessage is reply with a message already shaped.
func (a *Adapter) replyMessage(ctx context.Context, m *core.Meeting, msg message) error {
	if m.Private {
		return nil
	}
	channel := m.Channel
	send := msg.send()
	if !m.Card.IsZero() {
		channel = m.Card.Channel
		send.Reference = &dg.MessageReference{MessageID: m.Card.ID, ChannelID: m.Card.Channel}
	}
	if a.isDead(channel) {
		return nil
	}
	err := a.rest(ctx, func(opts ...dg.RequestOption) error {
		_, err := a.session.ChannelMessageSendComplex(channel, send, opts...)
		return err
	})
	switch {
	case err == nil:
		return nil
	case lostChannel(err):
		a.markDead(channel, m.ID, err)
		return nil
	}
	return redact("discord: reply to the meeting card", err)
}
