package recur

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// untilKind says how an UNTIL value is to be compared with occurrences.
type untilKind int

const (
	untilNone    untilKind = iota
	untilInstant           // "20270630T035959Z": an instant
	untilWall              // "20270630T235959": a wall clock in the series' zone
	untilDay               // "20270630": every occurrence on that local day is included
)

// spec is a checked RRULE body. opt has no DTSTART and no UNTIL: the
// expansion supplies both in wall-clock terms.
type spec struct {
	opt       rrule.ROption
	parts     map[string]string // the rule's parts as written (upper case)
	until     time.Time         // UTC fields; an instant for untilInstant, else a wall clock
	untilKind untilKind
}

// supported lists the rule parts meetbot reads.
var supported = []string{"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}

// unsupported explains the RFC 5545 parts meetbot refuses.
var unsupported = map[string]string{
	"BYHOUR":    "the time of day comes from the start time, and a meeting series repeats at most once a day",
	"BYMINUTE":  "the time of day comes from the start time, and a meeting series repeats at most once a day",
	"BYSECOND":  "the time of day comes from the start time, and a meeting series repeats at most once a day",
	"BYYEARDAY": "describe the days with BYMONTH and BYMONTHDAY instead",
	"BYWEEKNO":  "describe the days with BYMONTH, BYDAY or BYMONTHDAY instead",
	"BYEASTER":  "it is not part of the iCalendar standard",
}

// bydayItem is one BYDAY entry: an optional ordinal and a weekday.
var bydayItem = regexp.MustCompile(`^([+-]?[1-9][0-9]?)?(MO|TU|WE|TH|FR|SA|SU)$`)

// ruleChars reports whether s uses only characters an RRULE body can have.
func ruleChars(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("=;,+-", r)) {
			return false
		}
	}
	return true
}

// compile checks an RRULE body and returns its options. It checks
// everything that does not depend on the start time; the probe in Validate
// checks the rest (that the rule produces at least one date).
func compile(rule string) (*spec, error) {
	body := strings.ToUpper(strings.TrimSpace(rule))
	switch {
	case body == "":
		return nil, userError("The repeat rule is empty. Give one such as %q.", exampleRule)
	case len(body) > maxRuleLen:
		return nil, userError("That repeat rule is too long (over %d characters). Use a short one such as %q.", maxRuleLen, exampleRule)
	case strings.HasPrefix(body, "RRULE:"):
		return nil, userError("Leave out the \"RRULE:\" prefix and give only the rule, such as %q.", exampleRule)
	case strings.Contains(body, "DTSTART"):
		return nil, userError("A repeat rule must not contain DTSTART: the first meeting's time is given separately. Try %q.", exampleRule)
	case !ruleChars(body):
		return nil, userError("A repeat rule has only letters, digits and \"=;,+-\", such as %q.", exampleRule)
	}
	s := &spec{parts: map[string]string{}}
	for _, part := range strings.Split(body, ";") {
		if part == "" {
			continue
		}
		key, value, ok := strings.Cut(part, "=")
		if !ok || value == "" || strings.Contains(value, "=") {
			return nil, userError("%q is not a KEY=VALUE part of a repeat rule. Try %q.", short(part), exampleRule)
		}
		if why, bad := unsupported[key]; bad {
			return nil, userError("meetbot does not support %s in a repeat rule: %s. Try %q.", key, why, exampleRule)
		}
		if !slices.Contains(supported, key) {
			return nil, userError("%q is not a part of a repeat rule I know. Try %q.", short(key), exampleRule)
		}
		if _, dup := s.parts[key]; dup {
			return nil, userError("%s appears twice in the repeat rule; give it once, such as %q.", key, exampleRule)
		}
		s.parts[key] = value
	}
	if err := s.checkFreq(); err != nil {
		return nil, err
	}
	if err := s.readUntil(); err != nil {
		return nil, err
	}
	if err := s.readOptions(); err != nil {
		return nil, err
	}
	return s, s.checkCombinations()
}

// checkFreq requires a FREQ of at most once a day.
func (s *spec) checkFreq() error {
	switch f := s.parts["FREQ"]; f {
	case "DAILY", "WEEKLY", "MONTHLY", "YEARLY":
		return nil
	case "":
		return userError("A repeat rule needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY), such as %q.", exampleRule)
	case "HOURLY", "MINUTELY", "SECONDLY":
		return userError("A meeting series can repeat at most once a day, and FREQ=%s is more often than that, which is almost certainly a mistake. Use FREQ=DAILY or slower, such as %q.", f, "FREQ=DAILY")
	default:
		return userError("%q is not a frequency; use DAILY, WEEKLY, MONTHLY or YEARLY, such as %q.", short(f), exampleRule)
	}
}

