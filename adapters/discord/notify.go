package discord

import (
	"context"
	"errors"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
)

// errChannelGone marks a post to a channel the bot cannot reach any more.
var errChannelGone = errors.New("discord: channel gone or access lost")

// lostChannel reports whether err says the bot lost the channel: Missing
// Access (50001), Missing Permissions (50013: it may no longer send
// there) or Unknown Channel (10003). Retrying cannot help until an admin
// acts, so the scheduler must not keep trying.
func lostChannel(err error) bool {
	switch restCode(err) {
	case dg.ErrCodeMissingAccess, dg.ErrCodeMissingPermissions, dg.ErrCodeUnknownChannel:
		return true
	}
	return false
}

// isDead reports whether channel was lost within the last
// chatkit.LostFor: long enough that the log has one line an hour rather
// than one per reminder, short enough that reminders resume by themselves
// once an admin gives access back.
func (a *Adapter) isDead(channel string) bool { return a.lost.Has(channel, a.opts.Now()) }

// markDead remembers channel as lost, logging once per period.
func (a *Adapter) markDead(channel, meeting string, err error) {
	if !a.lost.Add(channel, a.opts.Now()) {
		return
	}
	a.log.Warn().Str("channel", channel).Str("meeting", meeting).Str("error", describe(err)).
		Msg("discord channel is gone or the bot lost access to it (or the permission to post there); no reminders or card updates go there for an hour, then it is tried again")
}

// post sends msg to channel and returns where it landed. A lost channel
// is remembered and reported as errChannelGone.
func (a *Adapter) post(ctx context.Context, channel, meeting string, msg message) (core.MessageRef, error) {
	if a.isDead(channel) {
		return core.MessageRef{}, errChannelGone
	}
	var sent *dg.Message
	err := a.rest(ctx, func(opts ...dg.RequestOption) error {
		var err error
		sent, err = a.session.ChannelMessageSendComplex(channel, msg.send(), opts...)
		return err
	})
	if err != nil {
		if lostChannel(err) {
			a.markDead(channel, meeting, err)
			return core.MessageRef{}, errChannelGone
		}
		a.log.Warn().Str("channel", channel).Str("meeting", meeting).Str("error", describe(err)).Msg("could not post to discord")
		return core.MessageRef{}, err
	}
	if sent == nil {
		return core.MessageRef{Channel: channel}, nil
	}
	return core.MessageRef{Channel: channel, ID: sent.ID}, nil
}

// dm sends text to each user privately, without buttons: a DM carries no
// guild, and a personal link is always fetched from the channel's Join
// button or /meet join. Users with closed DMs are skipped.
func (a *Adapter) dm(ctx context.Context, users []string, meeting, text string) {
	a.dmMessage(ctx, users, meeting, textMessage(text, false))
}

// dmMessage is dm with a message already shaped.
func (a *Adapter) dmMessage(ctx context.Context, users []string, meeting string, msg message) {
	for _, u := range users {
		var ch *dg.Channel
		err := a.rest(ctx, func(opts ...dg.RequestOption) error {
			var err error
			ch, err = a.session.UserChannelCreate(u, opts...)
			return err
		})
		if err == nil && ch != nil {
			err = a.rest(ctx, func(opts ...dg.RequestOption) error {
				_, err := a.session.ChannelMessageSendComplex(ch.ID, msg.send(), opts...)
				return err
			})
		}
		if err != nil {
			a.log.Info().Str("user", u).Str("meeting", meeting).Str("error", describe(err)).Msg("could not DM a reminder")
		}
	}
}

// literalNames returns a copy of m whose title and organizer name are
// escaped, so core's notice texts show them literally: a title like
// "[x](https://…)" is not a masked link and "**" is not bold.
func literalNames(m *core.Meeting) *core.Meeting {
	c := m.Clone()
	c.Title, c.OrganizerName = Escape(c.Title), Escape(c.OrganizerName)
	return c
}

// Remind implements core.Notifier: the reminder goes to the meeting's
// channel with Join/Yes/No buttons, and privately to r.DMs. It returns
// the channel message's id. A channel the bot lost is not retried: nil
// is returned so the scheduler does not loop, and it is logged once.
func (a *Adapter) Remind(ctx context.Context, r core.Reminder) (string, error) {
	m := r.Meeting
	r.Meeting = literalNames(m)
	text := chatText(chat.ReminderText(r, m.TimeZone, a.opts.Service.Now())) + " " + stamp(r.Occurrence.Start, 'R')
	var ref core.MessageRef
	if !m.Private {
		var err error
		msg := textMessage(text, false)
		msg.components = Buttons(m.ID, false)
		ref, err = a.post(ctx, m.Channel, m.ID, msg)
		switch {
		case errors.Is(err, errChannelGone):
		case err != nil:
			return "", err
		}
	}
	if len(r.DMs) > 0 {
		a.dm(ctx, r.DMs, m.ID, text+" (from <#"+m.Channel+">)")
	}
	return ref.ID, nil
}

// Announce implements core.Notifier: a change (moved, skipped, cancelled)
// is told to the channel and to a.DMs.
func (a *Adapter) Announce(ctx context.Context, an core.Announcement) error {
	m := an.Meeting
	an.Meeting = literalNames(m)
	text := chatText(chat.AnnouncementText(an, m.TimeZone, a.opts.Service.Now()))
	if !m.Private {
		if _, err := a.post(ctx, m.Channel, m.ID, textMessage(text, false)); err != nil && !errors.Is(err, errChannelGone) {
			return err
		}
	}
	if len(an.DMs) > 0 {
		a.dm(ctx, an.DMs, m.ID, text+" (from <#"+m.Channel+">)")
	}
	return nil
}

// UpdateCard implements core.CardKeeper: the card posted when the meeting
// was scheduled is edited in place, losing its buttons once the meeting
// is cancelled or over, and the meeting's Guild Scheduled Event, if any,
// is moved or removed with it. Either may be absent. A card that was
// deleted is left alone.
func (a *Adapter) UpdateCard(ctx context.Context, m *core.Meeting, ev core.CardEvent) error {
	if m == nil || a.opts.BotToken == "" {
		return nil
	}
	return errors.Join(a.editCard(ctx, m), a.syncMirror(ctx, m, ev))
}

// editCard redraws m's card, when it has one in a channel still reachable.
func (a *Adapter) editCard(ctx context.Context, m *core.Meeting) error {
	if m.Card.IsZero() || a.isDead(m.Card.Channel) {
		return nil
	}
	svc := a.opts.Service
	occ, w := svc.Current(ctx, m)
	var room *core.RoomState
	if st, ok := svc.RoomState(ctx, m); ok {
		room = &st
	}
	e, buttons := CardWithRoom(m, occ, w, svc.Now(), room)
	embeds := []*dg.MessageEmbed{e}
	edit := &dg.MessageEdit{ID: m.Card.ID, Channel: m.Card.Channel, Embeds: &embeds, Components: &buttons, AllowedMentions: noMentions()}
	err := a.rest(ctx, func(opts ...dg.RequestOption) error {
		_, err := a.session.ChannelMessageEditComplex(edit, opts...)
		return err
	})
	switch {
	case err == nil:
		return nil
	case lostChannel(err):
		a.markDead(m.Card.Channel, m.ID, err)
		return nil
	case restCode(err) == dg.ErrCodeUnknownMessage:
		return nil
	}
	return redact("discord: edit the meeting card", err)
}
