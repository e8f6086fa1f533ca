package recur

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// phraseExample is the example phrase errors end with; it reads as a
// complete recurrence when followed by a time of day.
const phraseExample = "every monday 10:00"

// dayCodes maps the weekday words people type to RFC 5545 codes. Plural
// forms ("mondays") mark a bare phrase as repeating without "every".
var dayCodes = map[string]string{
	"monday": "MO", "mon": "MO",
	"tuesday": "TU", "tue": "TU", "tues": "TU",
	"wednesday": "WE", "wed": "WE", "weds": "WE",
	"thursday": "TH", "thu": "TH", "thur": "TH", "thurs": "TH",
	"friday": "FR", "fri": "FR",
	"saturday": "SA", "sat": "SA",
	"sunday": "SU", "sun": "SU",
}

// weekdayOrder is RFC 5545's weekday order, used to write BYDAY sorted.
var weekdayOrder = []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}

// dayWord reads one weekday word and reports whether it was plural.
func dayWord(w string) (code string, plural bool, ok bool) {
	if c, ok := dayCodes[w]; ok {
		return c, false, true
	}
	if base, cut := strings.CutSuffix(w, "s"); cut && len(base) > 5 {
		if c, ok := dayCodes[base]; ok {
			return c, true, true
		}
	}
	return "", false, false
}

// ordinalWords maps spelled-out ordinals to numbers; "last" is -1.
var ordinalWords = map[string]int{
	"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1,
}

// numberWords lets people spell small intervals: "every two weeks".
var numberWords = map[string]int{
	"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12,
}

// phraseRule is what a phrase says, before it is written as an RRULE.
type phraseRule struct {
	freq     string
	interval int
	days     []string // BYDAY entries, possibly with ordinals ("1MO")
	monthday []int
	setpos   int
}

// String writes the rule as a canonical RRULE body.
func (p phraseRule) String() string {
	parts := []string{"FREQ=" + p.freq}
	if p.interval > 1 {
		parts = append(parts, "INTERVAL="+strconv.Itoa(p.interval))
	}
	if len(p.days) > 0 {
		parts = append(parts, "BYDAY="+strings.Join(p.days, ","))
	}
	if len(p.monthday) > 0 {
		var ds []string
		for _, d := range p.monthday {
			ds = append(ds, strconv.Itoa(d))
		}
		parts = append(parts, "BYMONTHDAY="+strings.Join(ds, ","))
	}
	if p.setpos != 0 {
		parts = append(parts, "BYSETPOS="+strconv.Itoa(p.setpos))
	}
	return strings.Join(parts, ";")
}

// words is a cursor over a phrase's lower-case words.
type words struct {
	w []string
	i int
}

func (c *words) peek() string {
	if c.i < len(c.w) {
		return c.w[c.i]
	}
	return ""
}

// take consumes the next word if it is one of want.
func (c *words) take(want ...string) bool {
	if c.i < len(c.w) && slices.Contains(want, c.w[c.i]) {
		c.i++
		return true
	}
	return false
}

func (c *words) done() bool { return c.i >= len(c.w) }

// notRecurrence is the error for words that are not a repetition at all.
func notRecurrence(text string) error {
	return fmt.Errorf("%q: %w", text, ErrNotRecurrence)
}

