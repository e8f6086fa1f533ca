package discord

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/adapters/chatkit"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/recur"
)

// Discord's message limits (developers/resources/message): over any of
// them a post fails with 400, so every text is cut to fit instead.
const (
	maxContent     = 2000
	maxEmbedTitle  = 256
	maxEmbedDesc   = 4096
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFooter      = 2048
	maxEmbedTotal  = 6000
	maxChoiceName  = 100
	maxChoiceValue = 100
	maxChoices     = 25
)

// Custom ids of card buttons: "mb:<action>:<meeting id>".
const (
	customPrefix = "mb:"
	actionJoin   = "join"
	actionYes    = "yes"
	actionNo     = "no"
	actionCancel = "cancel"
)

// noMentions is the allowed_mentions of every message: parse nothing, so
// "@everyone", role and user mentions in a title render but ping no one.
func noMentions() *dg.MessageAllowedMentions {
	return &dg.MessageAllowedMentions{Parse: []dg.AllowedMentionType{}}
}

// markup and literal measure text as Discord does, in UTF-16 code units
// (over a limit a post fails with 400): markup for text that is already
// Discord markdown, literal for user text, escaped so it shows as typed.
var (
	markup  = chatkit.Text{Count: chatkit.UTF16}
	literal = chatkit.Text{Escape: Escape, Count: chatkit.UTF16}
)

// fit cuts s to at most n UTF-16 code units, ending in "…" when cut.
func fit(s string, n int) string { return markup.Fit(s, n) }

// units counts s in UTF-16 code units, as Discord does.
func units(s string) int { return chatkit.UTF16(s) }

// markdownEscaper backslash-escapes Discord markdown, and the "<" that
// starts a mention, in user text shown inside formatted messages.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `~`, `\~`, `|`, `\|`,
	`>`, `\>`, `<`, `\<`, `#`, `\#`, `[`, `\[`, `]`, `\]`, `@`, "@\u200b",
)

// Escape makes user text literal in a Discord message: markdown does not
// format it and mentions show as text.
func Escape(s string) string { return markdownEscaper.Replace(s) }

// atUserID finds "@<snowflake>" as core's texts write people, so Discord
// shows them as mentions (which ping no one: allowed_mentions is empty).
var atUserID = regexp.MustCompile(`(^|[\s(,])@([0-9]{15,21})\b`)

// chatText adapts a core/chat text for Discord: user ids as mentions.
func chatText(s string) string { return atUserID.ReplaceAllString(s, "$1<@$2>") }

// stamp renders t for every reader in their own zone and locale.
func stamp(t time.Time, style byte) string { return fmt.Sprintf("<t:%d:%c>", t.Unix(), style) }

// cardState says where a card's meeting stands, for its colour and buttons.
type cardState int

const (
	cardOpen cardState = iota // may still be joined or is coming up
	cardOver                  // cancelled or ended: no buttons
)

// Card renders a meeting card: the embed and its buttons. occ is the
// occurrence to show (a series' current one); now picks the status line.
func Card(m *core.Meeting, occ core.Occurrence, w core.Window, now time.Time) (*dg.MessageEmbed, []dg.MessageComponent) {
	return CardWithRoom(m, occ, w, now, nil)
}

