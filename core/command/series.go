package command

import (
	"strings"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/timeparse"
)

// idFirst reads the meeting id every series verb starts with.
func idFirst(args []token, example string) (string, []token, error) {
	if len(args) == 0 {
		return "", nil, core.Errorf(core.EINVALID, "Which meeting? Add its id, such as %q.", example)
	}
	id, err := meetingID(args[0], example)
	return id, args[1:], err
}

// word reports whether t is the unquoted word w, in any case.
func word(t token, w string) bool {
	return !t.quoted && strings.EqualFold(t.text, w)
}

// parseSkip reads "skip <id> [<day or time>]". A day alone ("friday",
// "2027-03-15") sets DateOnly and Start to that day's first instant; a day
// and time names one meeting exactly; nothing means the next meeting.
func parseSkip(args []token, c Context) (Command, error) {
	const example = "/meet skip 12 friday"
	id, rest, err := idFirst(args, example)
	if err != nil {
		return Command{}, err
	}
	cmd := Command{Verb: VerbSkip, MeetingID: id}
	if len(rest) > 0 && word(rest[0], "on") {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return cmd, nil
	}
	text := join(rest)
	day, err := timeparse.ParseDay(text, c.Now, c.Location)
	if err == nil {
		cmd.Start, cmd.DateOnly = day, true
		return cmd, nil
	}
	if !timeparse.IsUnrecognized(err) {
		return Command{}, err
	}
	r, err := timeparse.Parse(text, c.Now, c.Location)
	if timeparse.IsUnrecognized(err) {
		return Command{}, core.Errorf(core.EINVALID,
			"I couldn't read %s as a day. Name the meeting's day, such as %q, or leave it out to skip the next one.", short(text), example)
	}
	if err != nil {
		return Command{}, err
	}
	cmd.Start, cmd.StartNote = r.Time, r.Note
	return cmd, nil
}

// parseMove reads "move <id> [all] [to] <when>". The new time needs a time
// of day: "move 12 to friday" would otherwise silently keep the current
// clock time, which is rarely the meeting's.
func parseMove(args []token, c Context) (Command, error) {
	const example = "/meet move 12 to tomorrow 4pm"
	id, rest, err := idFirst(args, example)
	if err != nil {
		return Command{}, err
	}
	cmd := Command{Verb: VerbMove, MeetingID: id}
	if len(rest) > 0 && word(rest[0], "all") {
		cmd.All, rest = true, rest[1:]
	}
	if len(rest) > 0 && word(rest[0], "to") {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		return Command{}, core.Errorf(core.EINVALID, "To when? Give the new time, such as %q.", example)
	}
	text := join(rest)
	if _, err := timeparse.ParseDay(text, c.Now, c.Location); err == nil {
		fix := "/meet move " + id + " to " + text + " 10:00"
		if len(fix) > 60 {
			fix = example
		}
		return Command{}, core.Errorf(core.EINVALID, "Give the new time of day as well as the day, such as %q.", fix)
	}
	r, err := timeparse.Parse(text, c.Now, c.Location)
	if timeparse.IsUnrecognized(err) {
		return Command{}, core.Errorf(core.EINVALID, "I couldn't read %s as the new time. Try %q.", short(text), example)
	}
	if err != nil {
		return Command{}, err
	}
	cmd.Start, cmd.StartNote = r.Time, r.Note
	return cmd, nil
}

// parseRSVP reads "rsvp <id> yes|no|maybe".
func parseRSVP(args []token) (Command, error) {
	const example = "/meet rsvp 12 yes"
	id, rest, err := idFirst(args, example)
	if err != nil {
		return Command{}, err
	}
	if len(rest) == 0 {
		return Command{}, core.Errorf(core.EINVALID, "Are you coming? Answer yes, no or maybe after the id, such as %q.", example)
	}
	if err := noMore(VerbRSVP, rest[1:], example); err != nil {
		return Command{}, err
	}
	answer := strings.ToLower(rest[0].text)
	switch answer {
	case "yes", "no", "maybe":
		return Command{Verb: VerbRSVP, MeetingID: id, RSVP: answer}, nil
	}
	return Command{}, core.Errorf(core.EINVALID, "%s is not an answer; reply yes, no or maybe, such as %q.", short(rest[0].raw), example)
}
