package slack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/adapters/chatkit"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
)

// modalCallback is the callback_id of the scheduling modal.
const modalCallback = "meet_schedule"

// Block ids of the scheduling modal; every input's action id is "v".
const (
	blockTitle    = "title"
	blockDate     = "date"
	blockTime     = "time"
	blockDuration = "duration"
	blockRepeat   = "repeat"
	blockInvitees = "invitees"
	blockPrivate  = "private"
	blockChannel  = "channel"
	inputAction   = "v"
)

// modalOpenTimeout bounds views.open: the trigger_id dies 3 s after the
// command was typed.
const modalOpenTimeout = 2 * time.Second

// durations and repeats are the modal's choices: value → label.
var (
	durations = [][2]string{{"15", "15 minutes"}, {"30", "30 minutes"}, {"45", "45 minutes"}, {"60", "1 hour"}, {"90", "1½ hours"}, {"120", "2 hours"}}
	repeats   = [][2]string{{"none", "Does not repeat"}, {"daily", "Every day"}, {"weekdays", "Every weekday"}, {"weekly", "Every week"}, {"biweekly", "Every 2 weeks"}, {"monthly", "Every month"}}
)

// openModal opens the scheduling modal for "/meet" typed alone. It reports
// false when it could not (no bot token, or Slack refused), so the caller
// answers as for "/meet help".
func (a *Adapter) openModal(ctx context.Context, sc slackapi.SlashCommand, log zerolog.Logger) bool {
	if sc.TriggerID == "" {
		return false
	}
	c, _, ok := a.client(ctx, sc.TeamID)
	if !ok {
		return false
	}
	who := core.Actor{User: core.UserKey{Workspace: core.WorkspaceKey{Platform: core.PlatformSlack, ID: sc.TeamID}, UserID: sc.UserID}}
	if u := a.lookupUserCached(sc.TeamID, sc.UserID); u.ok {
		who.TimeZone = u.zone
	}
	today := a.opts.Service.Now().In(a.opts.Service.Location(ctx, who)).Format(time.DateOnly)
	cctx, cancel := context.WithTimeout(ctx, modalOpenTimeout)
	defer cancel()
	if _, err := c.OpenViewContext(cctx, sc.TriggerID, scheduleModal(sc.ChannelID, today)); err != nil {
		log.Warn().Err(err).Msg("could not open the scheduling modal; answering with help")
		return false
	}
	return true
}

// scheduleModal is the view "/meet" opens.
func scheduleModal(channel, today string) slackapi.ModalViewRequest {
	plain := func(s string) *slackapi.TextBlockObject {
		return slackapi.NewTextBlockObject(slackapi.PlainTextType, s, false, false)
	}
	options := func(choices [][2]string) []*slackapi.OptionBlockObject {
		out := make([]*slackapi.OptionBlockObject, 0, len(choices))
		for _, c := range choices {
			out = append(out, slackapi.NewOptionBlockObject(c[0], plain(c[1]), nil))
		}
		return out
	}
	title := slackapi.NewPlainTextInputBlockElement(plain("Weekly sync"), inputAction)
	title.MaxLength = 200
	date := slackapi.NewDatePickerBlockElement(inputAction)
	date.InitialDate = today
	clock := slackapi.NewTimePickerBlockElement(inputAction)
	dur := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, plain("Duration"), inputAction, options(durations)...)
	dur.InitialOption = dur.Options[1]
	rep := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeStatic, plain("Repeat"), inputAction, options(repeats)...)
	rep.InitialOption = rep.Options[0]
	invitees := slackapi.NewOptionsMultiSelectBlockElement(slackapi.MultiOptTypeUser, plain("Invite people"), inputAction)
	private := slackapi.NewCheckboxGroupsBlockElement(inputAction,
		slackapi.NewOptionBlockObject("private", plain("Invitees only"), plain("Only invitees see the meeting and can join it")))
	conv := slackapi.NewOptionsSelectBlockElement(slackapi.OptTypeConversations, plain("Channel"), inputAction)
	conv.DefaultToCurrentConversation = true
	conv.InitialConversation = channel
	input := func(id, label string, el slackapi.BlockElement, optional bool) *slackapi.InputBlock {
		b := slackapi.NewInputBlock(id, plain(label), nil, el)
		b.Optional = optional
		return b
	}
	return slackapi.ModalViewRequest{
		Type:       slackapi.VTModal,
		CallbackID: modalCallback,
		Title:      plain("Schedule a meeting"),
		Submit:     plain("Schedule"),
		Close:      plain("Cancel"),
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			input(blockTitle, "Title", title, false),
			input(blockDate, "Date (a repeating meeting's first day)", date, false),
			input(blockTime, "Start time (your time zone)", clock, false),
			input(blockDuration, "Duration", dur, false),
			input(blockRepeat, "Repeat", rep, false),
			input(blockInvitees, "Invitees", invitees, true),
			input(blockPrivate, "Visibility", private, true),
			input(blockChannel, "Channel", conv, false),
		}},
	}
}