// CardWithRoom is Card with the room's state (see core.RoomState) under
// the status line: "Live · 4 in the room" with who is in it, or "Ended ·
// 34 min · 7 attended" with the RSVP comparison. room nil shows none.
func CardWithRoom(m *core.Meeting, occ core.Occurrence, w core.Window, now time.Time, room *core.RoomState) (*dg.MessageEmbed, []dg.MessageComponent) {
	state := cardOpen
	status := ""
	switch {
	case m.State == core.StateCancelled:
		state, status = cardOver, "Cancelled"
		if m.CancelledBy != "" {
			status += " by <@" + m.CancelledBy + ">"
		}
	case m.State == core.StateEnded || w.PhaseAt(now) == core.PhaseAfter:
		state, status = cardOver, "Ended"
	case w.PhaseAt(now) == core.PhaseOpen:
		status = "Open now: press Join for your own link"
	default:
		status = "Joining opens " + stamp(w.Opens, 'R')
	}
	var d strings.Builder
	fmt.Fprintf(&d, "%s (%s), for %s", stamp(occ.Start, 'F'), stamp(occ.Start, 'R'), core.HumanDuration(m.Duration))
	if m.IsRecurring() {
		loc, err := core.LoadZone(m.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		fmt.Fprintf(&d, "\nRepeats %s (%s)", Escape(recur.Describe(m.Recurrence, loc)), Escape(m.TimeZone))
	}
	if state == cardOpen && m.RoomNotReady() {
		status += "\nVideo room not ready yet"
	}
	d.WriteString("\n" + status)
	if room != nil && room.Known() {
		d.WriteString("\n" + roomText(m, room))
	}
	yes, no, maybe := m.RSVPCounts()
	rsvp := fmt.Sprintf("%d yes · %d no", yes, no)
	if maybe > 0 {
		rsvp += fmt.Sprintf(" · %d maybe", maybe)
	}
	organizer := "<@" + m.Organizer + ">"
	if m.Organizer == "" {
		organizer = Escape(m.OrganizerName)
	}
	e := &dg.MessageEmbed{
		Type:        dg.EmbedTypeRich,
		Title:       literal.Fit(m.Title, maxEmbedTitle),
		Description: fit(d.String(), maxEmbedDesc),
		Color:       0x5865F2,
		Fields: []*dg.MessageEmbedField{
			{Name: "Organizer", Value: fit(organizer, maxFieldValue), Inline: true},
			{Name: "RSVPs", Value: rsvp, Inline: true},
		},
		Footer: &dg.MessageEmbedFooter{Text: fit(fmt.Sprintf("Meeting %s · /meet join %s", m.ID, m.ID), maxFooter)},
	}
	if len(m.Invitees) > 0 {
		var b strings.Builder
		for i, u := range m.Invitees {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString("<@" + u + ">")
		}
		e.Fields = append(e.Fields, &dg.MessageEmbedField{Name: "Invited", Value: fit(b.String(), maxFieldValue)})
	}
	if m.Private {
		e.Fields = append(e.Fields, &dg.MessageEmbedField{Name: "Private", Value: "Only invitees can join."})
	}
	if state == cardOver {
		// Nothing to join any more: no join hint either.
		e.Footer.Text = fit("Meeting "+m.ID, maxFooter)
		e.Color = 0x808080
		return fitEmbed(e), []dg.MessageComponent{}
	}
	return fitEmbed(e), Buttons(m.ID, true)
}

// Buttons are a card's actions. The Join button is a normal button whose
// answer is an ephemeral personal link: a link button would put one URL
// in front of everyone, and personal links must never be shared.
func Buttons(id string, withCancel bool) []dg.MessageComponent {
	row := dg.ActionsRow{Components: []dg.MessageComponent{
		dg.Button{Label: "Join", Style: dg.PrimaryButton, CustomID: customPrefix + actionJoin + ":" + id},
		dg.Button{Label: "Yes", Style: dg.SuccessButton, CustomID: customPrefix + actionYes + ":" + id},
		dg.Button{Label: "No", Style: dg.SecondaryButton, CustomID: customPrefix + actionNo + ":" + id},
	}}
	if withCancel {
		row.Components = append(row.Components, dg.Button{Label: "Cancel", Style: dg.DangerButton, CustomID: customPrefix + actionCancel + ":" + id})
	}
	return []dg.MessageComponent{row}
}

// embedSize is what Discord counts toward the 6000-character total.
func embedSize(e *dg.MessageEmbed) int {
	n := units(e.Title) + units(e.Description)
	for _, f := range e.Fields {
		n += units(f.Name) + units(f.Value)
	}
	if e.Footer != nil {
		n += units(e.Footer.Text)
	}
	if e.Author != nil {
		n += units(e.Author.Name)
	}
	return n
}

// fitEmbed cuts every part of e to its limit, then the description until
// the whole fits the total.
func fitEmbed(e *dg.MessageEmbed) *dg.MessageEmbed {
	e.Title = fit(e.Title, maxEmbedTitle)
	e.Description = fit(e.Description, maxEmbedDesc)
	if len(e.Fields) > 25 {
		e.Fields = e.Fields[:25]
	}
	for _, f := range e.Fields {
		f.Name, f.Value = fit(f.Name, maxFieldName), fit(f.Value, maxFieldValue)
	}
	if e.Footer != nil {
		e.Footer.Text = fit(e.Footer.Text, maxFooter)
	}
	if over := embedSize(e) - maxEmbedTotal; over > 0 {
		e.Description = fit(e.Description, max(1, units(e.Description)-over))
	}
	for embedSize(e) > maxEmbedTotal && len(e.Fields) > 0 {
		e.Fields = e.Fields[:len(e.Fields)-1]
	}
	return e
}

// message is what an interaction answers or a post carries, before it is
// shaped for one API call.
type message struct {
	content    string
	embeds     []*dg.MessageEmbed
	components []dg.MessageComponent
	ephemeral  bool
}

// textMessage holds text: in content when it fits, else in an embed's
// description (help is longer than 2000), cut to that limit.
func textMessage(text string, ephemeral bool) message {
	if units(text) <= maxContent {
		return message{content: text, ephemeral: ephemeral}
	}
	return message{embeds: []*dg.MessageEmbed{{Type: dg.EmbedTypeRich, Description: fit(text, maxEmbedDesc)}}, ephemeral: ephemeral}
}

// response shapes m as an interaction response (type 4).
func (m message) response() *dg.InteractionResponse {
	d := &dg.InteractionResponseData{
		Content:         fit(m.content, maxContent),
		Embeds:          m.embeds,
		Components:      m.components,
		AllowedMentions: noMentions(),
	}
	if m.ephemeral {
		d.Flags = dg.MessageFlagsEphemeral
	}
	return &dg.InteractionResponse{Type: dg.InteractionResponseChannelMessageWithSource, Data: d}
}

// send shapes m as a channel post.
func (m message) send() *dg.MessageSend {
	return &dg.MessageSend{Content: fit(m.content, maxContent), Embeds: m.embeds, Components: m.components, AllowedMentions: noMentions()}
}

// ephemeralText is a plain answer only the actor sees.
func ephemeralText(text string) *dg.InteractionResponse { return textMessage(text, true).response() }
