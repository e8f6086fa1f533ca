package timeparse

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

// MaxDuration is the longest meeting ParseDuration accepts. A longer one is
// almost certainly a typo ("90h" for "90m") and would hold a video room open
// for days.
const MaxDuration = 24 * time.Hour

// maxDurationInput caps the text ParseDuration reads; real durations are short.
const maxDurationInput = 40

// durationExamples is the hint appended to duration errors; each one parses.
const durationExamples = `"45m", "1h30m" or "2 hours"`

// ParseDuration reads a meeting length such as "45m", "1h30m", "1h 30m",
// "1.5h", "2 hours", "30 min", "1 hour and 30 minutes" or a bare "90"
// (minutes). The result is a whole number of minutes between one minute and
// MaxDuration. Every error is a *core.Error with code EINVALID whose message
// says what is wrong and shows a duration that works.
func ParseDuration(s string) (time.Duration, error) {
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return 0, core.Errorf(core.EINVALID, "Tell me how long the meeting lasts, such as %s.", durationExamples)
	}
	if len(trimmed) > maxDurationInput {
		return 0, core.Errorf(core.EINVALID, "That duration is too long to read. Try %s.", durationExamples)
	}
	text, ok := normalize(trimmed)
	if !ok {
		return 0, core.Errorf(core.EINVALID, "That duration contains characters I can't read. Try %s.", durationExamples)
	}
	if rest, neg := strings.CutPrefix(text, "-"); neg {
		if _, ok := scanDuration(strings.TrimSpace(rest)); ok {
			return 0, core.Errorf(core.EINVALID, "%q is negative; a meeting lasts at least 1 minute. Try %s.", trimmed, durationExamples)
		}
	}
	d, ok := scanDuration(text)
	switch {
	case !ok:
		return 0, core.Errorf(core.EINVALID, "I couldn't read %q as a duration. Try %s.", trimmed, durationExamples)
	case d <= 0:
		return 0, core.Errorf(core.EINVALID, "A meeting lasts at least 1 minute; %q is zero. Try %s.", trimmed, durationExamples)
	case d%time.Minute != 0:
		return 0, core.Errorf(core.EINVALID, "Durations are counted in whole minutes; %q is not. Try %s.", trimmed, durationExamples)
	case d > MaxDuration:
		return 0, core.Errorf(core.EINVALID, "A meeting can last at most %s; %q is longer. Try %s.", FormatDuration(MaxDuration), trimmed, durationExamples)
	}
	return d, nil
}

// FormatDuration renders d for people, rounded to the minute: "45 min",
// "1 h 30 min", "2 h". It is the inverse of ParseDuration for every value
// ParseDuration returns, so an echoed duration can be typed back in.
func FormatDuration(d time.Duration) string {
	mins := int64(d.Round(time.Minute) / time.Minute)
	sign := ""
	if mins < 0 {
		sign, mins = "-", -mins
	}
	h, m := mins/60, mins%60
	switch {
	case h == 0:
		return fmt.Sprintf("%s%d min", sign, m)
	case m == 0:
		return fmt.Sprintf("%s%d h", sign, h)
	default:
		return fmt.Sprintf("%s%d h %d min", sign, h, m)
	}
}

// durationUnit maps the unit words ParseDuration knows to their length and
// their rank (units must come largest first, each at most once).
func durationUnit(word string) (unit time.Duration, rank int, ok bool) {
	switch word {
	case "d", "day", "days":
		return 24 * time.Hour, 3, true
	case "h", "hr", "hrs", "hour", "hours":
		return time.Hour, 2, true
	case "m", "min", "mins", "minute", "minutes":
		return time.Minute, 1, true
	}
	return 0, 0, false
}

// scanDuration reads normalised text as a sequence of "<number> <unit>"
// parts. Numbers may have a fraction of up to three digits; the arithmetic is
// exact in integers. A trailing number without a unit counts as minutes when
// it stands alone ("90") or follows hours ("1h30"). It never overflows:
// numbers are capped at four integer digits.
func scanDuration(text string) (time.Duration, bool) {
	var total time.Duration
	i, parts, lastRank := 0, 0, 4
	skipSpace := func() {
		for i < len(text) && (text[i] == ' ' || text[i] == ',') {
			i++
		}
	}
	for {
		skipSpace()
		if parts > 0 && strings.HasPrefix(text[i:], "and ") {
			i += len("and ")
			skipSpace()
			if i == len(text) {
				return 0, false
			}
		}
		if i == len(text) {
			break
		}
		intPart, frac, next, ok := scanNumber(text, i)
		if !ok {
			return 0, false
		}
		i = next
		for i < len(text) && text[i] == ' ' {
			i++
		}
		ws := i
		for i < len(text) && text[i] >= 'a' && text[i] <= 'z' {
			i++
		}
		word := text[ws:i]
		var unit time.Duration
		var rank int
		if word == "" {
			// A bare number: minutes, but only alone or right after hours.
			skipSpace()
			if i != len(text) || (parts > 0 && lastRank != 2) {
				return 0, false
			}
			unit, rank = time.Minute, 1
		} else {
			if unit, rank, ok = durationUnit(word); !ok {
				return 0, false
			}
		}
		if rank >= lastRank {
			return 0, false
		}
		lastRank = rank
		total += partValue(intPart, frac, unit)
		parts++
	}
	return total, parts > 0
}

// scanNumber reads the number at text[i:]: its integer digits (at most
// four) and fraction digits (at most three), and where it ends.
func scanNumber(text string, i int) (intPart, frac string, next int, ok bool) {
	start := i
	for i < len(text) && text[i] >= '0' && text[i] <= '9' {
		i++
	}
	intPart = text[start:i]
	if i < len(text) && text[i] == '.' {
		i++
		fs := i
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			i++
		}
		frac = text[fs:i]
		if frac == "" {
			return "", "", i, false
		}
	}
	if (intPart == "" && frac == "") || len(intPart) > 4 || len(frac) > 3 {
		return "", "", i, false
	}
	return intPart, frac, i, true
}

// partValue is intPart.frac units, exact in integers.
func partValue(intPart, frac string, unit time.Duration) time.Duration {
	whole, _ := strconv.ParseInt("0"+intPart, 10, 64)
	total := time.Duration(whole) * unit
	if frac != "" {
		f, _ := strconv.ParseInt(frac, 10, 64)
		scale := int64(1)
		for range len(frac) {
			scale *= 10
		}
		total += time.Duration(f) * unit / time.Duration(scale)
	}
	return total
}

// parseInDuration reads "in <duration>" with the compact duration forms the
// when rules do not know ("in 1h30m", "in 45m", "in 1.5h"). The offset has no
// upper cap here; Parse applies its own limit on how far ahead a time may be.
func parseInDuration(text string) (time.Duration, bool) {
	rest, ok := strings.CutPrefix(text, "in ")
	if !ok || !strings.ContainsAny(rest, "abcdefghijklmnopqrstuvwxyz") {
		return 0, false
	}
	d, ok := scanDuration(rest)
	if !ok || d <= 0 || d%time.Minute != 0 {
		return 0, false
	}
	return d, true
}