// ParsePhrase reads the words that say how a meeting repeats and returns
// the RRULE body they mean. It reads only the repetition, not the time of
// day, which the caller parses separately:
//
//	daily, every day, every 3 days, every other day       FREQ=DAILY[;INTERVAL=n]
//	weekdays, every weekday, on weekdays                  FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR
//	every monday, every tue and thu, mondays              FREQ=WEEKLY;BYDAY=…
//	weekly on friday, every 2 weeks on tue,thu            FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH
//	monthly on the 15th, every month on the 1st and 15th  FREQ=MONTHLY;BYMONTHDAY=…
//	every month on the first monday, … the last friday    FREQ=MONTHLY;BYDAY=1MO / -1FR
//	monthly on the last day, … on the last weekday        BYMONTHDAY=-1 / BYSETPOS=-1
//	RRULE:FREQ=WEEKLY;BYDAY=MO (typed as one word)        the body, checked and upper-cased
//
// Case does not matter and commas separate like spaces. The error wraps
// ErrNotRecurrence when the words are not a repetition at all; otherwise it
// is one sentence for the user, with an example, about a repetition that
// was understood but is incomplete or impossible ("every 0 days",
// "monthly" without a day).
func ParsePhrase(text string) (string, error) {
	trimmed := strings.TrimSpace(text)
	if len(trimmed) > maxRuleLen {
		return "", notRecurrence(short(trimmed))
	}
	if body, ok := cutPrefixFold(trimmed, "RRULE:"); ok {
		if strings.ContainsAny(body, " \t") {
			return "", notRecurrence(short(trimmed))
		}
		body = strings.ToUpper(body)
		if _, err := compile(body); err != nil {
			return "", err
		}
		return body, nil
	}
	fields := strings.FieldsFunc(strings.ToLower(trimmed), func(r rune) bool {
		return r == ' ' || r == ',' || r == '\t' || r == '&' || r == '/'
	})
	c := &words{w: fields}
	p, err := c.phrase(trimmed)
	if err != nil {
		return "", err
	}
	if !c.done() {
		return "", notRecurrence(short(trimmed))
	}
	return p.String(), nil
}

// cutPrefixFold is strings.CutPrefix ignoring ASCII case.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// phrase reads the whole grammar of ParsePhrase from the cursor.
func (c *words) phrase(text string) (phraseRule, error) {
	lead := c.take("every", "each")
	on := !lead && c.take("on")
	switch w := c.peek(); {
	case w == "daily" && !lead && !on:
		c.i++
		return phraseRule{freq: "DAILY"}, nil
	case w == "weekly" && !lead && !on:
		c.i++
		return c.weekly(1, text)
	case w == "monthly" && !lead && !on:
		c.i++
		return c.monthly(1, text)
	case (w == "yearly" || w == "annually" || w == "year") && !on:
		return phraseRule{}, userError("I can't read yearly series from words yet; give the rule itself, such as %q.", "RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=3 10:00")
	case w == "weekday" && lead, w == "weekdays" && !lead:
		c.i++
		return phraseRule{freq: "WEEKLY", days: []string{"MO", "TU", "WE", "TH", "FR"}}, nil
	case w == "weekend" && lead, w == "weekends" && !lead:
		c.i++
		return phraseRule{freq: "WEEKLY", days: []string{"SA", "SU"}}, nil
	case !lead && !on:
		if _, plural, ok := dayWord(w); ok && plural {
			days, _ := c.days(true)
			return phraseRule{freq: "WEEKLY", days: days}, nil
		}
		return phraseRule{}, notRecurrence(text)
	case on:
		if _, plural, ok := dayWord(w); ok && plural {
			days, _ := c.days(true)
			return phraseRule{freq: "WEEKLY", days: days}, nil
		}
		return phraseRule{}, notRecurrence(text)
	}
	// After "every": a unit, a number or "other" and a unit, or weekdays.
	if _, _, ok := dayWord(c.peek()); ok {
		days, _ := c.days(false)
		return phraseRule{freq: "WEEKLY", days: days}, nil
	}
	n := 1
	if c.take("other") {
		n = 2
	} else if v, ok := number(c.peek()); ok {
		c.i++
		n = v
		if n < 1 || n > MaxInterval {
			return phraseRule{}, userError("In %q the number of days, weeks or months must be from 1 to %d, such as %q.", text, MaxInterval, "every 2 weeks on tue 16:00")
		}
	}
	switch c.peek() {
	case "day", "days":
		c.i++
		return phraseRule{freq: "DAILY", interval: n}, nil
	case "week", "weeks":
		c.i++
		return c.weekly(n, text)
	case "month", "months":
		c.i++
		return c.monthly(n, text)
	case "year", "years":
		return phraseRule{}, userError("I can't read yearly series from words yet; give the rule itself, such as %q.", "RRULE:FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=3 10:00")
	}
	return phraseRule{}, notRecurrence(text)
}

