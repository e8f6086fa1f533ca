package discord

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
	"github.com/meetbot/meetbot/core/command"
)

// Plain answers for interactions meetbot cannot act on.
const (
	textGuildOnly  = "I work in server channels only: use /meet in a channel of your server."
	textUnknown    = "I don't know that command any more. Try /meet help."
	textStale      = "That button is not one of mine any more. Use /meet list to see this channel's meetings."
	textNoModal    = "That form is not one of mine any more, so nothing was changed. Please run the command again."
	textNoIdentity = "Discord did not say who you are, so I did nothing. Please try again."
	textFailed     = "Something went wrong on my side. Please try again; if it keeps happening, tell your server admin."
)

// Handle answers one interaction: the transport-independent heart of the
// adapter, used by the HTTP endpoint and the gateway alike. It checks the
// interaction's type before reading its data (discordgo's data getters
// panic on the wrong type), acts only inside a guild, and never returns
// nil. Scheduling posts the meeting card to the channel (when a bot token
// is set) and answers with an ephemeral confirmation.
func (a *Adapter) Handle(ctx context.Context, i *dg.Interaction) *dg.InteractionResponse {
	if i == nil {
		return ephemeralText(textUnknown)
	}
	switch i.Type {
	case dg.InteractionPing:
		return &dg.InteractionResponse{Type: dg.InteractionResponsePong}
	case dg.InteractionApplicationCommand, dg.InteractionApplicationCommandAutocomplete,
		dg.InteractionMessageComponent, dg.InteractionModalSubmit:
	default:
		return ephemeralText(textUnknown)
	}
	actor, ok := a.actor(i)
	if !ok {
		if i.Type == dg.InteractionApplicationCommandAutocomplete {
			return choices(nil)
		}
		if i.GuildID == "" {
			return ephemeralText(textGuildOnly)
		}
		return ephemeralText(textNoIdentity)
	}
	switch i.Type {
	case dg.InteractionApplicationCommand:
		// The type was checked above; the assertion also guards against an
		// interaction built with data of another shape.
		data, ok := i.Data.(dg.ApplicationCommandInteractionData)
		subName, opts, ok2 := subcommand(data)
		if !ok || !ok2 {
			return ephemeralText(textUnknown)
		}
		return a.runCommand(ctx, i, actor, subName, opts)
	case dg.InteractionApplicationCommandAutocomplete:
		data, _ := i.Data.(dg.ApplicationCommandInteractionData)
		return a.autocomplete(ctx, actor, data)
	case dg.InteractionMessageComponent:
		data, _ := i.Data.(dg.MessageComponentInteractionData)
		return a.click(ctx, actor, data)
	default: // modal submit: meetbot opens no modals
		return ephemeralText(textNoModal)
	}
}

// handleSafely is Handle for the adapter's own goroutines, where a panic
// (a bug anywhere below) would take the whole bot down: it is logged
// once with its stack, and the person gets a plain sentence.
func (a *Adapter) handleSafely(ctx context.Context, i *dg.Interaction) (resp *dg.InteractionResponse) {
	defer func() {
		if v := recover(); v != nil {
			a.log.Error().Str("guild", i.GuildID).Str("interaction", i.ID).Str("panic", fmt.Sprint(v)).
				Bytes("stack", debug.Stack()).Msg("panic while handling a discord interaction")
			if i.Type == dg.InteractionApplicationCommandAutocomplete {
				resp = choices(nil)
				return
			}
			resp = ephemeralText(textFailed)
		}
	}()
	return a.Handle(ctx, i)
}

// actor identifies the person behind a guild interaction.
func (a *Adapter) actor(i *dg.Interaction) (core.Actor, bool) {
	if i.GuildID == "" || i.Member == nil || i.Member.User == nil || i.Member.User.ID == "" {
		return core.Actor{}, false
	}
	u := i.Member.User
	name := i.Member.Nick
	if name == "" {
		name = u.GlobalName
	}
	if name == "" {
		name = u.Username
	}
	if name == "" {
		name = u.ID
	}
	perms := i.Member.Permissions
	return core.Actor{
		User:    core.UserKey{Workspace: core.WorkspaceKey{Platform: core.PlatformDiscord, ID: i.GuildID}, UserID: u.ID},
		Name:    name,
		Channel: i.ChannelID,
		IsAdmin: perms&(dg.PermissionManageGuild|dg.PermissionAdministrator) != 0,
	}, true
}

// subcommand finds /meet's subcommand and its options.
func subcommand(data dg.ApplicationCommandInteractionData) (string, []*dg.ApplicationCommandInteractionDataOption, bool) {
	if data.Name != CommandName || len(data.Options) == 0 || data.Options[0] == nil ||
		data.Options[0].Type != dg.ApplicationCommandOptionSubCommand {
		return "", nil, false
	}
	return data.Options[0].Name, data.Options[0].Options, true
}