// readUntil reads UNTIL in any of its three RFC 5545 forms.
func (s *spec) readUntil() error {
	v, ok := s.parts["UNTIL"]
	if !ok {
		return nil
	}
	for _, f := range []struct {
		layout string
		kind   untilKind
	}{{"20060102T150405Z", untilInstant}, {"20060102T150405", untilWall}, {"20060102", untilDay}} {
		if t, err := time.Parse(f.layout, v); err == nil {
			s.until, s.untilKind = t, f.kind
			return nil
		}
	}
	return userError("UNTIL=%s is not a date; write the last day such as %q, or an instant such as %q.", short(v), "UNTIL=20270630", "UNTIL=20270630T235959Z")
}

// readOptions reads the parts other than UNTIL with rrule-go, after the
// checks that its parser would skip or get wrong.
func (s *spec) readOptions() error {
	for _, lim := range []struct {
		key string
		max int
	}{{"INTERVAL", MaxInterval}, {"COUNT", MaxCount}} {
		if v, ok := s.parts[lim.key]; ok {
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > lim.max || v[0] == '+' {
				return userError("%s must be a whole number from 1 to %d, such as %q.", lim.key, lim.max, "FREQ=WEEKLY;"+lim.key+"=2")
			}
		}
	}
	if v, ok := s.parts["WKST"]; ok && !slices.Contains([]string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}, v) {
		return userError("WKST=%s is not a weekday; use MO to SU, such as %q.", short(v), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=SU")
	}
	if v, ok := s.parts["BYDAY"]; ok {
		for _, d := range strings.Split(v, ",") {
			if !bydayItem.MatchString(d) {
				return userError("BYDAY=%s is not a list of weekdays such as MO,WE or 1MO or -1FR. Try %q.", short(v), "FREQ=WEEKLY;BYDAY=MO,WE")
			}
		}
	}
	for _, key := range []string{"BYMONTHDAY", "BYMONTH", "BYSETPOS"} {
		if v, ok := s.parts[key]; ok {
			for _, n := range strings.Split(v, ",") {
				if _, err := strconv.Atoi(n); err != nil || len(n) > 4 {
					return userError("%s=%s is not a list of numbers. Try %q.", key, short(v), "FREQ=MONTHLY;BYMONTHDAY=1,15")
				}
			}
		}
	}
	var rest []string
	for _, key := range supported {
		if v, ok := s.parts[key]; ok && key != "UNTIL" {
			rest = append(rest, key+"="+v)
		}
	}
	opt, err := rrule.StrToROption(strings.Join(rest, ";"))
	if err != nil {
		return userError("I couldn't read that repeat rule. Write it such as %q.", exampleRule)
	}
	if _, err := rrule.NewRRule(*opt); err != nil {
		return userError("That repeat rule has a value out of range (%s). Try %q.", err, exampleRule)
	}
	s.opt = *opt
	return nil
}

// checkCombinations applies RFC 5545's rules on which parts go together,
// plus meetbot's own: an end is a COUNT or an UNTIL, not both.
func (s *spec) checkCombinations() error {
	freq := s.opt.Freq
	if s.parts["COUNT"] != "" && s.parts["UNTIL"] != "" {
		return userError("Give either COUNT or UNTIL, not both, such as %q.", "FREQ=WEEKLY;COUNT=10")
	}
	if s.parts["BYMONTHDAY"] != "" && freq == rrule.WEEKLY {
		return userError("BYMONTHDAY does not go with FREQ=WEEKLY; use FREQ=MONTHLY for days of the month, such as %q.", "FREQ=MONTHLY;BYMONTHDAY=1")
	}
	maxOrd := 0
	switch {
	case freq == rrule.MONTHLY || (freq == rrule.YEARLY && s.parts["BYMONTH"] != ""):
		maxOrd = 5
	case freq == rrule.YEARLY:
		maxOrd = 53
	}
	for _, d := range s.opt.Byweekday {
		if n := d.N(); n > maxOrd || -n > maxOrd {
			if maxOrd == 0 {
				return userError("A numbered weekday such as 1MO needs FREQ=MONTHLY or FREQ=YEARLY, such as %q.", "FREQ=MONTHLY;BYDAY=1MO")
			}
			return userError("BYDAY=%s asks for a week that does not exist in a month; use 1 to 5 or -1 to -5, such as %q.", short(s.parts["BYDAY"]), "FREQ=MONTHLY;BYDAY=-1FR")
		}
	}
	if s.parts["BYSETPOS"] != "" {
		if freq == rrule.DAILY {
			return userError("BYSETPOS does not go with FREQ=DAILY. Try %q.", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1")
		}
		if s.parts["BYDAY"] == "" && s.parts["BYMONTHDAY"] == "" && s.parts["BYMONTH"] == "" {
			return userError("BYSETPOS needs BYDAY, BYMONTHDAY or BYMONTH to pick from, such as %q.", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1")
		}
	}
	return nil
}

// short cuts part of a rule for a message, so a huge value cannot flood a
// channel, without splitting a character.
func short(s string) string {
	if len(s) > 40 {
		return strings.ToValidUTF8(s[:40], "") + "…"
	}
	return s
}
