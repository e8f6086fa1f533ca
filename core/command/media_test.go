package command

import (
	"reflect"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/core"
)

// TestParseMediaSettings reads the camera and screen-share settings, their
// aliases and "default", and refuses what RealtimeKit's page cannot use.
func TestParseMediaSettings(t *testing.T) {
	ok := map[string]core.SettingChange{
		"settings video 1080p":              {Name: core.SettingVideo, Media: core.MediaSettings{Video: "1080p"}},
		"settings camera 720P":              {Name: core.SettingVideo, Media: core.MediaSettings{Video: "720p"}},
		"settings video default":            {Name: core.SettingVideo, Default: true},
		"settings frame_rate 24":            {Name: core.SettingFrameRate, Media: core.MediaSettings{FrameRate: 24}},
		"settings fps 30fps":                {Name: core.SettingFrameRate, Media: core.MediaSettings{FrameRate: 30}},
		"settings screenshare_frame_rate 5": {Name: core.SettingScreenshareFrameRate, Media: core.MediaSettings{ScreenshareFrameRate: 5}},
		"settings screenshare-fps default":  {Name: core.SettingScreenshareFrameRate, Default: true},
	}
	for in, want := range ok {
		got, err := Parse(in, testContext(t))
		if err != nil || got.Setting == nil {
			t.Errorf("Parse(%q) = %+v, %v", in, got, err)
			continue
		}
		if !reflect.DeepEqual(*got.Setting, want) {
			t.Errorf("Parse(%q) = %+v, want %+v", in, *got.Setting, want)
		}
	}
	bad := map[string]string{
		"settings video 4k":                  "720p or 1080p",
		"settings frame_rate 60":             "1 to 30",
		"settings frame_rate 0":              "1 to 30",
		"settings screenshare_frame_rate x":  "not a frame rate",
		"settings video 1080p please":        "Unexpected",
		`settings video "1080p"`:             "not a video quality",
		"settings screenshare_frame_rate 31": "/meet settings screenshare_frame_rate 5",
	}
	for in, want := range bad {
		_, err := Parse(in, testContext(t))
		if core.ErrorCode(err) != core.EINVALID || !strings.Contains(core.ErrorMessage(err), want) {
			t.Errorf("Parse(%q) = %v, want invalid saying %q", in, err, want)
		}
	}
}

// TestSettingsHelpWarnsAboutBandwidth: the media settings' help carries the
// FAQ's bandwidth warning, so an admin reads it before raising quality.
func TestSettingsHelpWarnsAboutBandwidth(t *testing.T) {
	h := HelpTopic("settings")
	for _, want := range []string{"video 720p|1080p", "frame_rate", "screenshare_frame_rate", core.MediaBandwidthWarning} {
		if !strings.Contains(h, want) {
			t.Errorf("/meet help settings lacks %q:\n%s", want, h)
		}
	}
}
