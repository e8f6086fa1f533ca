package slack

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/adapters/chatkit"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
	"github.com/meetbot/meetbot/core/command"
)

// Block Kit limits this package renders within (characters).
const (
	maxSectionText = 3000
	maxButtonText  = 75
	maxContextText = 2000
	maxMessageText = 3000 // kept well under Slack's 40k so a reply stays readable
)

// Action ids on a meeting card. Each is followed by ":" and the meeting id,
// so one click names both what to do and which meeting.
const (
	actionJoin    = "join"
	actionRSVPYes = "rsvp_yes"
	actionRSVPNo  = "rsvp_no"
	actionCancel  = "cancel"
)

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes user text inert in Slack mrkdwn: "&", "<" and ">" become
// entities, so a title such as "<!channel>" or "<@U123>" pings no one and
// cannot forge a link.
func Escape(s string) string { return escaper.Replace(s) }

// mrkdwn measures and escapes user text as Slack counts it: in
// characters, with Escape.
var mrkdwn = chatkit.Text{Escape: Escape, Count: chatkit.Runes}

// fit escapes s and cuts it so the escaped result is at most max
// characters, ending with an ellipsis when it was cut. It never cuts an
// entity or a rune in half.
func fit(s string, max int) string { return mrkdwn.Fit(s, max) }

// Date renders t so every reader sees it in their own time zone, with a
// fallback in zone for clients that cannot.
func Date(t time.Time, zone string) string {
	var b strings.Builder
	appendDate(&b, t, zone)
	return b.String()
}

// appendDate writes Date(t, zone) to b, for lists that write many.
func appendDate(b *strings.Builder, t time.Time, zone string) {
	b.WriteString("<!date^")
	b.WriteString(strconv.FormatInt(t.Unix(), 10))
	b.WriteString("^{date_short_pretty} at {time}|")
	b.WriteString(Escape(core.FullTime(t, zone)))
	b.WriteString(">")
}

// Card renders a meeting as Block Kit: title, time, organizer, RSVP counts,
// and, while it can still be joined, the Join, Yes, No and Cancel buttons.
// heading, when not empty, is a plain line above the card ("Scheduled by …").
func Card(m *core.Meeting, now time.Time, heading string) []slackapi.Block {
	return CardWithRoom(m, now, heading, nil)
}

// CardWithRoom is Card with the room's state (see core.RoomState) under
// the title: "Live · 4 in the room" with who is in it, or "Ended · 34 min ·
// 7 attended" with the RSVP comparison. room nil (or unknown) shows none.
func CardWithRoom(m *core.Meeting, now time.Time, heading string, room *core.RoomState) []slackapi.Block {
	occ := m.CurrentOccurrence(now, 0, 0)
	var blocks []slackapi.Block
	if heading != "" {
		blocks = append(blocks, slackapi.NewContextBlock("",
			slackapi.NewTextBlockObject(slackapi.MarkdownType, fit(heading, maxContextText), false, false)))
	}
	title := "*" + fit(m.Title, 250) + "*"
	live := m.State != core.StateCancelled && m.State != core.StateEnded
	if !live {
		title = "~" + fit(m.Title, 250) + "~ (" + string(m.State) + ")"
	}
	var b strings.Builder
	b.WriteString(title)
	fmt.Fprintf(&b, "\n%s, for %s", Date(occ.Start, m.TimeZone), core.HumanDuration(m.Duration))
	fmt.Fprintf(&b, "\nOrganizer: %s", fit(organizerName(m), 100))
	blocks = append(blocks, slackapi.NewSectionBlock(
		slackapi.NewTextBlockObject(slackapi.MarkdownType, b.String(), false, false), nil, nil,
		slackapi.SectionBlockOptionBlockID("meeting_"+m.ID)))

	yes, no, maybe := m.RSVPCounts()
	facts := []string{"Meeting " + Escape(m.ID), fmt.Sprintf("%d yes, %d no, %d maybe", yes, no, maybe)}
	if m.IsRecurring() {
		facts = append(facts, "repeats")
	}
	if m.Private {
		facts = append(facts, "invitees only")
	}
	if live && m.RoomNotReady() {
		facts = append(facts, "video room not ready yet")
	}
	blocks = append(blocks, slackapi.NewContextBlock("",
		slackapi.NewTextBlockObject(slackapi.MarkdownType, fit(strings.Join(facts, " · "), maxContextText), false, false)))
	if room != nil && room.Known() {
		blocks = append(blocks, roomBlock(m, room))
	}
	if !live {
		return blocks
	}
	return append(blocks, cardActions(m))
}

