package command

import (
	"reflect"
	"testing"

	"github.com/meetbot/meetbot/core"
)

// TestRoomSettingsAndSummary parses the recordings and summaries settings
// and "/meet summary <id>", and refuses what they do not take.
func TestRoomSettingsAndSummary(t *testing.T) {
	for line, want := range map[string]core.SettingChange{
		"/meet settings recordings on":  {Name: core.SettingRecordings, On: true},
		"/meet settings recordings off": {Name: core.SettingRecordings},
		"/meet settings summaries yes":  {Name: core.SettingSummaries, On: true},
		"/meet settings summary no":     {Name: core.SettingSummaries},
	} {
		c, err := Parse(line, Context{})
		if err != nil || c.Setting == nil || !reflect.DeepEqual(*c.Setting, want) {
			t.Fatalf("%q = %+v, %v; want %+v", line, c.Setting, err, want)
		}
	}
	for _, line := range []string{"/meet settings recordings", "/meet settings recordings maybe", "/meet summary", "/meet summary 12 now"} {
		if _, err := Parse(line, Context{}); core.ErrorCode(err) != core.EINVALID {
			t.Fatalf("%q: %v, want EINVALID", line, err)
		}
	}
	c, err := Parse("/meet summary 12", Context{})
	if err != nil || c.Verb != VerbSummary || c.MeetingID != "12" {
		t.Fatalf("summary = %+v, %v", c, err)
	}
}
