package command

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/meetbot/meetbot/core"
)

// MaxMeetingID is the longest meeting id accepted, in characters.
const MaxMeetingID = 32

// exampleID is the meeting id used in examples.
const exampleID = "12"

// parseWithID reads "<verb> <id>" (info, cancel, join with an id).
func parseWithID(v Verb, args []token) (Command, error) {
	example := fmt.Sprintf("/meet %s %s", v, exampleID)
	if len(args) == 0 {
		return Command{}, core.Errorf(core.EINVALID, "Which meeting? Add its id, such as %q.", example)
	}
	id, err := meetingID(args[0], example)
	if err != nil {
		return Command{}, err
	}
	if err := noMore(v, args[1:], example); err != nil {
		return Command{}, err
	}
	return Command{Verb: v, MeetingID: id}, nil
}

// parsePeople reads "invite|remove <id> @user…".
func parsePeople(v Verb, args []token) (Command, error) {
	example := fmt.Sprintf("/meet %s %s @ana @bo", v, exampleID)
	if len(args) == 0 {
		return Command{}, core.Errorf(core.EINVALID, "Which meeting, and who? Give the id and then mentions, such as %q.", example)
	}
	if _, ok := parseMention(args[0].text); ok && !args[0].quoted {
		return Command{}, core.Errorf(core.EINVALID, "Give the meeting id before the people, such as %q.", example)
	}
	id, err := meetingID(args[0], example)
	if err != nil {
		return Command{}, err
	}
	people, asHost := args[1:], false
	if n := len(people); v == VerbInvite && n >= 2 && word(people[n-2], "as") && hostWord(people[n-1]) {
		people, asHost = people[:n-2], true
	}
	if len(people) == 0 {
		return Command{}, core.Errorf(core.EINVALID, "Who? Mention the people after the id, such as %q.", example)
	}
	users, err := parseUsers(people, example)
	if err != nil {
		return Command{}, err
	}
	return Command{Verb: v, MeetingID: id, Users: users, AsHost: asHost}, nil
}

// hostWord reports the words "as …" may end an invite with to make the
// people co-hosts: host, hosts, co-host, co-hosts, cohost, cohosts.
func hostWord(t token) bool {
	if t.quoted {
		return false
	}
	switch strings.ToLower(t.text) {
	case "host", "hosts", "co-host", "co-hosts", "cohost", "cohosts":
		return true
	}
	return false
}

// meetingID validates an id token: letters, digits and dashes, at most
// MaxMeetingID of them, with an optional leading '#' (people copy ids from
// messages that show them as "#12").
func meetingID(t token, example string) (string, error) {
	id := strings.TrimPrefix(t.text, "#")
	ok := strings.Trim(id, "-") != "" && len(id) <= MaxMeetingID && !t.quoted
	for _, r := range id {
		if !(r == '-' || (r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)))) {
			ok = false
			break
		}
	}
	if !ok {
		return "", core.Errorf(core.EINVALID,
			"%s is not a meeting id; ids are short codes of letters, digits and dashes, such as %q.", short(t.raw), example)
	}
	return id, nil
}

// parseUsers reads a list of mentions. Commas and the word "and" between
// them are allowed; anything else that is not a mention is an error, so a
// name typed without "@" is not silently dropped.
func parseUsers(toks []token, example string) ([]string, error) {
	var users []string
	for _, t := range toks {
		text := strings.TrimRight(t.text, ",")
		if text == "" || (strings.EqualFold(text, "and") && !t.quoted) {
			continue
		}
		id, ok := parseMention(text)
		if !ok || t.quoted {
			if isBroadcast(text) {
				return nil, core.Errorf(core.EINVALID,
					"%s is not a person; mention people one by one, such as %q.", short(t.raw), example)
			}
			return nil, core.Errorf(core.EINVALID,
				"%s is not a mention; mention people with @, such as %q.", short(t.raw), example)
		}
		if !slices.Contains(users, id) {
			users = append(users, id)
		}
	}
	if len(users) == 0 {
		return nil, core.Errorf(core.EINVALID, "Who? Mention at least one person, such as %q.", example)
	}
	return users, nil
}