// modalForm is a submitted scheduling modal, validated.
type modalForm struct {
	title    string
	day      time.Time // the date, at midnight UTC
	hour     int
	minute   int
	duration time.Duration
	repeat   string
	invitees []string
	private  bool
	channel  string
}

// readModal reads and checks a submission. errs maps block ids to one
// sentence each, as Slack shows them under the inputs.
func readModal(st *slackapi.ViewState) (f modalForm, errs map[string]string) {
	errs = map[string]string{}
	get := func(block string) slackapi.BlockAction {
		if st == nil {
			return slackapi.BlockAction{}
		}
		return st.Values[block][inputAction]
	}
	f.title = strings.TrimSpace(get(blockTitle).Value)
	if f.title == "" {
		errs[blockTitle] = "Give the meeting a title, for example “Weekly sync”."
	}
	day, err := time.Parse(time.DateOnly, get(blockDate).SelectedDate)
	if err != nil {
		errs[blockDate] = "Pick the day of the meeting."
	}
	f.day = day
	clock, err := time.Parse("15:04", get(blockTime).SelectedTime)
	if err != nil {
		errs[blockTime] = "Pick the time the meeting starts."
	}
	f.hour, f.minute = clock.Hour(), clock.Minute()
	f.duration = 30 * time.Minute
	if v := get(blockDuration).SelectedOption.Value; v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 && n <= 24*60 {
			f.duration = time.Duration(n) * time.Minute
		} else {
			errs[blockDuration] = "Pick one of the durations in the list."
		}
	}
	f.repeat = get(blockRepeat).SelectedOption.Value
	if f.repeat == "" {
		f.repeat = "none"
	}
	known := false
	for _, r := range repeats {
		known = known || r[0] == f.repeat
	}
	if !known {
		errs[blockRepeat] = "Pick one of the choices in the list."
	}
	f.invitees = get(blockInvitees).SelectedUsers
	for _, o := range get(blockPrivate).SelectedOptions {
		f.private = f.private || o.Value == "private"
	}
	f.channel = get(blockChannel).SelectedConversation
	if f.channel == "" {
		errs[blockChannel] = "Pick the channel the meeting belongs to."
	}
	return f, errs
}

// rule is the RRULE of the form's repeat choice for a first start.
func (f modalForm) rule(start time.Time) string {
	day := strings.ToUpper(start.Weekday().String()[:2])
	switch f.repeat {
	case "daily":
		return "FREQ=DAILY"
	case "weekdays":
		return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
	case "weekly":
		return "FREQ=WEEKLY;BYDAY=" + day
	case "biweekly":
		return "FREQ=WEEKLY;INTERVAL=2;BYDAY=" + day
	case "monthly":
		return fmt.Sprintf("FREQ=MONTHLY;BYMONTHDAY=%d", start.Day())
	}
	return ""
}

// pastDay refuses a picked day before today (now is in the person's zone)
// as the grammar refuses a past "from" or "until": naming the day, with no
// clock time, since only a day was picked. The day is a repeating
// meeting's first day too, so the same sentence serves both.
func pastDay(day, now time.Time) error {
	if !day.Before(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)) {
		return nil
	}
	return core.Errorf(core.EINVALID, "%s has already passed. Pick today or a later day.", day.Format("Mon Jan 2 2006"))
}

