package command

import (
	"strconv"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

// exampleSettings is the example settings errors end with; it parses.
const exampleSettings = "/meet settings reminders 10m, 0"

// settingNames maps what people type after "settings" to a setting,
// including the obvious variants.
func settingName(word string) (core.SettingName, bool) {
	switch strings.ToLower(word) {
	case "zone", "tz", "timezone", "time-zone":
		return core.SettingZone, true
	case "reminders", "reminder", "remind":
		return core.SettingReminders, true
	case "early", "early-join", "earlyjoin":
		return core.SettingEarly, true
	case "grace", "late":
		return core.SettingGrace, true
	case "dm", "dms":
		return core.SettingDM, true
	case "schedulers", "scheduler", "who":
		return core.SettingSchedulers, true
	case "admins", "admin":
		return core.SettingAdmins, true
	case "recordings", "recording", "recs":
		return core.SettingRecordings, true
	case "summaries", "summary", "summarize":
		return core.SettingSummaries, true
	case "video", "camera", "resolution":
		return core.SettingVideo, true
	case "frame_rate", "frame-rate", "framerate", "fps":
		return core.SettingFrameRate, true
	case "screenshare_frame_rate", "screenshare-frame-rate", "screenshare_fps", "screenshare-fps", "screen-fps":
		return core.SettingScreenshareFrameRate, true
	}
	return "", false
}

// parseSettings reads "settings" (show) or "settings <name> <value>".
func parseSettings(args []token) (Command, error) {
	if len(args) == 0 {
		return Command{Verb: VerbSettings}, nil
	}
	name, ok := settingName(args[0].text)
	if !ok || args[0].quoted {
		return Command{}, core.Errorf(core.EINVALID,
			"There is no setting %s. The settings are zone, reminders, early, grace, dm, schedulers, admins, recordings, summaries, video, frame_rate and screenshare_frame_rate, such as %q.", short(args[0].raw), exampleSettings)
	}
	rest := args[1:]
	example := settingExample(name)
	if len(rest) == 0 {
		return Command{}, core.Errorf(core.EINVALID, "Give the new value after %q, such as %q.", string(name), example)
	}
	c := core.SettingChange{Name: name}
	isDefault := len(rest) == 1 && !rest[0].quoted && strings.EqualFold(rest[0].text, "default")
	switch name {
	case core.SettingZone, core.SettingReminders, core.SettingEarly, core.SettingGrace,
		core.SettingVideo, core.SettingFrameRate, core.SettingScreenshareFrameRate:
		if isDefault {
			c.Default = true
			return Command{Verb: VerbSettings, Setting: &c}, nil
		}
	}
	var err error
	switch name {
	case core.SettingZone:
		c.TimeZone, err = settingZone(rest)
	case core.SettingReminders:
		c.Reminders, err = settingLeads(rest)
	case core.SettingEarly, core.SettingGrace:
		c.Duration, err = settingMargin(name, rest)
	case core.SettingDM:
		c.DMReminders, err = settingChoice(rest, example, map[string]bool{"on": true, "yes": true, "off": false, "no": false})
	case core.SettingSchedulers:
		c.AdminsOnly, err = settingChoice(rest, example, map[string]bool{"admins": true, "admin": true, "everyone": false, "anyone": false, "all": false})
	case core.SettingAdmins:
		err = settingAdmins(rest, &c)
	case core.SettingRecordings, core.SettingSummaries:
		c.On, err = settingChoice(rest, example, map[string]bool{"on": true, "yes": true, "off": false, "no": false})
	case core.SettingVideo:
		c.Media.Video, err = settingVideo(rest)
	case core.SettingFrameRate:
		c.Media.FrameRate, err = settingFrameRate(name, rest)
	case core.SettingScreenshareFrameRate:
		c.Media.ScreenshareFrameRate, err = settingFrameRate(name, rest)
	}
	if err != nil {
		return Command{}, err
	}
	return Command{Verb: VerbSettings, Setting: &c}, nil
}

// settingExample is a working command for each setting.
func settingExample(n core.SettingName) string {
	switch n {
	case core.SettingZone:
		return "/meet settings zone Europe/Berlin"
	case core.SettingEarly:
		return "/meet settings early 5m"
	case core.SettingGrace:
		return "/meet settings grace 10m"
	case core.SettingDM:
		return "/meet settings dm on"
	case core.SettingSchedulers:
		return "/meet settings schedulers everyone"
	case core.SettingAdmins:
		return "/meet settings admins add @ana"
	case core.SettingRecordings:
		return "/meet settings recordings on"
	case core.SettingSummaries:
		return "/meet settings summaries on"
	case core.SettingVideo:
		return "/meet settings video 1080p"
	case core.SettingFrameRate:
		return "/meet settings frame_rate 24"
	case core.SettingScreenshareFrameRate:
		return "/meet settings screenshare_frame_rate 5"
	}
	return exampleSettings
}

// settingZone reads the workspace zone, with the same checks and the same
// case-fix suggestion as "/meet tz".
func settingZone(args []token) (string, error) {
	const example = "/meet settings zone Europe/Berlin"
	if err := noMoreAfter("the zone", args[1:], example); err != nil {
		return "", err
	}
	name := args[0].text
	if validZone(name) && !args[0].quoted {
		return name, nil
	}
	if fixed := fixZoneCase(name); fixed != name && validZone(fixed) {
		return "", core.Errorf(core.EINVALID,
			"%s is not a time zone I know. Did you mean %q? Try %q.", short(name), fixed, "/meet settings zone "+fixed)
	}
	return "", core.Errorf(core.EINVALID,
		"%s is not a time zone I know. Use an IANA name such as \"Europe/Berlin\": %q.", short(args[0].raw), example)
}

// noMoreAfter refuses words left after a setting's single value.
func noMoreAfter(what string, extra []token, example string) error {
	if len(extra) == 0 {
		return nil
	}
	return core.Errorf(core.EINVALID, "Unexpected %s after %s. Try %q.", short(join(extra)), what, example)
}

// settingLeads reads reminder lead times separated by commas or spaces
// ("10m, 0"), or "off"/"none" for no reminders. The result is non-nil.
func settingLeads(args []token) ([]time.Duration, error) {
	if len(args) == 1 && !args[0].quoted && (strings.EqualFold(args[0].text, "off") || strings.EqualFold(args[0].text, "none")) {
		return []time.Duration{}, nil
	}
	leads := []time.Duration{}
	for _, t := range args {
		for _, part := range strings.Split(t.text, ",") {
			if part == "" {
				continue
			}
			if len(leads) == core.MaxReminders {
				return nil, core.Errorf(core.EINVALID,
					"That is more than %d reminders. Keep the ones that matter, such as %q.", core.MaxReminders, exampleSettings)
			}
			d, ok := parseLead(part)
			if !ok || t.quoted {
				return nil, core.Errorf(core.EINVALID,
					"%s is not a reminder time. Give lengths of time before the start (\"1d\", \"1h\", \"10m\", \"0\"), such as %q.", short(part), exampleSettings)
			}
			if d > core.MaxReminderLead {
				return nil, core.Errorf(core.EINVALID,
					"A reminder can come at most %s before the start; %s is longer. Try %q.", core.HumanDuration(core.MaxReminderLead), short(part), exampleSettings)
			}
			leads = append(leads, d)
		}
	}
	if len(leads) == 0 {
		return nil, core.Errorf(core.EINVALID, "Which reminder times? Give them before the start, such as %q.", exampleSettings)
	}
	return leads, nil
}

// settingMargin reads early-join or grace minutes, from 0 to
// core.MaxJoinMargin.
func settingMargin(name core.SettingName, args []token) (time.Duration, error) {
	example := settingExample(name)
	if err := noMoreAfter("the time", args[1:], example); err != nil {
		return 0, err
	}
	d, ok := parseLead(args[0].text)
	if !ok || args[0].quoted {
		return 0, core.Errorf(core.EINVALID, "%s is not a length of time. Give minutes (\"5m\", \"0\"), such as %q.", short(args[0].raw), example)
	}
	if d > core.MaxJoinMargin {
		return 0, core.Errorf(core.EINVALID, "That can be at most %s; %s is longer. Try %q.", core.HumanDuration(core.MaxJoinMargin), short(args[0].raw), example)
	}
	return d, nil
}

// parseLead reads one compact length of time: "0", a bare number of
// minutes ("90"), or number-unit parts with units d, h and m, largest
// first ("1d", "1h30m", "10min"). Numbers have at most four digits, so it
// cannot overflow.
func parseLead(s string) (time.Duration, bool) {
	s = strings.ToLower(s)
	if s == "" {
		return 0, false
	}
	if strings.Trim(s, "0123456789") == "" {
		if len(s) > 4 {
			return 0, false
		}
		n, _ := strconv.Atoi(s)
		return time.Duration(n) * time.Minute, true
	}
	var total time.Duration
	last := 4
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 4 {
			return 0, false
		}
		n, _ := strconv.Atoi(s[:i])
		s = s[i:]
		j := 0
		for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
			j++
		}
		var unit time.Duration
		var rank int
		switch s[:j] {
		case "d", "day", "days":
			unit, rank = 24*time.Hour, 3
		case "h", "hr", "hrs", "hour", "hours":
			unit, rank = time.Hour, 2
		case "m", "min", "mins", "minute", "minutes":
			unit, rank = time.Minute, 1
		default:
			return 0, false
		}
		if rank >= last {
			return 0, false
		}
		last = rank
		total += time.Duration(n) * unit
		s = s[j:]
	}
	return total, true
}

