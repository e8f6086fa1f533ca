package discord

import (
	"context"
	_ "embed"
	"sort"
	"strings"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/command"
	"github.com/meetbot/meetbot/core/recur"
)

// zoneNames are the IANA zones offered for /meet tz, one per line (from
// Go's zoneinfo, without the legacy aliases), embedded because a minimal
// container has no zone directory to list.
//
//go:embed zones.txt
var zoneNames string

var zones = strings.Fields(zoneNames)

// choices is an autocomplete answer (type 8) with at most 25 choices,
// each name and value cut to Discord's 100 characters.
func choices(cs []*dg.ApplicationCommandOptionChoice) *dg.InteractionResponse {
	if len(cs) > maxChoices {
		cs = cs[:maxChoices]
	}
	out := make([]*dg.ApplicationCommandOptionChoice, 0, len(cs))
	for _, c := range cs {
		name := fit(c.Name, maxChoiceName)
		if name == "" {
			continue
		}
		if s, ok := c.Value.(string); ok {
			if s == "" || units(s) > maxChoiceValue {
				continue // a cut value would be a different value
			}
		}
		out = append(out, &dg.ApplicationCommandOptionChoice{Name: name, Value: c.Value})
	}
	return &dg.InteractionResponse{Type: dg.InteractionApplicationCommandAutocompleteResult,
		Data: &dg.InteractionResponseData{Choices: out}}
}

// autocomplete suggests values for the option being typed: meeting ids
// (named by title), time zones, and for "when" a preview of how the text
// will be read.
func (a *Adapter) autocomplete(ctx context.Context, actor core.Actor, data dg.ApplicationCommandInteractionData) *dg.InteractionResponse {
	sub, opts, ok := subcommand(data)
	if !ok {
		return choices(nil)
	}
	var focused *dg.ApplicationCommandInteractionDataOption
	for _, o := range opts {
		if o != nil && o.Focused {
			focused = o
		}
	}
	if focused == nil {
		return choices(nil)
	}
	typed, _ := focused.Value.(string)
	typed = strings.TrimSpace(typed)
	switch {
	case focused.Name == optID && takesID[sub]:
		return choices(a.meetingChoices(ctx, actor, typed))
	case focused.Name == optZone:
		return choices(zoneChoices(typed))
	case focused.Name == optWhen:
		return choices(a.whenPreview(ctx, actor, sub, opts, typed))
	}
	return choices(nil)
}

// meetingChoices lists the actor's channel's meetings whose id or title
// contains typed: only what List shows them, so another guild's or a
// private meeting's title never leaks.
func (a *Adapter) meetingChoices(ctx context.Context, actor core.Actor, typed string) []*dg.ApplicationCommandOptionChoice {
	ms, err := a.opts.Service.List(ctx, actor)
	if err != nil {
		return nil
	}
	q := strings.ToLower(strings.TrimPrefix(typed, "#"))
	// The id typed exactly first, then ids starting with it, then titles
	// containing it.
	var exact, byID, byTitle []*dg.ApplicationCommandOptionChoice
	for _, m := range ms {
		c := &dg.ApplicationCommandOptionChoice{Name: m.ID + " · " + m.Title, Value: m.ID}
		id := strings.ToLower(m.ID)
		switch {
		case q == "" || id == q:
			exact = append(exact, c)
		case strings.HasPrefix(id, q):
			byID = append(byID, c)
		case strings.Contains(strings.ToLower(m.Title), q):
			byTitle = append(byTitle, c)
		}
	}
	return append(append(exact, byID...), byTitle...)
}

// zoneChoices lists zones matching typed: names starting with it first,
// then names containing it, case-insensitively.
func zoneChoices(typed string) []*dg.ApplicationCommandOptionChoice {
	q := strings.ToLower(strings.ReplaceAll(typed, " ", "_"))
	var prefix, inside []string
	for _, z := range zones {
		l := strings.ToLower(z)
		switch {
		case strings.HasPrefix(l, q):
			prefix = append(prefix, z)
		case strings.Contains(l, q):
			inside = append(inside, z)
		}
	}
	sort.Strings(prefix)
	var out []*dg.ApplicationCommandOptionChoice
	for _, z := range append(prefix, inside...) {
		out = append(out, &dg.ApplicationCommandOptionChoice{Name: z, Value: z})
		if len(out) == maxChoices {
			break
		}
	}
	return out
}

// whenPreview shows how the typed time will be read, in the actor's zone,
// as the one choice: "tomorrow 3pm → Thu 26 Nov 15:00 CET". When the text
// does not parse the choice names the problem instead, so people fix it
// before sending.
func (a *Adapter) whenPreview(ctx context.Context, actor core.Actor, sub string, opts []*dg.ApplicationCommandInteractionDataOption, typed string) []*dg.ApplicationCommandOptionChoice {
	if typed == "" {
		return []*dg.ApplicationCommandOptionChoice{
			{Name: "tomorrow 3pm", Value: "tomorrow 3pm"},
			{Name: "friday 9am", Value: "friday 9am"},
			{Name: "in 2 hours", Value: "in 2 hours"},
		}
	}
	s, _ := optionValues(opts)
	repeat := ""
	if sub == "schedule" {
		repeat = s[optRepeat]
	}
	svc := a.opts.Service
	loc := svc.Location(ctx, actor)
	now := svc.Now()
	line := strings.TrimSpace("/meet schedule \"preview\" " + repeat + " " + typed)
	if u := s[optUntil]; sub == "schedule" && u != "" && repeat != "" {
		line += " until " + u
	}
	if f := s[optFrom]; sub == "schedule" && f != "" && repeat != "" {
		line += " from " + f // the first meeting is on or after it
	}
	cmd, err := command.Parse(line, command.Context{Now: now, Location: loc, MaxTitle: svc.Config().MaxTitle})
	var name string
	if err != nil {
		name = core.ErrorMessage(err)
	} else {
		lt := cmd.Start.In(loc)
		layout := "Mon 2 Jan 15:04 MST"
		if lt.Year() != now.In(loc).Year() {
			layout = "Mon 2 Jan 2006 15:04 MST"
		}
		name = typed + " → " + lt.Format(layout)
		if cmd.Recurrence != "" {
			name += ", repeats " + recur.Describe(cmd.Recurrence, loc)
		}
	}
	return []*dg.ApplicationCommandOptionChoice{{Name: name, Value: fit(typed, maxChoiceValue)}}
}