// number reads an interval: digits or a small number word.
func number(w string) (int, bool) {
	if v, ok := numberWords[w]; ok {
		return v, true
	}
	if w == "" || len(w) > 6 {
		return 0, false
	}
	for _, r := range w {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(w)
	return v, err == nil
}

// days reads a list of weekday words joined by "and" (commas are already
// gone) and returns their codes in weekday order. With plural set, only
// plural words count ("mondays and thursdays"), so that a bare "monday"
// stays a one-off date for the time parser.
func (c *words) days(plural bool) ([]string, bool) {
	var codes []string
	for {
		start := c.i
		c.take("and")
		code, pl, ok := dayWord(c.peek())
		if !ok || (plural && !pl) {
			c.i = start
			break
		}
		c.i++
		if !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	slices.SortFunc(codes, func(a, b string) int {
		return slices.Index(weekdayOrder, a) - slices.Index(weekdayOrder, b)
	})
	return codes, len(codes) > 0
}

// weekly reads what follows "weekly" or "every n weeks": "on <days>".
func (c *words) weekly(n int, text string) (phraseRule, error) {
	p := phraseRule{freq: "WEEKLY", interval: n}
	if c.take("on") {
		if days, ok := c.days(false); ok {
			p.days = days
			return p, nil
		}
		if c.take("weekdays") {
			p.days = []string{"MO", "TU", "WE", "TH", "FR"}
			return p, nil
		}
		return p, notRecurrence(text)
	}
	return p, userError("Say which day of the week %q meets, such as %q.", text, "every 2 weeks on tue,thu 16:00")
}

// monthly reads what follows "monthly" or "every n months": "on the …".
func (c *words) monthly(n int, text string) (phraseRule, error) {
	p := phraseRule{freq: "MONTHLY", interval: n}
	if !c.take("on") {
		return p, userError("Say which day of the month %q meets, such as %q.", text, "monthly on the 15th at 5pm")
	}
	c.take("the")
	if err := c.monthDay(&p, text); err != nil {
		return p, err
	}
	for {
		at := c.i
		if !c.take("and") {
			break
		}
		c.take("the")
		if err := c.monthDay(&p, text); err != nil {
			if !errors.Is(err, ErrNotRecurrence) {
				return p, err
			}
			c.i = at // the "and" belongs to something else
			break
		}
	}
	if c.take("of") {
		if !c.take("the", "each", "every") || !c.take("month") {
			return p, notRecurrence(text)
		}
	}
	if p.setpos != 0 && (len(p.days) != 5 || len(p.monthday) > 0) {
		return p, notRecurrence(text)
	}
	if len(p.days) > 0 && len(p.monthday) > 0 {
		return p, userError("Give either days of the month or weekdays, not both, such as %q.", "monthly on the first monday 10:00")
	}
	return p, nil
}

// monthDay reads one day of the month: "15th", "1", "first", "last day",
// "first monday", "last friday", "last weekday".
func (c *words) monthDay(p *phraseRule, text string) error {
	w := c.peek()
	n, isWord := ordinalWords[w]
	if !isWord {
		digits := strings.TrimRight(w, "stndrh")
		v, err := strconv.Atoi(digits)
		if err != nil || digits == "" || len(digits) > 3 || digits[0] == '+' || digits[0] == '-' || (digits != w && suffix(v) != w) {
			return notRecurrence(text)
		}
		n = v
	}
	c.i++
	if code, _, ok := dayWord(c.peek()); ok {
		if n < -1 || n == 0 || n > 5 {
			return userError("A month has at most five of each weekday; use first to fifth or last, such as %q.", "monthly on the first monday 10:00")
		}
		c.i++
		p.days = append(p.days, strconv.Itoa(n)+code)
		return nil
	}
	if c.peek() == "weekday" {
		if !isWord || (n != 1 && n != -1) {
			return userError("I can read only the first or the last weekday of a month, such as %q.", "monthly on the last weekday 16:00")
		}
		c.i++
		p.days, p.setpos = []string{"MO", "TU", "WE", "TH", "FR"}, n
		return nil
	}
	c.take("day")
	if n == 0 || n > 31 {
		return userError("A month has no day %d; use one from the 1st to the 31st, such as %q.", n, "monthly on the 15th at 5pm")
	}
	if !slices.Contains(p.monthday, n) {
		p.monthday = append(p.monthday, n)
	}
	return nil
}
