package command

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// TestParseSettingsOK checks every settings form, including the variants
// people type (commas, "and", Slack mentions, aliases).
func TestParseSettingsOK(t *testing.T) {
	m := time.Minute
	cases := []struct {
		in   string
		want *core.SettingChange
	}{
		{"settings", nil},
		{"/meet SETTINGS", nil},
		{"settings zone Europe/Berlin", &core.SettingChange{Name: core.SettingZone, TimeZone: "Europe/Berlin"}},
		{"settings timezone UTC", &core.SettingChange{Name: core.SettingZone, TimeZone: "UTC"}},
		{"settings zone default", &core.SettingChange{Name: core.SettingZone, Default: true}},
		{"settings reminders 10m, 0", &core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{10 * m, 0}}},
		{"settings reminders 10m,0", &core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{10 * m, 0}}},
		{"settings reminders 1d 1h30m 90 0m", &core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{24 * time.Hour, 90 * m, 90 * m, 0}}},
		{"settings reminders 7d", &core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{7 * 24 * time.Hour}}},
		{"settings reminders off", &core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{}}},
		{"settings reminders NONE", &core.SettingChange{Name: core.SettingReminders, Reminders: []time.Duration{}}},
		{"settings reminders default", &core.SettingChange{Name: core.SettingReminders, Default: true}},
		{"settings early 5m", &core.SettingChange{Name: core.SettingEarly, Duration: 5 * m}},
		{"settings early 0", &core.SettingChange{Name: core.SettingEarly}},
		{"settings early 2h", &core.SettingChange{Name: core.SettingEarly, Duration: 2 * time.Hour}},
		{"settings grace 10min", &core.SettingChange{Name: core.SettingGrace, Duration: 10 * m}},
		{"settings grace default", &core.SettingChange{Name: core.SettingGrace, Default: true}},
		{"settings dm on", &core.SettingChange{Name: core.SettingDM, DMReminders: true}},
		{"settings dm OFF", &core.SettingChange{Name: core.SettingDM}},
		{"settings schedulers admins", &core.SettingChange{Name: core.SettingSchedulers, AdminsOnly: true}},
		{"settings schedulers everyone", &core.SettingChange{Name: core.SettingSchedulers}},
		{"settings admins add @ana <@U1|bob smith> and <@!42>, @ana", &core.SettingChange{Name: core.SettingAdmins, AddAdmins: []string{"ana", "U1", "42"}}},
		{"settings admins remove @ana", &core.SettingChange{Name: core.SettingAdmins, RemoveAdmins: []string{"ana"}}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in, testContext(t))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.Verb != VerbSettings {
				t.Fatalf("verb = %q", got.Verb)
			}
			if tc.want == nil || got.Setting == nil {
				if tc.want != got.Setting {
					t.Fatalf("setting = %+v, want %+v", got.Setting, tc.want)
				}
				return
			}
			// An absent list and an empty one mean different things only
			// for reminders ("off"), so compare the others loosely.
			if tc.want.Name != core.SettingReminders && len(got.Setting.Reminders) == 0 {
				got.Setting.Reminders = tc.want.Reminders
			}
			if !reflect.DeepEqual(*got.Setting, *tc.want) {
				t.Fatalf("setting = %+v, want %+v", *got.Setting, *tc.want)
			}
			if tc.want.Name == core.SettingReminders && !tc.want.Default && got.Setting.Reminders == nil {
				t.Fatal("reminders off must be an empty, non-nil list")
			}
		})
	}
}

// TestParseSettingsErrors checks that malformed and oversized settings get
// one sentence with a working example.
func TestParseSettingsErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"settings colour blue", `There is no setting "colour"`},
		{`settings "zone" UTC`, "There is no setting"},
		{"settings zone", `Give the new value after "zone"`},
		{"settings zone Mars/Base", `"Mars/Base" is not a time zone I know`},
		{"settings zone europe/berlin", `Did you mean "Europe/Berlin"? Try "/meet settings zone Europe/Berlin"`},
		{"settings zone ../../etc/passwd", "not a time zone"},
		{"settings zone Local", "not a time zone"},
		{"settings zone UTC now", `Unexpected "now" after the zone`},
		{"settings reminders", `Give the new value after "reminders"`},
		{"settings reminders ,", "Which reminder times?"},
		{"settings reminders soon", `"soon" is not a reminder time`},
		{"settings reminders -5m", `"-5m" is not a reminder time`},
		{"settings reminders 10m30s", "not a reminder time"},
		{"settings reminders 1.5h", "not a reminder time"},
		{"settings reminders 30m1h", "not a reminder time"},
		{"settings reminders 99999m", "not a reminder time"},
		{"settings reminders 8d", "at most 7 days"},
		{"settings reminders 169h", "at most 7 days"},
		{"settings reminders " + strings.Repeat("1m ", 11), "more than 10 reminders"},
		{"settings reminders " + strings.Repeat("1m,", 600), "more than 10 reminders"},
		{`settings reminders "10m"`, "not a reminder time"},
		{"settings early", `Give the new value after "early"`},
		{"settings early 3h", "at most 2 h"},
		{"settings early 5 m", `Unexpected "m" after the time`},
		{"settings grace later", `"later" is not a length of time`},
		{"settings dm maybe", `"maybe" is not one of the choices`},
		{"settings dm on off", `Unexpected "off"`},
		{"settings dm default", "not one of the choices"},
		{"settings schedulers nobody", "not one of the choices"},
		{"settings admins", `Give the new value after "admins"`},
		{"settings admins @ana", `Say "add" or "remove"`},
		{"settings admins add", "Who?"},
		{"settings admins add ana", `"ana" is not a mention`},
		{"settings admins remove @here", "not a person"},
		{"settings admins add " + strings.Repeat("@a", 1) + " " + manyMentions(101), "at most 100"},
	}
	for _, tc := range cases {
		t.Run(tc.in[:min(len(tc.in), 60)], func(t *testing.T) {
			_, err := Parse(tc.in, testContext(t))
			assertUserError(t, err, tc.want)
		})
	}
}

func manyMentions(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("@u")
		b.WriteString(strings.Repeat("x", i%5))
		b.WriteString(string(rune('a'+i%26)) + string(rune('a'+i/26)) + " ")
	}
	return b.String()
}
