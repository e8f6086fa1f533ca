package discord_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestCardLimits renders a card whose every text is far over Discord's
// limits: each part is cut with "…", the total stays within 6000, and
// rendering never fails.
func TestCardLimits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("𝄞x*", 3000) // astral runes count twice
	m := &core.Meeting{
		Workspace: core.WorkspaceKey{Platform: core.PlatformDiscord, ID: guildA}, ID: "7", Channel: channel,
		Title: long, Organizer: "", OrganizerName: long, Start: testenv.T0, TimeZone: "America/New_York", Duration: time.Hour,
		State: core.StateScheduled,
	}
	for i := range 400 {
		m.Invitees = append(m.Invitees, strings.Repeat("9", 18)+string(rune('a'+i%26)))
	}
	w := core.Window{Opens: m.Start.Add(-5 * time.Minute), Closes: m.End().Add(5 * time.Minute)}
	e, comps := discord.Card(m, core.Occurrence{Start: m.Start, End: m.End()}, w, testenv.T0.Add(-time.Hour))
	units := func(s string) int { return len(utf16.Encode([]rune(s))) } // as Discord counts
	total := units(e.Title) + units(e.Description) + units(e.Footer.Text)
	if units(e.Title) > 256 || !strings.HasSuffix(e.Title, "…") || units(e.Description) > 4096 {
		t.Fatalf("title %d, description %d", units(e.Title), units(e.Description))
	}
	for _, f := range e.Fields {
		if units(f.Value) > 1024 || units(f.Name) > 256 {
			t.Fatalf("field %q: %d", f.Name, units(f.Value))
		}
		total += units(f.Name) + units(f.Value)
	}
	if total > 6000 || len(e.Fields) > 25 || !utf8.ValidString(e.Title) {
		t.Fatalf("total %d, %d fields", total, len(e.Fields))
	}
	if len(comps) != 1 {
		t.Fatalf("components: %+v", comps)
	}
}

// TestHelpFitsAMessage: help is longer than message content allows, so
// it travels in an embed, within limits.
func TestHelpFitsAMessage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.command(t, "U1", "help")
	if len([]rune(r.Data.Content)) > 2000 || len(r.Data.Embeds) == 0 {
		t.Fatalf("help: content %d runes, %d embeds", len([]rune(r.Data.Content)), len(r.Data.Embeds))
	}
	var e dg.MessageEmbed
	if err := json.Unmarshal(r.Data.Embeds[0], &e); err != nil || !strings.Contains(e.Description, "/meet schedule") || len([]rune(e.Description)) > 4096 {
		t.Fatalf("help embed: %v %d", err, len(e.Description))
	}
}

// TestCommandDefinitions checks the registered command against
// Discord's rules, so registration cannot fail with a 400.
func TestCommandDefinitions(t *testing.T) {
	t.Parallel()
	name := regexp.MustCompile(`^[-_'\p{L}\p{N}]{1,32}$`)
	var check func(where string, o *dg.ApplicationCommandOption)
	check = func(where string, o *dg.ApplicationCommandOption) {
		where += " " + o.Name
		if !name.MatchString(o.Name) || strings.ToLower(o.Name) != o.Name {
			t.Errorf("%s: bad name", where)
		}
		if d := utf8.RuneCountInString(o.Description); d < 1 || d > 100 {
			t.Errorf("%s: description of %d characters", where, d)
		}
		if len(o.Options) > 25 || len(o.Choices) > 25 {
			t.Errorf("%s: %d options, %d choices", where, len(o.Options), len(o.Choices))
		}
		if o.Autocomplete && (len(o.Choices) > 0 || o.Type != dg.ApplicationCommandOptionString) {
			t.Errorf("%s: autocomplete with choices or not a string", where)
		}
		optional := false
		for _, c := range o.Options {
			if c.Required && optional {
				t.Errorf("%s: required option %s after an optional one", where, c.Name)
			}
			optional = optional || !c.Required
			check(where, c)
		}
	}
	cmds := discord.Commands()
	if len(cmds) != 1 || cmds[0].Name != "meet" || cmds[0].Description == "" || len(cmds[0].Description) > 100 {
		t.Fatalf("commands: %+v", cmds)
	}
	subs := map[string]bool{}
	for _, o := range cmds[0].Options {
		subs[o.Name] = o.Type == dg.ApplicationCommandOptionSubCommand
		check("/meet", o)
	}
	for _, want := range []string{"schedule", "now", "list", "info", "join", "cancel", "skip", "move", "rsvp", "invite", "remove", "tz", "ics", "summary", "settings", "help"} {
		if !subs[want] {
			t.Errorf("no subcommand %s", want)
		}
	}
	// Discord's rule (developers/interactions/application-commands.mdx,
	// "Slash Commands"): at most 8000 characters for the combined name,
	// description and value properties of the command, its options
	// (subcommands included) and choices. JSON keys, types and flags do
	// not count, so the JSON's size is no measure of it.
	if n := commandChars(cmds[0]); n > 8000 {
		t.Errorf("command has %d characters of names, descriptions and values; Discord allows 8000", n)
	}
}