// cardActions is the row of buttons on a meeting's card and reminders:
// Join, Yes, No and Cancel (which core refuses to anyone but the organizer,
// co-hosts and admins, with a plain sentence).
func cardActions(m *core.Meeting) *slackapi.ActionBlock {
	button := func(action, label string) *slackapi.ButtonBlockElement {
		return slackapi.NewButtonBlockElement(action+":"+m.ID, m.ID,
			slackapi.NewTextBlockObject(slackapi.PlainTextType, fit(label, maxButtonText), false, false))
	}
	cancel := button(actionCancel, "Cancel").WithStyle(slackapi.StyleDanger).WithConfirm(
		slackapi.NewConfirmationBlockObject(
			slackapi.NewTextBlockObject(slackapi.PlainTextType, "Cancel this meeting?", false, false),
			slackapi.NewTextBlockObject(slackapi.MarkdownType, "No one will be able to join *"+fit(m.Title, 250)+"* any more.", false, false),
			slackapi.NewTextBlockObject(slackapi.PlainTextType, "Cancel it", false, false),
			slackapi.NewTextBlockObject(slackapi.PlainTextType, "Keep it", false, false)))
	return slackapi.NewActionBlock("actions_"+m.ID,
		button(actionJoin, "Join").WithStyle(slackapi.StylePrimary),
		button(actionRSVPYes, "Yes"),
		button(actionRSVPNo, "No"),
		cancel)
}

// cardText is the notification text that goes with a card.
func cardText(m *core.Meeting, now time.Time) string {
	occ := m.CurrentOccurrence(now, 0, 0)
	return fit(m.Title, 250) + ", " + Date(occ.Start, m.TimeZone)
}

func organizerName(m *core.Meeting) string {
	if m.OrganizerName != "" {
		return m.OrganizerName
	}
	return m.Organizer
}

// cardVerbs are the commands whose success is shown to the whole channel as
// a card; every other reply goes to the actor only.
var cardVerbs = map[command.Verb]string{
	command.VerbSchedule: "Scheduled by",
	command.VerbNow:      "Started by",
	command.VerbMove:     "Moved by",
	command.VerbSkip:     "One occurrence skipped by",
	command.VerbCancel:   "Cancelled by",
}

// message turns a chat reply into a Slack response. Failures, personal
// links and lookups are ephemeral; a successful change to a public meeting
// is posted in the channel as a card.
func message(r chat.Reply, actor string, now time.Time) slackapi.Msg {
	eph := ephemeral
	if !r.OK || r.Private || r.JoinURL != "" {
		return eph(Escape(r.Text))
	}
	if heading, ok := cardVerbs[r.Verb]; ok && r.Meeting != nil && !r.Meeting.Private {
		return slackapi.Msg{
			ResponseType: slackapi.ResponseTypeInChannel,
			Text:         cardText(r.Meeting, now),
			Blocks:       slackapi.Blocks{BlockSet: Card(r.Meeting, now, heading+" "+actor)},
		}
	}
	if r.Verb == command.VerbList {
		return eph(listText(r.Meetings, now))
	}
	return eph(Escape(r.Text))
}

// listText renders the channel's meetings with local dates. It stops once
// the reply's length budget is spent (a reply is cut there anyway) and
// says how many more there are.
func listText(ms []*core.Meeting, now time.Time) string {
	if len(ms) == 0 {
		return "No upcoming meetings in this channel. Schedule one with `/meet schedule Weekly sync tomorrow 3pm`."
	}
	var b strings.Builder
	b.Grow(min(64+200*len(ms), maxMessageText+200))
	b.WriteString("Upcoming meetings in this channel:")
	for i, m := range ms {
		if b.Len() > maxMessageText-400 {
			fmt.Fprintf(&b, "\n…and %d more; `/meet info <id>` shows one.", len(ms)-i)
			break
		}
		b.WriteString(listLine(m, m.CurrentOccurrence(now, 0, 0).Start))
	}
	return b.String()
}

// fitLines cuts already-escaped text at a line boundary so it stays under
// max characters, saying how much was left out.
func fitLines(s string, max int) string {
	// No more bytes than max is no more runes either: no need to count.
	if len(s) <= max || utf8.RuneCountInString(s) <= max {
		return s
	}
	lines := strings.Split(s, "\n")
	var b strings.Builder
	n := 0
	for i, l := range lines {
		w := utf8.RuneCountInString(l) + 1
		if n+w > max-40 {
			if i == 0 {
				// One overlong line: cut it by runes, not inside an entity.
				cut := cutRunes(l, max-1)
				if j := strings.LastIndexByte(cut, '&'); j >= 0 && !strings.Contains(cut[j:], ";") {
					cut = cut[:j]
				}
				return cut + "…"
			}
			fmt.Fprintf(&b, "\n…and %d more lines.", len(lines)-i)
			return b.String()
		}
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(l)
		n += w
	}
	return b.String()
}

func cutRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
