package chat

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/command"
)

// runSettings shows the workspace's settings, or changes one and confirms
// the change in one sentence.
func (h *Handler) runSettings(ctx context.Context, a core.Actor, cmd command.Command) Reply {
	if cmd.Setting == nil {
		v, err := h.svc.Settings(ctx, a)
		if err != nil {
			return failure(cmd.Verb, err)
		}
		return Reply{OK: true, Text: settingsText(v), Settings: v}
	}
	v, err := h.svc.UpdateSettings(ctx, a, *cmd.Setting)
	if err != nil {
		return failure(cmd.Verb, err)
	}
	return Reply{OK: true, Text: changedText(*cmd.Setting, v), Settings: v}
}

// settingsText renders the settings in force, one per line, marking those
// that follow the operator's config.
func settingsText(v *core.WorkspaceSettings) string {
	w := &v.Workspace
	def := func(n core.SettingName) string {
		if v.IsInherited(n) {
			return " (operator default)"
		}
		return ""
	}
	var b strings.Builder
	b.WriteString("meetbot settings for this workspace:\n")
	fmt.Fprintf(&b, "  Time zone for people who set none: %s%s\n", w.DefaultTimeZone, def(core.SettingZone))
	fmt.Fprintf(&b, "  Reminders: %s%s\n", leadsText(w.Reminders), def(core.SettingReminders))
	fmt.Fprintf(&b, "  Joining opens: %s%s\n", earlyText(*w.EarlyJoin), def(core.SettingEarly))
	fmt.Fprintf(&b, "  Joining closes: %s%s\n", graceText(*w.Grace), def(core.SettingGrace))
	fmt.Fprintf(&b, "  Reminders by direct message to invitees and \"yes\" RSVPs: %s\n", onOff(w.DMReminders))
	if w.AdminsOnly {
		b.WriteString("  Who may schedule: workspace admins only\n")
	} else {
		b.WriteString("  Who may schedule: everyone\n")
	}
	fmt.Fprintf(&b, "  Recording links to the organizer (and a note in the channel): %s\n", onOff(w.Recordings))
	fmt.Fprintf(&b, "  AI summaries posted after meetings: %s\n", onOff(w.Summaries))
	fmt.Fprintf(&b, "  Camera: %s at %d fps%s; screen share: %d fps%s\n", w.Media.Video, w.Media.FrameRate,
		def(core.SettingVideo), w.Media.ScreenshareFrameRate, def(core.SettingScreenshareFrameRate))
	if len(w.Admins) > 0 {
		fmt.Fprintf(&b, "  meetbot admins: %s, besides the workspace's own admins\n", mentions(w.Admins))
	} else {
		b.WriteString("  meetbot admins: the workspace's own admins\n")
	}
	if v.CanChange {
		b.WriteString("Change one with, for example, \"/meet settings reminders 10m, 0\"; \"/meet help settings\" lists them all.")
	} else {
		b.WriteString("Only workspace admins can change these.")
	}
	return b.String()
}

// changedText confirms a change in one sentence.
func changedText(c core.SettingChange, v *core.WorkspaceSettings) string {
	w := &v.Workspace
	back := ""
	if c.Default {
		back = " (the operator's default)"
	}
	switch c.Name {
	case core.SettingZone:
		return fmt.Sprintf("Times of people who set no zone are now read in %s%s; anyone can set their own with \"/meet tz Area/City\".", w.DefaultTimeZone, back)
	case core.SettingReminders:
		if len(w.Reminders) == 0 {
			return "Reminders are now off for this workspace's meetings" + back + "."
		}
		return fmt.Sprintf("Reminders now go out %s%s; upcoming meetings follow at once.", leadsText(w.Reminders), back)
	case core.SettingEarly:
		return fmt.Sprintf("Joining now opens %s%s.", earlyText(*w.EarlyJoin), back)
	case core.SettingGrace:
		return fmt.Sprintf("Joining now closes %s%s.", graceText(*w.Grace), back)
	case core.SettingDM:
		if w.DMReminders {
			return "Reminders now also go by direct message to invitees and people who said yes."
		}
		return "Reminders no longer go by direct message; they are posted in the meeting's channel only."
	case core.SettingSchedulers:
		if w.AdminsOnly {
			return "Now only workspace admins can schedule meetings here."
		}
		return "Now everyone can schedule meetings here."
	case core.SettingRecordings:
		if w.Recordings {
			return "When a recording is ready, its organizer now gets a personal link (and the channel a note, unless the meeting is private)."
		}
		return "Recordings are no longer announced, and links already sent stop working."
	case core.SettingSummaries:
		if w.Summaries {
			return "AI summaries are now posted in the meeting's thread after it ends (to the organizer only, for a private meeting). RealtimeKit makes them only when transcription is on in the preset."
		}
		return "AI summaries are no longer posted."
	case core.SettingVideo, core.SettingFrameRate, core.SettingScreenshareFrameRate:
		text := fmt.Sprintf("Meetings now start with the camera at %s, %d fps, and screen sharing at %d fps%s.",
			w.Media.Video, w.Media.FrameRate, w.Media.ScreenshareFrameRate, back)
		if !c.Default && (c.Media.Video == "1080p" || c.Media.FrameRate > core.DefaultFrameRate || c.Media.ScreenshareFrameRate > 15) {
			text += " " + core.MediaBandwidthWarning
		}
		return text
	case core.SettingAdmins:
		if len(c.RemoveAdmins) > 0 {
			return fmt.Sprintf("%s no longer %s (the workspace's own admins always are).", areIs(c.RemoveAdmins), adminNoun(c.RemoveAdmins))
		}
		return fmt.Sprintf("%s now %s: they can change these settings and manage any meeting.", areIs(c.AddAdmins), adminNoun(c.AddAdmins))
	}
	return "Settings changed."
}

// areIs renders "@ana is" or "@ana, @bo are".
func areIs(users []string) string {
	if len(users) == 1 {
		return mentions(users) + " is"
	}
	return mentions(users) + " are"
}

func adminNoun(users []string) string {
	if len(users) == 1 {
		return "a meetbot admin"
	}
	return "meetbot admins"
}

// leadsText renders reminder leads as "10 min before the start and at the
// start".
func leadsText(leads []time.Duration) string {
	if len(leads) == 0 {
		return "none"
	}
	var parts []string
	atStart := false
	for _, d := range leads {
		if d == 0 {
			atStart = true
			continue
		}
		parts = append(parts, core.HumanDuration(d))
	}
	var s string
	if len(parts) > 0 {
		s = strings.Join(parts, ", ") + " before the start"
	}
	if atStart {
		if s != "" {
			s += " and "
		}
		s += "at the start"
	}
	return s
}

func earlyText(d time.Duration) string {
	if d <= 0 {
		return "at the start"
	}
	return core.HumanDuration(d) + " before the start"
}

func graceText(d time.Duration) string {
	if d <= 0 {
		return "at the end"
	}
	return core.HumanDuration(d) + " after the end"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// addZoneHint tells the actor, once, which zone their time was read in
// when they never chose one and their platform reports none.
func (h *Handler) addZoneHint(ctx context.Context, a core.Actor, r *Reply) {
	loc, src, ok := h.svc.TakeZoneHint(ctx, a)
	if !ok {
		return
	}
	whose := "this workspace's default"
	if src == core.ZoneFromConfig {
		whose = "meetbot's default here"
	}
	r.Note = fmt.Sprintf("I read the time in %s, %s; set yours with \"/meet tz Area/City\".", loc.String(), whose)
	r.Text += "\n" + r.Note
}
