package recur

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// unreadable is what Describe says about a rule it cannot read, so that a
// bad stored value still renders as a sentence ("Repeats on a custom
// schedule.") rather than breaking a message.
const unreadable = "on a custom schedule"

// weekdayNames are the English names in RFC 5545 order (MO first).
var weekdayNames = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// Describe renders a rule for people: "every weekday", "every Monday",
// "every 2 weeks on Tuesday and Thursday", "monthly on the 1st", "monthly on
// the last Friday", with "until Jun 30 2027" or ", 10 times" added when the
// series ends. loc is the series' zone, in which an UNTIL instant is shown
// (nil means UTC). Describe never fails: a rule it cannot read is "on a
// custom schedule", so a bad stored value cannot break a message.
func Describe(rule string, loc *time.Location) string {
	sp, err := compile(rule)
	if err != nil {
		return unreadable
	}
	if loc == nil {
		loc = time.UTC
	}
	o := sp.opt
	var s string
	switch o.Freq {
	case rrule.DAILY:
		s = describeDaily(o)
	case rrule.WEEKLY:
		s = describeWeekly(o)
	case rrule.MONTHLY:
		s = every(o.Interval, "monthly", "month") + sp.describeDays(o, false)
	case rrule.YEARLY:
		s = every(o.Interval, "every year", "year") + sp.describeDays(o, true)
	default:
		return unreadable
	}
	if len(o.Bymonth) > 0 && o.Freq != rrule.YEARLY {
		s += " in " + months(o.Bymonth)
	}
	switch sp.untilKind {
	case untilInstant:
		s += " until " + sp.until.In(loc).Format("Jan 2 2006")
	case untilWall, untilDay:
		s += " until " + sp.until.Format("Jan 2 2006")
	}
	switch {
	case o.Count == 1:
		s += ", once"
	case o.Count > 1:
		s += fmt.Sprintf(", %d times", o.Count)
	}
	return s
}

// every renders the frequency and interval: "monthly", "every 3 months".
func every(interval int, one, unit string) string {
	if interval <= 1 {
		return one
	}
	return fmt.Sprintf("every %d %ss", interval, unit)
}

// describeDaily renders FREQ=DAILY, which BYDAY can only narrow.
func describeDaily(o rrule.ROption) string {
	days := plainDays(o.Byweekday)
	switch {
	case len(days) == 0:
		return every(o.Interval, "every day", "day")
	case o.Interval <= 1:
		return everyDays(days)
	}
	return fmt.Sprintf("every %d days, when that is a %s", o.Interval, list(names(days), "or"))
}

// describeWeekly renders FREQ=WEEKLY.
func describeWeekly(o rrule.ROption) string {
	days := plainDays(o.Byweekday)
	switch {
	case o.Interval <= 1 && len(days) == 0:
		return "every week"
	case o.Interval <= 1:
		return everyDays(days)
	case len(days) == 0:
		return every(o.Interval, "", "week")
	}
	return every(o.Interval, "", "week") + " on " + list(names(days), "and")
}

// everyDays renders a set of weekdays repeated every week.
func everyDays(days []int) string {
	switch {
	case slices.Equal(days, []int{0, 1, 2, 3, 4}):
		return "every weekday"
	case slices.Equal(days, []int{5, 6}):
		return "every Saturday and Sunday"
	case len(days) == 7:
		return "every day"
	}
	return "every " + list(names(days), "and")
}

// describeDays renders which days of the month (or year) a MONTHLY or
// YEARLY rule picks, starting with a space, or "" when the rule takes the
// day from its first start.
func (sp *spec) describeDays(o rrule.ROption, yearly bool) string {
	var parts []string
	for _, d := range o.Bymonthday {
		parts = append(parts, monthDay(d))
	}
	var ordinal []string
	for _, w := range o.Byweekday {
		if w.N() != 0 {
			ordinal = append(ordinal, nth(w.N())+" "+weekdayNames[w.Day()])
		}
	}
	plain := names(plainDays(o.Byweekday))
	var s string
	switch {
	case len(o.Bysetpos) > 0:
		s = " on the " + list(positions(o.Bysetpos), "and") + " " + setName(o)
	case len(parts) > 0 && len(plain) > 0:
		s = " on the " + list(parts, "and") + ", when that is a " + list(plain, "or")
	case len(parts) > 0:
		s = " on the " + list(parts, "and")
	case len(ordinal) > 0:
		s = " on the " + list(ordinal, "and")
	case len(plain) > 0:
		s = " on every " + list(plain, "and")
	}
	if yearly && len(o.Bymonth) > 0 {
		if s == "" {
			return " in " + months(o.Bymonth)
		}
		return s + " of " + months(o.Bymonth)
	}
	return s
}

// setName names the set BYSETPOS picks from: "weekday", "Monday", "day".
func setName(o rrule.ROption) string {
	days := plainDays(o.Byweekday)
	switch {
	case slices.Equal(days, []int{0, 1, 2, 3, 4}):
		return "weekday"
	case slices.Equal(days, []int{5, 6}):
		return "weekend day"
	case len(days) == 1:
		return weekdayNames[days[0]]
	case len(days) > 1:
		return "of " + list(names(days), "and")
	}
	return "day"
}

// plainDays returns the weekdays (0 = Monday) of entries without an
// ordinal, sorted and without repeats.
func plainDays(ws []rrule.Weekday) []int {
	var out []int
	for _, w := range ws {
		if w.N() == 0 && !slices.Contains(out, w.Day()) {
			out = append(out, w.Day())
		}
	}
	slices.Sort(out)
	return out
}

// names turns weekday numbers into names.
func names(days []int) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = weekdayNames[d]
	}
	return out
}

// months renders BYMONTH values: "January and July".
func months(ms []int) string {
	var out []string
	for _, m := range ms {
		if m >= 1 && m <= 12 {
			out = append(out, time.Month(m).String())
		}
	}
	return list(out, "and")
}

// monthDay renders a BYMONTHDAY value: "1st", "last day", "2nd-to-last day".
func monthDay(d int) string {
	switch {
	case d == -1:
		return "last day"
	case d < 0:
		return suffix(-d) + "-to-last day"
	}
	return suffix(d)
}

// nth renders a BYDAY ordinal: "first", "last", "second-to-last", "10th".
func nth(n int) string {
	words := []string{"", "first", "second", "third", "fourth", "fifth"}
	switch {
	case n == -1:
		return "last"
	case n < 0:
		return nth(-n) + "-to-last"
	case n < len(words):
		return words[n]
	}
	return suffix(n)
}

// positions renders BYSETPOS values as ordinals.
func positions(ps []int) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = nth(p)
	}
	return out
}

// suffix writes n as an English ordinal number: 1st, 2nd, 3rd, 11th, 21st.
func suffix(n int) string {
	s := strconv.Itoa(n)
	if n%100 >= 11 && n%100 <= 13 {
		return s + "th"
	}
	switch n % 10 {
	case 1:
		return s + "st"
	case 2:
		return s + "nd"
	case 3:
		return s + "rd"
	}
	return s + "th"
}

// list joins words the English way: "a", "a and b", "a, b and c".
func list(words []string, conj string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}
