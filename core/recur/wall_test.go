package recur

import (
	"testing"
	"time"
)

// TestDate pins the wall-clock to instant step on both kinds of clock
// change, in zones with whole-hour, half-hour and whole-day changes.
func TestDate(t *testing.T) {
	cases := []struct {
		zone     string
		y        int
		m        time.Month
		d, h, mi int
		want     string
		fold     Fold
	}{
		// New York 2027: clocks jump 02:00 EST → 03:00 EDT on Mar 14, fall 02:00 EDT → 01:00 EST on Nov 7.
		{"America/New_York", 2027, 3, 14, 2, 30, "2027-03-14T07:30:00Z", Skipped}, // 03:30 EDT, as RFC 5545 says
		{"America/New_York", 2027, 3, 14, 1, 59, "2027-03-14T06:59:00Z", Exact},
		{"America/New_York", 2027, 3, 14, 3, 0, "2027-03-14T07:00:00Z", Exact},
		{"America/New_York", 2027, 11, 7, 1, 30, "2027-11-07T05:30:00Z", Repeated}, // the first, EDT
		{"America/New_York", 2027, 11, 7, 2, 0, "2027-11-07T07:00:00Z", Exact},
		{"America/New_York", 2027, 6, 1, 9, 30, "2027-06-01T13:30:00Z", Exact},
		// Berlin 2027: 02:00 CET → 03:00 CEST on Mar 28, 03:00 CEST → 02:00 CET on Oct 31.
		{"Europe/Berlin", 2027, 3, 28, 2, 30, "2027-03-28T01:30:00Z", Skipped},
		{"Europe/Berlin", 2027, 10, 31, 2, 30, "2027-10-31T00:30:00Z", Repeated},
		{"Europe/Berlin", 2027, 10, 31, 9, 30, "2027-10-31T08:30:00Z", Exact},
		// Lord Howe moves by half an hour: 02:00 → 02:30 (+10:30 → +11) on Oct 3 2027.
		{"Australia/Lord_Howe", 2027, 10, 3, 2, 15, "2027-10-02T15:45:00Z", Skipped},
		// Samoa skipped Dec 30 2011 entirely (-10 → +14).
		{"Pacific/Apia", 2011, 12, 30, 12, 0, "2011-12-30T22:00:00Z", Skipped},
		{"UTC", 2027, 3, 14, 2, 30, "2027-03-14T02:30:00Z", Exact},
	}
	for _, tc := range cases {
		loc := zone(t, tc.zone)
		got, fold := Date(tc.y, tc.m, tc.d, tc.h, tc.mi, 0, loc)
		if want := utc(t, tc.want); !got.Equal(want) || fold != tc.fold || got.Location() != loc {
			t.Errorf("Date(%d-%02d-%02d %02d:%02d %s) = %s %v, want %s %v", tc.y, tc.m, tc.d, tc.h, tc.mi, tc.zone,
				got.Format(time.RFC3339), fold, tc.want, tc.fold)
		}
	}
	if got, fold := Date(2027, 3, 14, 2, 30, 0, nil); got.Location() != time.UTC || fold != Exact || got.Hour() != 2 {
		t.Errorf("nil location: %v %v", got, fold)
	}
}

// TestDateAgreesWithTimeDate checks that away from clock changes Date is
// exactly time.Date, for every hour of a year in two zones.
func TestDateAgreesWithTimeDate(t *testing.T) {
	for _, name := range []string{"America/New_York", "Europe/Berlin"} {
		loc := zone(t, name)
		for h := 0; h < 365*24; h++ {
			w := time.Date(2027, 1, 1, 0, 45, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
			got, fold := Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, loc)
			if fold != Exact {
				continue
			}
			if want := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, loc); !got.Equal(want) {
				t.Fatalf("%s %v: Date %v, time.Date %v", name, w, got, want)
			}
		}
	}
}
