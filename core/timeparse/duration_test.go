package timeparse

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	ok := []struct {
		in   string
		want time.Duration
	}{
		{"45m", 45 * time.Minute},
		{"1h30m", 90 * time.Minute},
		{"1h 30m", 90 * time.Minute},
		{"1H30M", 90 * time.Minute},
		{"90m", 90 * time.Minute},
		{"2h", 2 * time.Hour},
		{"1.5h", 90 * time.Minute},
		{"2.5 hours", 150 * time.Minute},
		{"90", 90 * time.Minute},
		{"2 hours", 2 * time.Hour},
		{"1 hour", time.Hour},
		{"30 min", 30 * time.Minute},
		{"30 mins", 30 * time.Minute},
		{"45 minutes", 45 * time.Minute},
		{"1 hour and 30 minutes", 90 * time.Minute},
		{"1 hr 15 min", 75 * time.Minute},
		{"1h30", 90 * time.Minute},
		{"  20m  ", 20 * time.Minute},
		{"24h", 24 * time.Hour},
		{"1 day", 24 * time.Hour},
		{"0.25h", 15 * time.Minute},
	}
	for _, tc := range ok {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	bad := []struct{ in, want string }{
		{"", "how long"},
		{"0", "at least 1 minute"},
		{"0m", "at least 1 minute"},
		{"0h 0m", "at least 1 minute"},
		{"-5m", "negative"},
		{"- 1h", "negative"},
		{"25h", "at most 24 h"},
		{"24h1m", "at most 24 h"},
		{"2 days", "at most 24 h"},
		{"9999h", "at most 24 h"},
		{"0.5m", "whole minutes"},
		{"abc", "couldn't read"},
		{"30s", "couldn't read"},
		{"30m1h", "couldn't read"},
		{"1h1h", "couldn't read"},
		{"1 hour and", "couldn't read"},
		{"30 45", "couldn't read"},
		{"1.h", "couldn't read"},
		{".", "couldn't read"},
		{"99999999999999999999h", "couldn't read"},
		{"1:30", "couldn't read"},
		{"1h\n30m", "characters"},
		{strings.Repeat("1", 10_000), "too long"},
	}
	for _, tc := range bad {
		_, err := ParseDuration(tc.in)
		t.Run(tc.in, func(t *testing.T) { assertUserError(t, err, tc.want) })
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		45 * time.Minute:               "45 min",
		90 * time.Minute:               "1 h 30 min",
		2 * time.Hour:                  "2 h",
		0:                              "0 min",
		30 * time.Second:               "1 min",
		29 * time.Second:               "0 min",
		-90 * time.Minute:              "-1 h 30 min",
		24 * time.Hour:                 "24 h",
		time.Duration(1<<63 - 1):       "2562047 h 47 min",
		time.Duration(-1 << 63):        "-2562047 h 47 min",
		25*time.Hour + 59*time.Minute:  "25 h 59 min",
		time.Minute + 29*time.Second:   "1 min",
		time.Hour - 30*time.Second - 1: "59 min",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestFormatDurationRoundTrip checks that every duration the bot echoes back
// can be typed back in.
func TestFormatDurationRoundTrip(t *testing.T) {
	for m := 1; m <= 24*60; m++ {
		d := time.Duration(m) * time.Minute
		got, err := ParseDuration(FormatDuration(d))
		if err != nil || got != d {
			t.Fatalf("ParseDuration(FormatDuration(%v)) = %v, %v", d, got, err)
		}
	}
}
