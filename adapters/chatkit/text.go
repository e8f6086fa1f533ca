package chatkit

import (
	"strings"
	"unicode/utf8"
)

// Text fits user text into a platform's length limits. Platforms count
// length differently (Slack in characters, Discord in UTF-16 code units),
// and each has its own escape, so both are the platform's to give.
type Text struct {
	// Escape makes user text inert in the platform's markup; nil leaves
	// text as it is (for text that is already markup).
	Escape func(string) string
	// Count measures text as the platform does; default Runes.
	Count func(string) int
}

// Runes counts s in characters (Unicode code points), as Slack does.
func Runes(s string) int { return utf8.RuneCountInString(s) }

// UTF16 counts s in UTF-16 code units, as Discord does: a character
// outside the Basic Multilingual Plane (most emoji) counts twice.
func UTF16(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// Ellipsis ends text that was cut.
const Ellipsis = "…"

// Fit escapes s and cuts it so the result measures at most max, ending
// with Ellipsis when it was cut. The cut falls between characters of s,
// so it never splits a rune or an escape (an entity, a backslash pair) in
// half. A max below one yields "".
func (t Text) Fit(s string, max int) string {
	if max <= 0 {
		return ""
	}
	count := t.Count
	if count == nil {
		count = Runes
	}
	esc := s
	if t.Escape != nil {
		esc = t.Escape(s)
	}
	if count(esc) <= max {
		return esc
	}
	budget := max - count(Ellipsis)
	var b strings.Builder
	n := 0
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		piece := string(buf[:utf8.EncodeRune(buf[:], r)])
		if t.Escape != nil {
			piece = t.Escape(piece)
		}
		w := count(piece)
		if n+w > budget {
			break
		}
		b.WriteString(piece)
		n += w
	}
	b.WriteString(Ellipsis)
	return b.String()
}

// Fit is Text{Escape: escape}.Fit(s, max): s escaped with the platform's
// escape and cut to max characters.
func Fit(s string, max int, escape func(string) string) string {
	return Text{Escape: escape}.Fit(s, max)
}