// handleSubmission schedules the meeting of a submitted modal. A form with
// missing fields, or a meeting core refuses within AckWait, is answered with
// errors under the inputs and nothing is stored; otherwise the modal
// closes, and the card (or, for a private meeting, a note to the organizer)
// follows in the channel.
func (a *Adapter) handleSubmission(ctx context.Context, ic slackapi.InteractionCallback, team string, log zerolog.Logger) *slackapi.ViewSubmissionResponse {
	f, errs := readModal(ic.View.State)
	if err := core.CheckTitle(f.title, a.opts.Service.Config().MaxTitle); err != nil && errs[blockTitle] == "" {
		// The same check as every other path, shown under the title.
		errs[blockTitle] = core.ErrorMessage(err)
	}
	if len(errs) > 0 {
		return slackapi.NewErrorsViewSubmissionResponse(errs)
	}
	// result is the outcome of the submitted form.
	type result struct {
		m        *core.Meeting
		err      error
		actor    core.Actor
		zoneNote string
	}
	work := func(ctx context.Context) result {
		actor := a.actor(ctx, team, ic.User.ID, ic.User.Name, f.channel)
		// The time picker shows the person's own clock: read it in their zone.
		loc, src := a.opts.Service.LocationSource(ctx, actor)
		start := time.Date(f.day.Year(), f.day.Month(), f.day.Day(), f.hour, f.minute, 0, 0, loc)
		var m *core.Meeting
		err := pastDay(f.day, a.opts.Service.Now().In(loc))
		if err == nil {
			m, err = a.opts.Service.Schedule(ctx, actor, core.ScheduleRequest{
				Title: f.title, Start: start, TimeZone: loc.String(), Duration: f.duration,
				Invitees: f.invitees, Private: f.private, Recurrence: f.rule(start),
			})
		}
		if err != nil && core.ErrorCode(err) == core.EINTERNAL {
			log.Error().Err(err).Msg("scheduling from the modal failed")
		}
		return result{m, err, actor, chat.ZoneUnreadNote(actor, loc, src)}
	}
	res, inTime := chatkit.Answer(ctx, a.deadline, work, nil, func(ctx context.Context, res result) {
		// The modal has closed: a refusal is told in the channel.
		if res.err != nil {
			a.tell(ctx, team, f.channel, ic.User.ID, Escape(core.ErrorMessage(res.err)), log)
			return
		}
		a.afterModal(ctx, res.actor, res.m, res.zoneNote, log)
	})
	switch {
	case !inTime:
		return nil
	case res.err != nil:
		return modalError(core.ErrorMessage(res.err))
	}
	a.deadline.Detach(ctx, func(ctx context.Context) { a.afterModal(ctx, res.actor, res.m, res.zoneNote, log) })
	return nil
}

// modalError keeps the modal open with text under its date, where the
// person sees it and can send the form again.
func modalError(text string) *slackapi.ViewSubmissionResponse {
	return slackapi.NewErrorsViewSubmissionResponse(map[string]string{blockDate: text})
}

// afterModal shows a meeting scheduled from the modal: its card in the
// channel when it is public, and a note to the organizer. zoneNote, when
// set, says the picked time was read in a zone assumed because users.info
// failed; the organizer is then told even when the card was posted.
func (a *Adapter) afterModal(ctx context.Context, actor core.Actor, m *core.Meeting, zoneNote string, log zerolog.Logger) {
	team := actor.User.Workspace.ID
	note := fmt.Sprintf("Scheduled *%s* (meeting %s), %s.", fit(m.Title, 250), Escape(m.ID), Date(m.Start, m.TimeZone))
	if zoneNote != "" {
		note += "\n" + Escape(zoneNote)
	}
	if !m.Private {
		now := a.opts.Service.Now()
		card := slackapi.Msg{Text: cardText(m, now), Blocks: slackapi.Blocks{BlockSet: Card(m, now, "Scheduled by "+actor.Name)}}
		if c, _, ok := a.client(ctx, team); ok && !a.holdsLink(card, "") {
			if posted, _ := a.postCard(ctx, c, m, card, log); posted {
				if zoneNote != "" {
					a.tell(ctx, team, m.Channel, actor.User.UserID, Escape(zoneNote), log)
				}
				return
			}
		}
		note += " I could not post its card in the channel: invite me there with /invite."
	}
	a.tell(ctx, team, m.Channel, actor.User.UserID, note, log)
}

// tell shows text to user alone in channel (chat.postEphemeral), or in a
// direct message when meetbot cannot reach that channel (not a member, a
// DM between other people), so the person still hears what happened.
func (a *Adapter) tell(ctx context.Context, team, channel, user, text string, log zerolog.Logger) {
	c, _, ok := a.client(ctx, team)
	if !ok {
		return
	}
	text = fitLines(text, maxMessageText)
	err := a.withRetry(ctx, func() error {
		_, err := c.PostEphemeralContext(ctx, channel, user, slackapi.MsgOptionText(text, false))
		return err
	})
	if err != nil && channelDead[slackError(err)] {
		err = a.dm(ctx, c, team, user, []slackapi.MsgOption{slackapi.MsgOptionText(text, false)})
	}
	if err != nil {
		log.Warn().Err(err).Str("channel", channel).Msg("could not send an ephemeral note")
	}
}

// lookupUserCached returns users.info from the cache only, never calling
// Slack: for the modal, whose trigger_id leaves no time for a call.
func (a *Adapter) lookupUserCached(team, user string) userInfo {
	a.users.mu.Lock()
	defer a.users.mu.Unlock()
	u := a.users.m[team+"\x00"+user]
	if !u.ok || a.opts.Now().Sub(u.at) >= a.opts.UserTTL {
		return userInfo{}
	}
	return u
}
