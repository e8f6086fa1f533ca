package recur

import "testing"

func TestDescribe(t *testing.T) {
	ny := zone(t, "America/New_York")
	cases := []struct{ rule, want string }{
		{"FREQ=DAILY", "every day"},
		{"FREQ=DAILY;INTERVAL=3", "every 3 days"},
		{"FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "every weekday"},
		{"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"},
		{"FREQ=WEEKLY;BYDAY=FR,TH,WE,TU,MO", "every weekday"},
		{"FREQ=WEEKLY;BYDAY=MO", "every Monday"},
		{"FREQ=WEEKLY;BYDAY=TH,TU", "every Tuesday and Thursday"},
		{"FREQ=WEEKLY;BYDAY=MO,WE,FR", "every Monday, Wednesday and Friday"},
		{"FREQ=WEEKLY;BYDAY=SA,SU", "every Saturday and Sunday"},
		{"FREQ=WEEKLY", "every week"},
		{"FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"},
		{"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "every 2 weeks on Tuesday and Thursday"},
		{"FREQ=MONTHLY;BYMONTHDAY=1", "monthly on the 1st"},
		{"FREQ=MONTHLY;BYMONTHDAY=1,15", "monthly on the 1st and 15th"},
		{"FREQ=MONTHLY;BYMONTHDAY=22", "monthly on the 22nd"},
		{"FREQ=MONTHLY;BYMONTHDAY=-1", "monthly on the last day"},
		{"FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=13", "every 3 months on the 13th"},
		{"FREQ=MONTHLY;BYDAY=1MO", "monthly on the first Monday"},
		{"FREQ=MONTHLY;BYDAY=-1FR", "monthly on the last Friday"},
		{"FREQ=MONTHLY;BYDAY=-2FR", "monthly on the second-to-last Friday"},
		{"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "monthly on the last weekday"},
		{"FREQ=MONTHLY", "monthly"},
		{"FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR", "monthly on the 13th, when that is a Friday"},
		{"FREQ=YEARLY", "every year"},
		{"FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=3", "every year on the 3rd of December"},
		{"FREQ=WEEKLY;BYDAY=MO;BYMONTH=1,7", "every Monday in January and July"},
		{"FREQ=WEEKLY;BYDAY=MO;COUNT=10", "every Monday, 10 times"},
		{"FREQ=DAILY;COUNT=1", "every day, once"},
		{"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270701T035959Z", "every weekday until Jun 30 2027"},
		{"FREQ=DAILY;UNTIL=20270630", "every day until Jun 30 2027"},
		{"freq=weekly;byday=mo", "every Monday"},
		{"FREQ=HOURLY", "on a custom schedule"},
		{"nonsense", "on a custom schedule"},
		{"", "on a custom schedule"},
	}
	for _, tc := range cases {
		if got := Describe(tc.rule, ny); got != tc.want {
			t.Errorf("Describe(%q) = %q, want %q", tc.rule, got, tc.want)
		}
	}
	// The UNTIL instant is shown in the series' zone.
	if got := Describe("FREQ=DAILY;UNTIL=20270701T035959Z", zone(t, "Europe/Berlin")); got != "every day until Jul 1 2027" {
		t.Errorf("Berlin UNTIL: %q", got)
	}
	if got := Describe("FREQ=DAILY;UNTIL=20270701T035959Z", nil); got != "every day until Jul 1 2027" {
		t.Errorf("nil location: %q", got)
	}
}