// commandChars counts what Discord counts toward a command's 8000
// characters: every name, description and choice name and value.
func commandChars(c *dg.ApplicationCommand) int {
	n := utf8.RuneCountInString(c.Name) + utf8.RuneCountInString(c.Description)
	var opt func(o *dg.ApplicationCommandOption)
	opt = func(o *dg.ApplicationCommandOption) {
		n += utf8.RuneCountInString(o.Name) + utf8.RuneCountInString(o.Description)
		for _, ch := range o.Choices {
			n += utf8.RuneCountInString(ch.Name) + utf8.RuneCountInString(fmt.Sprint(ch.Value))
		}
		for _, sub := range o.Options {
			opt(sub)
		}
	}
	for _, o := range c.Options {
		opt(o)
	}
	return n
}

// TestCommandCharsCountsWhatDiscordCounts pins commandChars on a small
// command whose count is known by hand, so the limit check above cannot
// pass by counting nothing.
func TestCommandCharsCountsWhatDiscordCounts(t *testing.T) {
	t.Parallel()
	c := &dg.ApplicationCommand{Name: "meet", Description: "Schedule", Options: []*dg.ApplicationCommandOption{{
		Type: dg.ApplicationCommandOptionSubCommand, Name: "rsvp", Description: "Say", Options: []*dg.ApplicationCommandOption{{
			Type: dg.ApplicationCommandOptionString, Name: "answer", Description: "Your answer",
			Choices: []*dg.ApplicationCommandOptionChoice{{Name: "yes", Value: "yes"}, {Name: "née", Value: "née"}},
		}},
	}}}
	// meet 4 + Schedule 8 + rsvp 4 + Say 3 + answer 6 + Your answer 11 + yes yes 6 + née née 6
	if n := commandChars(c); n != 48 {
		t.Fatalf("commandChars = %d, want 48", n)
	}
	if n := commandChars(discord.Commands()[0]); n < 1000 {
		t.Fatalf("/meet counts only %d characters", n)
	}
}

// TestLineQuoting: any title, however quoted, reaches the grammar whole.
func TestLineQuoting(t *testing.T) {
	t.Parallel()
	for _, title := range []string{`Retro 12/03`, `say "hi" there`, `"quoted"`, `l'équipe`, `«x» "y" 'z' ‘w’`, `for the team with @ana private`} {
		line := discord.Line("schedule", []*dg.ApplicationCommandInteractionDataOption{opt("title", title), opt("when", "tomorrow 3pm")})
		h := newHarness(t)
		rep := h.command(t, "U1", "schedule", opt("title", title), opt("when", "tomorrow 3pm"))
		ms := h.meetings(t)
		if len(ms) != 1 || ms[0].Title != strings.TrimSpace(strings.NewReplacer("»", "›").Replace(title)) && ms[0].Title != title {
			t.Errorf("%q → line %q → %s", title, line, rep.Data.Content)
		}
	}
}

// TestOverCardOffersNoJoin: a cancelled or ended meeting's card has no
// buttons and no "/meet join" hint.
func TestOverCardOffersNoJoin(t *testing.T) {
	t.Parallel()
	base := core.Meeting{
		Workspace: core.WorkspaceKey{Platform: core.PlatformDiscord, ID: guildA}, ID: "7", Channel: channel,
		Title: "Retro", Organizer: "111111111111111111", Start: testenv.T0, TimeZone: "America/New_York", Duration: time.Hour,
	}
	w := core.Window{Opens: base.Start.Add(-5 * time.Minute), Closes: base.End().Add(5 * time.Minute)}
	occ := core.Occurrence{Start: base.Start, End: base.End()}
	for _, tc := range []struct {
		state core.MeetingState
		now   time.Time
	}{
		{core.StateCancelled, testenv.T0.Add(-time.Hour)},
		{core.StateEnded, testenv.T0.Add(3 * time.Hour)},
		{core.StateScheduled, testenv.T0.Add(3 * time.Hour)}, // over by the clock
	} {
		m := base
		m.State = tc.state
		e, comps := discord.Card(&m, occ, w, tc.now)
		raw, _ := json.Marshal(e)
		if len(comps) != 0 || strings.Contains(string(raw), "/meet join") {
			t.Errorf("%s card offers joining: %s %+v", tc.state, raw, comps)
		}
	}
	m := base
	m.State = core.StateScheduled
	if e, _ := discord.Card(&m, occ, w, testenv.T0.Add(-time.Hour)); !strings.Contains(e.Footer.Text, "/meet join 7") {
		t.Errorf("a live card lost its join hint: %q", e.Footer.Text)
	}
}
