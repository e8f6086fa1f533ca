package command

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/meetbot/meetbot/core"
)

// token is one word of a command line. A quoted run ("Team sync") is one
// token whose text is what is inside the quotes; a chat mention such as
// <@U123|bob smith> is one token even if it contains spaces.
type token struct {
	text   string // the word, or the inside of the quotes
	raw    string // the word as typed, quotes included
	quoted bool
}

// sanitize rejects input that is too large or not plain text, and returns it
// with tabs turned into spaces and outer white space (including a trailing
// newline from a console) removed. It runs before any parsing so no later
// step ever sees control characters.
func sanitize(text string) (string, error) {
	if len(text) > MaxInputBytes {
		return "", core.Errorf(core.EINVALID,
			"That command is too long (over %d characters). Keep it short, such as %q.", MaxInputBytes, exampleSchedule)
	}
	if !utf8.ValidString(text) {
		return "", core.Errorf(core.EINVALID,
			"That command contains bytes that are not text. Type it again, such as %q.", exampleSchedule)
	}
	text = strings.TrimSpace(strings.ReplaceAll(text, "\t", " "))
	for _, r := range text {
		if forbidden(r) {
			return "", core.Errorf(core.EINVALID,
				"That command contains a line break or another invisible control character. Put it on one line, such as %q.", exampleSchedule)
		}
	}
	return text, nil
}

// forbidden reports characters that have no place in a one-line command;
// core.ForbiddenRune is the one definition, shared with core.CheckTitle.
func forbidden(r rune) bool { return core.ForbiddenRune(r) }

// closers maps each opening quote to the quotes that may close it. Phones
// and chat clients turn straight quotes into typographic ones, and not always
// in matching pairs.
func closers(open rune) string {
	switch open {
	case '"':
		return `"”“`
	case '“':
		return `”"“`
	case '„':
		return `“”"`
	case '«':
		return `»`
	case '\'':
		return `'’`
	case '‘':
		return `’'`
	}
	return ""
}

// tokenize splits a sanitized line into tokens. A quote opens a quoted token
// only at the start of a word and closes at a matching quote followed by a
// space or the end; an unclosed double quote is an error, while an unclosed
// single quote is read as an apostrophe ('90s party).
func tokenize(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		if cl := closers(r); cl != "" {
			if end, next, ok := findClose(s, i+size, cl); ok {
				toks = append(toks, token{text: strings.TrimSpace(s[i+size : end]), raw: s[i:next], quoted: true})
				i = next
				continue
			}
			if r != '\'' && r != '‘' {
				return nil, core.Errorf(core.EINVALID,
					"A quote in your command is never closed. Close it, such as %q.", `/meet schedule "Team sync" tomorrow 3pm`)
			}
		}
		end := wordEnd(s, i)
		toks = append(toks, token{text: s[i:end], raw: s[i:end]})
		i = end
	}
	return toks, nil
}

// findClose finds the closing quote for a token whose inside starts at from.
// It returns the index of the closing quote and the index just after it.
func findClose(s string, from int, cl string) (end, next int, ok bool) {
	for j := from; j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		if strings.ContainsRune(cl, r) {
			after, _ := utf8.DecodeRuneInString(s[j+size:])
			if j+size == len(s) || unicode.IsSpace(after) {
				return j, j + size, true
			}
		}
		j += size
	}
	return 0, 0, false
}

// wordEnd returns where the word starting at i ends: at the next space, or
// for a chat mention such as "<@U123|bob smith>" at its closing '>'.
func wordEnd(s string, i int) int {
	if strings.HasPrefix(s[i:], "<@") || strings.HasPrefix(s[i:], "<#") || strings.HasPrefix(s[i:], "<!") {
		if j := strings.IndexByte(s[i:], '>'); j > 0 && j < 120 {
			return i + j + 1
		}
	}
	for j, r := range s[i:] {
		if unicode.IsSpace(r) {
			return i + j
		}
	}
	return len(s)
}

// join renders tokens as typed, separated by single spaces.
func join(toks []token) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.raw
	}
	return strings.Join(parts, " ")
}

// short quotes s for an error message, cut to a readable length so a huge
// argument cannot flood the channel.
func short(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