// parseMention turns one mention into a user id: "@name" → "name", Slack's
// "<@U123>" and "<@U123|bob>" → "U123", Discord's "<@123>" and "<@!123>" →
// "123". Group pings (@here, @everyone, <!channel>) and role or channel
// mentions are not people and are refused.
func parseMention(s string) (string, bool) {
	if inner, ok := strings.CutPrefix(s, "<@"); ok {
		inner, ok = strings.CutSuffix(inner, ">")
		if !ok {
			return "", false
		}
		inner = strings.TrimPrefix(inner, "!")
		if i := strings.IndexByte(inner, '|'); i >= 0 {
			inner = inner[:i]
		}
		if inner == "" || len(inner) > 32 {
			return "", false
		}
		for _, r := range inner {
			if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
				return "", false
			}
		}
		return inner, true
	}
	name, ok := strings.CutPrefix(s, "@")
	if !ok || name == "" || utf8.RuneCountInString(name) > 64 || isBroadcast(s) {
		return "", false
	}
	for _, r := range name {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-') {
			return "", false
		}
	}
	return name, true
}

// isBroadcast reports the group pings that must never be read as a person.
func isBroadcast(s string) bool {
	switch strings.ToLower(s) {
	case "@here", "@everyone", "@channel", "@all", "<!here>", "<!everyone>", "<!channel>":
		return true
	}
	return strings.HasPrefix(s, "<!") || strings.HasPrefix(s, "<@&")
}

// parseTZ reads "tz <IANA zone>". The name is kept exactly as typed once
// time.LoadLocation accepts it; "Local", "" and names with ".." are refused
// because they depend on the server or point outside the zone database.
func parseTZ(args []token) (Command, error) {
	const example = "/meet tz Europe/Berlin"
	if len(args) == 0 {
		return Command{}, core.Errorf(core.EINVALID, "Which time zone? Use an IANA name, such as %q.", example)
	}
	if err := noMore(VerbTZ, args[1:], example); err != nil {
		return Command{}, err
	}
	name := args[0].text
	if validZone(name) {
		return Command{Verb: VerbTZ, TimeZone: name}, nil
	}
	if fixed := fixZoneCase(name); fixed != name && validZone(fixed) {
		return Command{}, core.Errorf(core.EINVALID,
			"%s is not a time zone I know. Did you mean %q? Try %q.", short(name), fixed, "/meet tz "+fixed)
	}
	return Command{}, core.Errorf(core.EINVALID,
		"%s is not a time zone I know. Use an IANA name such as \"Europe/Berlin\" or \"America/New_York\".", short(name))
}

// validZone reports whether name is a zone the server can load and that
// means the same on every server.
func validZone(name string) bool {
	if name == "" || name == "Local" || len(name) > 64 || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/_+-", r)) {
			return false
		}
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// fixZoneCase guesses the usual capitalisation of a zone name typed in the
// wrong case: "europe/berlin" → "Europe/Berlin", "utc" → "UTC".
func fixZoneCase(name string) string {
	if len(name) <= 4 && !strings.ContainsAny(name, "/_") {
		return strings.ToUpper(name)
	}
	b := []rune(strings.ToLower(name))
	for i := range b {
		if i == 0 || strings.ContainsRune("/_-", b[i-1]) {
			b[i] = unicode.ToUpper(b[i])
		}
	}
	return string(b)
}

// helpTopics are the topics Help can be asked about, with their aliases.
func helpTopic(word string) (string, bool) {
	w := strings.ToLower(word)
	switch w {
	case "time", "times", "when":
		return "time", true
	case "duration", "durations", "for":
		return "duration", true
	case "repeat", "repeats", "repeating", "recurring", "recurrence", "series", "every":
		return "repeat", true
	}
	for _, v := range verbs() {
		if w == string(v) {
			return w, true
		}
	}
	return "", false
}

// parseHelp reads "help [topic]".
func parseHelp(args []token) (Command, error) {
	if len(args) == 0 {
		return Command{Verb: VerbHelp}, nil
	}
	if err := noMore(VerbHelp, args[1:], "/meet help schedule"); err != nil {
		return Command{}, err
	}
	topic, ok := helpTopic(args[0].text)
	if !ok {
		return Command{}, core.Errorf(core.EINVALID,
			"There is no help on %s. Try \"/meet help\" or \"/meet help schedule\".", short(args[0].raw))
	}
	return Command{Verb: VerbHelp, Topic: topic}, nil
}
