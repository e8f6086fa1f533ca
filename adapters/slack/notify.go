package slack

import (
	"context"
	"errors"
	"fmt"

	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
)

// The Adapter is the scheduler's notifier for Slack meetings and keeps
// their cards up to date.
var (
	_ core.Notifier   = (*Adapter)(nil)
	_ core.CardKeeper = (*Adapter)(nil)
)

// Remind implements core.Notifier: the reminder goes to the meeting's
// channel with the card's buttons (a private meeting's title stays out of
// the channel), and to each of r.DMs in a direct message. It returns the
// channel post's ts. A channel meetbot cannot post in, or a dead token, is
// logged once and the reminder counts as done (nil), so it is not retried
// forever; other failures return an error for the scheduler to retry.
func (a *Adapter) Remind(ctx context.Context, r core.Reminder) (string, error) {
	m := r.Meeting
	text := Escape(chat.ReminderText(r, m.TimeZone, a.opts.Service.Now()))
	return a.deliver(ctx, m, text, r.DMs, "reminder")
}

// Announce implements core.Notifier: a move, skip or cancellation is told
// to the channel and to the people in a.DMs, like a reminder.
func (a *Adapter) Announce(ctx context.Context, an core.Announcement) error {
	m := an.Meeting
	text := Escape(chat.AnnouncementText(an, m.TimeZone, a.opts.Service.Now()))
	_, err := a.deliver(ctx, m, text, an.DMs, "announcement")
	return err
}

// deliver posts text about m to its channel (with the card's buttons while
// the meeting can still be joined) and to dms.
func (a *Adapter) deliver(ctx context.Context, m *core.Meeting, text string, dms []string, what string) (string, error) {
	team := m.Workspace.ID
	log := a.opts.Logger.With().Str("team", team).Str("meeting", m.ID).Str("channel", m.Channel).Logger()
	c, fp, ok := a.client(ctx, team)
	if !ok {
		log.Warn().Msgf("no bot token for this workspace; %s not posted", what)
		return "", nil
	}
	if a.dead.Has(deadTokenKey(team, fp), a.opts.Now()) {
		return "", nil
	}
	text = fitLines(text, maxSectionText)
	blocks := []slackapi.Block{slackapi.NewSectionBlock(
		slackapi.NewTextBlockObject(slackapi.MarkdownType, text, false, false), nil, nil)}
	if m.State != core.StateCancelled && m.State != core.StateEnded {
		blocks = append(blocks, cardActions(m))
	}
	opts := []slackapi.MsgOption{slackapi.MsgOptionText(text, false), slackapi.MsgOptionBlocks(blocks...)}
	var ts string
	// A channel meetbot was removed from is skipped (logged once, when it
	// was found out), but the people who get this by direct message still
	// do.
	if !m.Private && !a.unreachable(team, m.Channel, fp) {
		var err error
		ts, err = a.post(ctx, c, team, m.Channel, opts...)
		if err != nil {
			if !a.markDead(err, team, m.Channel, fp, m.ID) {
				log.Error().Err(err).Msgf("could not post a %s", what)
				return "", fmt.Errorf("post %s: %w", what, err)
			}
			if a.dead.Has(deadTokenKey(team, fp), a.opts.Now()) {
				return "", nil
			}
		}
	}
	// The channel post is the delivery; a failed DM is logged and not
	// retried, or a retry would post the channel message twice.
	for _, u := range dms {
		if err := a.dm(ctx, c, team, u, opts); err != nil {
			log.Warn().Err(err).Str("user", u).Msgf("could not send a %s by direct message", what)
		}
	}
	return ts, nil
}

// dm opens a direct message with user (scope im:write) and posts to it.
func (a *Adapter) dm(ctx context.Context, c *slackapi.Client, team, user string, opts []slackapi.MsgOption) error {
	var ch *slackapi.Channel
	err := a.withRetry(ctx, func() error {
		var err error
		ch, _, _, err = c.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{user}, ReturnIM: true})
		return err
	})
	if err != nil {
		return fmt.Errorf("conversations.open: %w", err)
	}
	if ch == nil || ch.ID == "" {
		return errors.New("conversations.open answered without a channel")
	}
	_, err = a.post(ctx, c, team, ch.ID, opts...)
	return err
}

// UpdateCard implements core.CardKeeper: it redraws m's card with
// chat.update. A cancelled or ended meeting's card loses its buttons and
// says so.
func (a *Adapter) UpdateCard(ctx context.Context, m *core.Meeting, ev core.CardEvent) error {
	if m.Card.IsZero() || m.Private {
		return nil
	}
	team := m.Workspace.ID
	c, fp, ok := a.client(ctx, team)
	if !ok || a.unreachable(team, m.Card.Channel, fp) {
		return nil
	}
	now := a.opts.Service.Now()
	var room *core.RoomState
	if st, ok := a.opts.Service.RoomState(ctx, m); ok {
		room = &st
	}
	msg := a.guard(slackapi.Msg{ResponseType: slackapi.ResponseTypeInChannel, Text: cardText(m, now),
		Blocks: slackapi.Blocks{BlockSet: CardWithRoom(m, now, cardHeading(m), room)}}, "")
	if msg.ResponseType != slackapi.ResponseTypeInChannel {
		return fmt.Errorf("card of meeting %s not redrawn: it held a link", m.ID)
	}
	err := a.withRetry(ctx, func() error {
		_, _, _, err := c.UpdateMessageContext(ctx, m.Card.Channel, m.Card.ID,
			slackapi.MsgOptionText(msg.Text, false), slackapi.MsgOptionBlocks(msg.Blocks.BlockSet...))
		return err
	})
	if err != nil {
		if a.markDead(err, team, m.Card.Channel, fp, m.ID) {
			return nil
		}
		return fmt.Errorf("chat.update of the %s card: %w", ev, err)
	}
	return nil
}

// cardHeading is the line above a redrawn card.
func cardHeading(m *core.Meeting) string {
	return "Scheduled by " + organizerName(m)
}
