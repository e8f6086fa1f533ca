package discord

import (
	"strings"

	dg "github.com/bwmarrin/discordgo"
)

// CommandName is the one application command meetbot registers.
const CommandName = "meet"

// Option names shared by several subcommands.
const (
	optTitle    = "title"
	optWhen     = "when"
	optDuration = "duration"
	optRepeat   = "repeat"
	optUntil    = "until"
	optFrom     = "from"
	optUsers    = "users"
	optPrivate  = "private"
	optID       = "id"
	optDay      = "day"
	optAll      = "all"
	optAnswer   = "answer"
	optZone     = "zone"
	optArgs     = "args"
	optTopic    = "topic"
	optHost     = "host"
)

func str(name, desc string, required, autocomplete bool) *dg.ApplicationCommandOption {
	return &dg.ApplicationCommandOption{Type: dg.ApplicationCommandOptionString, Name: name, Description: desc,
		Required: required, Autocomplete: autocomplete}
}

func flag(name, desc string) *dg.ApplicationCommandOption {
	return &dg.ApplicationCommandOption{Type: dg.ApplicationCommandOptionBoolean, Name: name, Description: desc}
}

func idOpt(required bool) *dg.ApplicationCommandOption {
	return str(optID, "The meeting (type to search this channel's meetings)", required, true)
}

