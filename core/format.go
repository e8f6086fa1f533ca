package core

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// HumanDuration renders d for people: "45 min", "2 h 10 min", "3 days 4 h".
// Seconds are rounded away because no one plans a meeting by the second.
func HumanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "less than a minute"
	}
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	h := int(d / time.Hour)
	d -= time.Duration(h) * time.Hour
	m := int(d / time.Minute)
	var parts []string
	if days == 1 {
		parts = append(parts, "1 day")
	} else if days > 1 {
		parts = append(parts, fmt.Sprintf("%d days", days))
	}
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%d h", h))
	}
	if m > 0 && days == 0 {
		parts = append(parts, fmt.Sprintf("%d min", m))
	}
	if len(parts) == 0 {
		return "1 day"
	}
	return strings.Join(parts, " ")
}

// zones caches loaded zones: time.LoadLocation reads and parses tzdata on
// every call, and every schedule, join and rendering needs a zone. Values
// are immutable *time.Location, so sharing them is safe.
var zones sync.Map // string → *time.Location

// LoadZone is time.LoadLocation with a cache. It refuses "Local" (the
// server's zone means nothing to a chat user) and names with "..".
func LoadZone(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" || strings.Contains(name, "..") {
		return nil, fmt.Errorf("not an IANA zone name: %q", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// loadZone returns the named zone, or UTC when the name is unknown, so a
// rendering never fails over a zone that was valid when it was stored.
func loadZone(zone string) *time.Location {
	if loc, err := LoadZone(zone); err == nil {
		return loc
	}
	return time.UTC
}

// ClockTime renders t as a short wall-clock time in zone, with the date when
// t is not on the same local day as now: "14:55 EST" or "Thu Dec 3, 14:55 EST".
func ClockTime(t time.Time, zone string, now time.Time) string {
	loc := loadZone(zone)
	lt, ln := t.In(loc), now.In(loc)
	if lt.Year() == ln.Year() && lt.YearDay() == ln.YearDay() {
		return lt.Format("15:04 MST")
	}
	if lt.Year() == ln.Year() {
		return lt.Format("Mon Jan 2, 15:04 MST")
	}
	return lt.Format("Mon Jan 2 2006, 15:04 MST")
}

// FullTime renders t unambiguously for confirmations: date, wall time,
// abbreviation, UTC offset and the IANA zone, so a misread is visible at once.
func FullTime(t time.Time, zone string) string {
	loc := loadZone(zone)
	lt := t.In(loc)
	return lt.Format("Mon Jan 2 2006 at 15:04 MST") + " (" + loc.String() + ", UTC" + lt.Format("-07:00") + ")"

}
