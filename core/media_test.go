package core_test

import (
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// TestMediaSettingsInheritAndOverride: a workspace starts with the
// operator's media settings, an admin overrides one value at a time (kept
// in the store), "default" puts it back, bad values are refused, and the
// link page carries what is in force.
func TestMediaSettingsInheritAndOverride(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	v, err := b.Service.Settings(ctx, actor("ana"))
	if err != nil {
		t.Fatal(err)
	}
	want := core.MediaSettings{Video: "720p", FrameRate: 30, ScreenshareFrameRate: 5}
	if v.Workspace.Media != want || !v.IsInherited(core.SettingVideo) || !v.IsInherited(core.SettingFrameRate) {
		t.Fatalf("fresh workspace media = %+v (inherited %v), want the defaults %+v", v.Workspace.Media, v.Inherited, want)
	}

	if _, err := b.Service.UpdateSettings(ctx, actor("bo"), core.SettingChange{Name: core.SettingVideo, Media: core.MediaSettings{Video: "1080p"}}); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Fatalf("a non-admin changed the video quality: %v", err)
	}
	v = update(t, b, adminActor("ana"), core.SettingChange{Name: core.SettingVideo, Media: core.MediaSettings{Video: "1080p"}})
	v = update(t, b, adminActor("ana"), core.SettingChange{Name: core.SettingScreenshareFrameRate, Media: core.MediaSettings{ScreenshareFrameRate: 15}})
	want = core.MediaSettings{Video: "1080p", FrameRate: 30, ScreenshareFrameRate: 15}
	if v.Workspace.Media != want || v.IsInherited(core.SettingVideo) || !v.IsInherited(core.SettingFrameRate) {
		t.Fatalf("after two changes media = %+v (inherited %v), want %+v", v.Workspace.Media, v.Inherited, want)
	}
	if got := storedWorkspace(t, b).Media; got != (core.MediaSettings{Video: "1080p", ScreenshareFrameRate: 15}) {
		t.Fatalf("stored media = %+v, want only the two overrides", got)
	}
	for _, bad := range []core.SettingChange{
		{Name: core.SettingVideo, Media: core.MediaSettings{Video: "4k"}},
		{Name: core.SettingFrameRate, Media: core.MediaSettings{FrameRate: 60}},
	} {
		if _, err := b.Service.UpdateSettings(ctx, adminActor("ana"), bad); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("UpdateSettings(%+v) = %v, want invalid", bad, err)
		}
	}

	// A link opened inside the window carries the settings in force.
	m := b.Schedule(actor("ana"), "Review", t0.Add(2*time.Minute), 30*time.Minute)
	link, err := b.Service.Join(ctx, actor("bo"), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	code := link.URL[len("http://meet.test/j/"):]
	page, err := b.Service.OpenLink(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if page.Media != want {
		t.Errorf("join page media = %+v, want %+v", page.Media, want)
	}

	v = update(t, b, adminActor("ana"), core.SettingChange{Name: core.SettingVideo, Default: true})
	if v.Workspace.Media.Video != "720p" || !v.IsInherited(core.SettingVideo) {
		t.Errorf("after default the video is %q (inherited %v)", v.Workspace.Media.Video, v.Inherited)
	}
}