func sub(name, desc string, opts ...*dg.ApplicationCommandOption) *dg.ApplicationCommandOption {
	return &dg.ApplicationCommandOption{Type: dg.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
}

// Commands returns the /meet command with one subcommand per verb of the
// shared grammar. Its options are typed, but each subcommand is turned
// back into the "/meet …" line every adapter runs, so the grammar, its
// checks and its answers stay in one place (core/command and core/chat).
// Required options come first, as Discord demands.
func Commands() []*dg.ApplicationCommand {
	users := func(required bool) *dg.ApplicationCommandOption {
		return str(optUsers, "People, as mentions: @ana @bo", required, false)
	}
	dur := str(optDuration, "How long: 45m, 1h30m, 2 hours (default 30m)", false, false)
	no := false
	return []*dg.ApplicationCommand{{
		Type:         dg.ChatApplicationCommand,
		Name:         CommandName,
		Description:  "Schedule video meetings and get your own join link",
		DMPermission: &no,
		Options: []*dg.ApplicationCommandOption{
			sub("schedule", "Plan a meeting, once or repeating",
				str(optTitle, "What the meeting is called", true, false),
				str(optWhen, "When: tomorrow 3pm, friday 9am, dec 3 14:00; with repeat, a time of day", true, true),
				dur,
				str(optRepeat, "How it repeats: weekdays, every monday, monthly on the 1st", false, false),
				str(optUntil, "Last day of a repeating meeting: jun 30", false, false),
				str(optFrom, "First day of a series: jan 11", false, false),
				users(false),
				flag(optPrivate, "Only invited people can see and join it")),
			sub("now", "Start a meeting right away",
				str(optTitle, "What the meeting is called (default: Quick meeting)", false, false),
				dur, users(false),
				flag(optPrivate, "Only invited people can see and join it")),
			sub("list", "Show this channel's upcoming meetings"),
			sub("info", "Show one meeting", idOpt(true)),
			sub("join", "Get your personal join link (only you see it)", idOpt(false)),
			sub("rsvp", "Say whether you are coming", idOpt(true),
				&dg.ApplicationCommandOption{Type: dg.ApplicationCommandOptionString, Name: optAnswer, Description: "Your answer", Required: true,
					Choices: []*dg.ApplicationCommandOptionChoice{{Name: "yes", Value: "yes"}, {Name: "no", Value: "no"}, {Name: "maybe", Value: "maybe"}}}),
			sub("skip", "Leave out one meeting of a series", idOpt(true),
				str(optDay, "Which day (default: the next one): friday, dec 3", false, false)),
			sub("move", "Move a meeting (a series: its next meeting, or all of it)", idOpt(true),
				str(optWhen, "The new time: tomorrow 4pm", true, true),
				flag(optAll, "Move the whole series from then on")),
			sub("cancel", "Cancel a meeting or a whole series", idOpt(true)),
			sub("invite", "Add people to a meeting", idOpt(true), users(true),
				flag(optHost, "Make them co-hosts")),
			sub("remove", "Take people off a meeting; their links stop working", idOpt(true), users(true)),
			sub("ics", "Get a calendar file for a meeting", idOpt(true)),
			sub("summary", "Show the AI summary of a meeting's last session (only you see it)", idOpt(true)),
			sub("tz", "Set your time zone (Discord does not share it)", str(optZone, "An IANA zone: Europe/Berlin", true, true)),
			sub("settings", "Show or change this server's meeting settings (admins)",
				str(optArgs, "What to change: e.g. zone Europe/Berlin", false, false)),
			sub("help", "How to use /meet", str(optTopic, "A command, or time, duration, repeat", false, false)),
		},
	}}
}

// subcommands that name a meeting with the id option.
var takesID = map[string]bool{"info": true, "join": true, "rsvp": true, "skip": true, "move": true,
	"cancel": true, "invite": true, "remove": true, "ics": true, "summary": true}

// optionValues reads a subcommand's options without discordgo's typed
// getters, which panic on a type they did not expect.
func optionValues(opts []*dg.ApplicationCommandInteractionDataOption) (strs map[string]string, flags map[string]bool) {
	strs, flags = map[string]string{}, map[string]bool{}
	for _, o := range opts {
		if o == nil {
			continue
		}
		switch v := o.Value.(type) {
		case string:
			strs[o.Name] = strings.TrimSpace(v)
		case bool:
			flags[o.Name] = v
		}
	}
	return strs, flags
}

// quote makes s one token of the command grammar whatever it holds: the
// tokenizer closes a quote only at a matching quote before a space, so a
// pair of quotes that s does not contain always works. With every kind
// present, the characters that could close the quote are replaced.
func quote(s string) string {
	s = strings.TrimSpace(s)
	for _, q := range []struct{ open, close, closers string }{
		{`"`, `"`, `"”“`}, {"«", "»", "»"}, {"'", "'", "'’"}, {"‘", "’", "’'"},
	} {
		if !strings.ContainsAny(s, q.closers) {
			return q.open + s + q.close
		}
	}
	return "«" + strings.ReplaceAll(s, "»", "›") + "»"
}

// Line turns a /meet subcommand and its options into the text line the
// shared grammar reads, so "/meet schedule title:Retro when:friday 9am"
// runs exactly as "/meet schedule "Retro" friday 9am" would.
func Line(subcommand string, opts []*dg.ApplicationCommandInteractionDataOption) string {
	s, f := optionValues(opts)
	parts := []string{"/meet", subcommand}
	add := func(words ...string) {
		for _, w := range words {
			if w != "" {
				parts = append(parts, w)
			}
		}
	}
	options := func() {
		if d := s[optDuration]; d != "" {
			add("for", d)
		}
		if u := s[optUsers]; u != "" {
			add("with", u)
		}
		if f[optPrivate] {
			add("private")
		}
	}
	switch subcommand {
	case "schedule":
		if t := s[optTitle]; t != "" {
			add(quote(t))
		}
		add(s[optRepeat], s[optWhen])
		options()
		if u := s[optUntil]; u != "" {
			add("until", u)
		}
		if d := s[optFrom]; d != "" {
			add("from", d)
		}
	case "now":
		if t := s[optTitle]; t != "" {
			add(quote(t))
		}
		options()
	case "rsvp":
		add(s[optID], s[optAnswer])
	case "skip":
		add(s[optID], s[optDay])
	case "move":
		add(s[optID])
		if f[optAll] {
			add("all")
		}
		if w := s[optWhen]; w != "" {
			add("to", w)
		}
	case "invite", "remove":
		add(s[optID], s[optUsers])
		if f[optHost] && subcommand == "invite" {
			add("as", "host")
		}
	case "tz":
		add(s[optZone])
	case "settings":
		add(s[optArgs])
	case "help":
		add(s[optTopic])
	default:
		add(s[optID])
	}
	return strings.Join(parts, " ")
}