// runCommand runs one subcommand as a /meet line and renders the reply.
func (a *Adapter) runCommand(ctx context.Context, i *dg.Interaction, actor core.Actor, sub string, opts []*dg.ApplicationCommandInteractionDataOption) *dg.InteractionResponse {
	rep := a.chat.Handle(ctx, actor, Line(sub, opts))
	if rep.Err != nil && rep.Err.Code == core.EINTERNAL {
		a.log.Error().Err(rep.Err.Err).Str("guild", i.GuildID).Str("verb", string(rep.Verb)).Msg("command failed")
	}
	text := chatText(rep.Text)
	if !rep.OK {
		return ephemeralText(text)
	}
	switch rep.Verb {
	case command.VerbSchedule, command.VerbNow:
		return a.postCard(ctx, i, actor, rep, text)
	case command.VerbSummary:
		if rep.Meeting != nil {
			return summaryMessage(rep.Meeting.Title, rep.Meeting.ID, rep.Summary, true).response()
		}
	case command.VerbInfo:
		if rep.Meeting != nil {
			msg := textMessage(text, true)
			occ, w := a.opts.Service.Current(ctx, rep.Meeting)
			var room *core.RoomState
			if st, ok := a.opts.Service.RoomState(ctx, rep.Meeting); ok {
				room = &st
			}
			e, _ := CardWithRoom(rep.Meeting, occ, w, a.opts.Service.Now(), room)
			msg.embeds = append(msg.embeds, e)
			return msg.response()
		}
	}
	return ephemeralText(text)
}

// postCard posts a new meeting's card to the channel and records it, so
// later changes redraw it; the actor gets an ephemeral confirmation. Without
// a bot token (or when the post fails) the card is the answer itself.
// Private meetings get no channel card. With MirrorEvents the meeting
// also gets its Guild Scheduled Event.
func (a *Adapter) postCard(ctx context.Context, i *dg.Interaction, actor core.Actor, rep chat.Reply, text string) *dg.InteractionResponse {
	m := rep.Meeting
	svc := a.opts.Service
	occ, w := svc.Current(ctx, m)
	e, buttons := Card(m, occ, w, svc.Now())
	if m.Private {
		return message{content: text, embeds: []*dg.MessageEmbed{e}, components: buttons, ephemeral: true}.response()
	}
	a.mirror(ctx, i.GuildID, m)
	// In the channel, without the actor's one-time zone hint.
	public := strings.TrimSuffix(text, "\n"+chatText(rep.Note))
	if a.opts.BotToken != "" {
		card := message{embeds: []*dg.MessageEmbed{e}, components: buttons}
		// Someone scheduling here is the moment a lost channel may be
		// back (the answer below tells them how to give access), so it is
		// tried again now rather than skipped for the rest of the hour; a
		// post that fails marks it lost again.
		a.lost.Forget(i.ChannelID)
		ref, err := a.post(ctx, i.ChannelID, m.ID, card)
		if err == nil {
			if _, err := svc.SetCard(ctx, actor.User.Workspace, m.ID, ref); err != nil {
				a.log.Warn().Err(err).Str("meeting", m.ID).Msg("could not record the meeting card")
			}
			return ephemeralText(text)
		}
		if errors.Is(err, errChannelGone) {
			// The interaction answer still reaches the channel; say there
			// why no reminders will follow, and how to fix it.
			public += "\n" + textNoChannelAccess
		}
	}
	return message{content: public, embeds: []*dg.MessageEmbed{e}, components: buttons}.response()
}

// textNoChannelAccess goes with a card meetbot could only send as the
// interaction's answer, because it may not post in the channel itself.
const textNoChannelAccess = "meetbot cannot post in this channel, so no reminders or card updates will appear here. Give it View Channel, Send Messages and Embed Links in this channel."

// click answers a button on a card or reminder: always an ephemeral answer
// to the person who clicked. The card itself is redrawn by core through
// UpdateCard, so the click needs no edit of its own.
func (a *Adapter) click(ctx context.Context, actor core.Actor, data dg.MessageComponentInteractionData) *dg.InteractionResponse {
	rest, ok := strings.CutPrefix(data.CustomID, customPrefix)
	action, id, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || id == "" || len(id) > command.MaxMeetingID || data.ComponentType != dg.ButtonComponent {
		return ephemeralText(textStale)
	}
	var line string
	switch action {
	case actionJoin:
		line = "/meet join " + id
	case actionYes:
		line = "/meet rsvp " + id + " yes"
	case actionNo:
		line = "/meet rsvp " + id + " no"
	case actionCancel:
		line = "/meet cancel " + id
	default:
		return ephemeralText(textStale)
	}
	rep := a.chat.Handle(ctx, actor, line)
	if rep.Err != nil && rep.Err.Code == core.EINTERNAL {
		a.log.Error().Err(rep.Err.Err).Str("guild", actor.User.Workspace.ID).Str("action", action).Str("meeting", id).Msg("button click failed")
	}
	return ephemeralText(chatText(rep.Text))
}
