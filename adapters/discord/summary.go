package discord

import (
	"fmt"
	"strings"
	"unicode/utf16"

	dg "github.com/bwmarrin/discordgo"
)

// Where an AI summary goes in one Discord message. A summary that fits
// beside its heading in the 2000-character content is sent as plain
// content. A longer one is split at line breaks (else spaces) into
// embeds, each description at most 4096, all of them within the
// 6000-character total Discord allows across a message's embeds. Beyond
// that the text is cut at a line or word and says so, rather than
// failing with a 400 or ending mid-word with no word of why.
const (
	maxSummaryEmbeds = 10 // Discord's embeds per message
	// summaryBudget is what the descriptions may hold in all: the total
	// embed limit, less the cut note.
	summaryBudget = maxEmbedTotal - 200
)

// textSummaryCut ends a summary that was too long for one message. %d is
// the whole summary's length in characters.
const textSummaryCut = "\n\n*The summary is cut here: it has %d characters, and one Discord message holds about 6000.*"

// summaryMessage renders meeting id's AI summary for Discord: the heading
// (title escaped) and the text, escaped too, since it is the video
// service's output built from what people said, so markdown and mention
// syntax in it show as typed.
func summaryMessage(title, id, summary string, ephemeral bool) message {
	head := fmt.Sprintf("**Summary of %s** (meeting %s)", literal.Fit(title, maxEmbedTitle), id)
	body := Escape(strings.TrimSpace(summary))
	if units(head)+1+units(body) <= maxContent {
		return message{content: head + "\n" + body, ephemeral: ephemeral}
	}
	parts, cut := splitUnits(body, maxEmbedDesc, summaryBudget, maxSummaryEmbeds)
	if cut {
		parts[len(parts)-1] += fmt.Sprintf(textSummaryCut, units(body))
	}
	embeds := make([]*dg.MessageEmbed, len(parts))
	for i, p := range parts {
		embeds[i] = &dg.MessageEmbed{Type: dg.EmbedTypeRich, Description: p}
	}
	return message{content: head, embeds: embeds, ephemeral: ephemeral}
}

// splitUnits splits s into at most n parts of at most size UTF-16 code
// units each, together at most budget, breaking after a newline where one
// is in the last half of a part, else after a space, else anywhere
// between runes; a part that the budget shortens ends at a newline or is
// left out. cut reports that s did not fit whole.
func splitUnits(s string, size, budget, n int) (parts []string, cut bool) {
	for s != "" && len(parts) < n && budget > 0 {
		limit := min(size, budget)
		head, rest := cutUnits(s, limit)
		if rest != "" {
			// Short of room for the rest (the budget, not the part size,
			// is the limit), end at a whole line or not at all.
			short := limit < size && len(parts) > 0
			if i := strings.LastIndexByte(head, '\n'); i >= 0 && (i >= len(head)/2 || short) {
				head, rest = head[:i+1], head[i+1:]+rest
			} else if short {
				break
			} else if i := strings.LastIndexByte(head, ' '); i >= len(head)/2 {
				head, rest = head[:i+1], head[i+1:]+rest
			}
		}
		if p := strings.TrimSpace(head); p != "" {
			parts = append(parts, p)
		}
		budget -= units(head)
		s = strings.TrimLeft(rest, " \n")
	}
	if len(parts) == 0 {
		parts = []string{""}
	}
	return parts, s != ""
}

// cutUnits splits s after the longest prefix of at most n UTF-16 code
// units, between runes.
func cutUnits(s string, n int) (head, rest string) {
	used := 0
	for i, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if used+w > n {
			return s[:i], s[i:]
		}
		used += w
	}
	return s, ""
}