// settingChoice reads one word from choices.
func settingChoice(args []token, example string, choices map[string]bool) (bool, error) {
	if err := noMoreAfter("the choice", args[1:], example); err != nil {
		return false, err
	}
	v, ok := choices[strings.ToLower(args[0].text)]
	if !ok || args[0].quoted {
		return false, core.Errorf(core.EINVALID, "%s is not one of the choices here. Try %q.", short(args[0].raw), example)
	}
	return v, nil
}

// settingAdmins reads "add @people" or "remove @people".
func settingAdmins(args []token, c *core.SettingChange) error {
	op := strings.ToLower(args[0].text)
	if (op != "add" && op != "remove") || args[0].quoted {
		return core.Errorf(core.EINVALID, "Say \"add\" or \"remove\" and then mention people, such as %q.", "/meet settings admins add @ana")
	}
	example := "/meet settings admins " + op + " @ana"
	if len(args) == 1 {
		return core.Errorf(core.EINVALID, "Who? Mention them after %q, such as %q.", op, example)
	}
	users, err := parseUsers(args[1:], example)
	if err != nil {
		return err
	}
	if len(users) > core.MaxAdmins {
		return core.Errorf(core.EINVALID, "That is %d people; at most %d can be meetbot admins. Name fewer, such as %q.", len(users), core.MaxAdmins, example)
	}
	if op == "add" {
		c.AddAdmins = users
	} else {
		c.RemoveAdmins = users
	}
	return nil
}

// settingVideo reads the camera quality: 720p or 1080p.
func settingVideo(args []token) (string, error) {
	example := settingExample(core.SettingVideo)
	if err := noMoreAfter("the quality", args[1:], example); err != nil {
		return "", err
	}
	v := strings.ToLower(args[0].text)
	if _, _, ok := core.VideoSize(v); !ok || args[0].quoted {
		return "", core.Errorf(core.EINVALID, "%s is not a video quality; it is 720p or 1080p, such as %q.", short(args[0].raw), example)
	}
	return v, nil
}

// settingFrameRate reads a frame rate from 1 to core.MaxFrameRate.
func settingFrameRate(name core.SettingName, args []token) (int, error) {
	example := settingExample(name)
	if err := noMoreAfter("the frame rate", args[1:], example); err != nil {
		return 0, err
	}
	text := strings.TrimSuffix(strings.ToLower(args[0].text), "fps")
	n, err := strconv.Atoi(text)
	if err != nil || args[0].quoted || n < 1 || n > core.MaxFrameRate || len(text) > 2 {
		return 0, core.Errorf(core.EINVALID, "%s is not a frame rate; give 1 to %d frames per second, such as %q.", short(args[0].raw), core.MaxFrameRate, example)
	}
	return n, nil
}
