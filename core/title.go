package core

import (
	"unicode"
	"unicode/utf8"
)

// ForbiddenRune reports characters that have no place in a one-line command
// or a meeting title: control characters, line and paragraph separators,
// and invisible formatting characters (a bidi override such as U+202E makes
// a title read differently from what it is). The zero-width joiner and the
// tag characters stay allowed because emoji sequences use them. The /meet
// lexer and CheckTitle share it, so no path accepts what another refuses.
func ForbiddenRune(r rune) bool {
	switch {
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return true
	case r == '\u200d', r >= 0xE0020 && r <= 0xE007F:
		return false
	}
	return unicode.Is(unicode.Cf, r)
}

// CheckTitle is the one validation of a meeting title, whatever the path
// it came by (the /meet grammar, Slack's modal, Discord's options, the
// console): valid UTF-8, no ForbiddenRune, at most max runes. It returns an
// EINVALID error with one sentence saying what to change.
func CheckTitle(title string, max int) error {
	if !utf8.ValidString(title) {
		return Errorf(EINVALID, "The title has characters I can't read. Please retype it.")
	}
	for _, r := range title {
		if ForbiddenRune(r) {
			return Errorf(EINVALID, "The title has a line break or an invisible control or formatting character (U+%04X). Please use plain text, for example \"Weekly sync\".", r)
		}
	}
	if n := utf8.RuneCountInString(title); max > 0 && n > max {
		return Errorf(EINVALID, "The title is %d characters long; the limit is %d. Please shorten it.", n, max)
	}
	return nil
}

// checkText rejects control characters and enforces a rune cap; it is the
// last line of defence for text that reaches a store or a chat post.
func checkText(what, v string, max int) error {
	if !utf8.ValidString(v) {
		return Errorf(EINVALID, "The %s has characters I can't read. Please retype it.", what)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return Errorf(EINVALID, "The %s has control characters. Please use plain text, for example \"Weekly sync\".", what)
		}
	}
	if n := utf8.RuneCountInString(v); n > max {
		return Errorf(EINVALID, "The %s is %d characters long; the limit is %d. Please shorten it.", what, n, max)
	}
	return nil
}
