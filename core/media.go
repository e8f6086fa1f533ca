package core

import (
	"context"
	"fmt"
)

// MediaSettings are the camera and screen-share quality the meeting page
// asks the RealtimeKit client for (RealtimeKitClient.init's
// defaults.mediaConfiguration). They live here, not in the page, so an
// operator sets them in config and a workspace admin can override them:
// the RealtimeKit FAQ names them as the knobs for quality against
// bandwidth, and only the SDK's init reads them.
//
// In a workspace's stored settings a zero field means "the operator's
// value"; in Config and in what Media returns every field is set.
type MediaSettings struct {
	// Video is the camera resolution: "720p" or "1080p".
	Video string
	// FrameRate is the camera frame rate, 1 to 30.
	FrameRate int
	// ScreenshareFrameRate is the screen-share frame rate, 1 to 30. Slides
	// and code read well at 5; video played through a screen share needs
	// more.
	ScreenshareFrameRate int
}

// Media defaults. 720p at 30 frames per second is what the SDK's own "hd"
// constraint asks for and what webcams deliver natively, so no frames are
// dropped unevenly (24 would save some bandwidth but judders on cameras
// that capture at 30). Screen shares default to 5, the SDK's own default.
const (
	DefaultVideo                = "720p"
	DefaultFrameRate            = 30
	DefaultScreenshareFrameRate = 5
	// MaxFrameRate caps both frame rates: browsers capture cameras at 30
	// at most by default, and more only costs bandwidth.
	MaxFrameRate = 30
)

// MediaBandwidthWarning is the FAQ's caution, shown with the setting's help
// and whenever an admin raises the quality.
const MediaBandwidthWarning = "Higher resolution and frame rates use more bandwidth and CPU for everyone in the call; on weak connections or phones 1080p can make video stutter or drop."

// VideoSize is the camera size a Video value asks for, in pixels.
func VideoSize(video string) (width, height int, ok bool) {
	switch video {
	case "720p":
		return 1280, 720, true
	case "1080p":
		return 1920, 1080, true
	}
	return 0, 0, false
}

// withMediaDefaults fills zero fields of m from d.
func withMediaDefaults(m, d MediaSettings) MediaSettings {
	if m.Video == "" {
		m.Video = d.Video
	}
	if m.FrameRate == 0 {
		m.FrameRate = d.FrameRate
	}
	if m.ScreenshareFrameRate == 0 {
		m.ScreenshareFrameRate = d.ScreenshareFrameRate
	}
	return m
}

// Check reports the first invalid field of m, as a user-facing EINVALID
// error; zero fields are allowed (they inherit).
func (m MediaSettings) Check() error {
	if m.Video != "" {
		if _, _, ok := VideoSize(m.Video); !ok {
			return Errorf(EINVALID, "Video quality is 720p or 1080p, for example \"/meet settings video 1080p\", not %q.", m.Video)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"frame_rate", m.FrameRate}, {"screenshare_frame_rate", m.ScreenshareFrameRate}} {
		if f.v < 0 || f.v > MaxFrameRate {
			return Errorf(EINVALID, "The %s is 1 to %d frames per second, for example \"/meet settings %s %d\".", f.name, MaxFrameRate, f.name, min(max(f.v, 1), MaxFrameRate))
		}
	}
	return nil
}

// String is the settings as one line, for replies and logs.
func (m MediaSettings) String() string {
	return fmt.Sprintf("%s at %d fps, screen share at %d fps", m.Video, m.FrameRate, m.ScreenshareFrameRate)
}

// media returns the media settings in force in workspace ws: its own
// overrides over the operator's config.
func (w *workspaces) media(ctx context.Context, ws WorkspaceKey) MediaSettings {
	def := withMediaDefaults(w.cfg.Media, defaultMedia())
	if got, err := w.findWorkspace(ctx, ws); err == nil {
		return withMediaDefaults(got.Media, def)
	}
	return def
}

func defaultMedia() MediaSettings {
	return MediaSettings{Video: DefaultVideo, FrameRate: DefaultFrameRate, ScreenshareFrameRate: DefaultScreenshareFrameRate}
}

// applyMedia writes a media setting change into w (Default puts the
// operator's value back).
func applyMedia(w *Workspace, c SettingChange) error {
	next := w.Media
	switch c.Name {
	case SettingVideo:
		next.Video = c.Media.Video
	case SettingFrameRate:
		next.FrameRate = c.Media.FrameRate
	case SettingScreenshareFrameRate:
		next.ScreenshareFrameRate = c.Media.ScreenshareFrameRate
	}
	if c.Default {
		switch c.Name {
		case SettingVideo:
			next.Video = ""
		case SettingFrameRate:
			next.FrameRate = 0
		case SettingScreenshareFrameRate:
			next.ScreenshareFrameRate = 0
		}
	} else if err := next.Check(); err != nil {
		return err
	}
	w.Media = next
	return nil
}

// inheritedMedia lists the media settings m leaves to the operator.
func inheritedMedia(m MediaSettings) []SettingName {
	var out []SettingName
	if m.Video == "" {
		out = append(out, SettingVideo)
	}
	if m.FrameRate == 0 {
		out = append(out, SettingFrameRate)
	}
	if m.ScreenshareFrameRate == 0 {
		out = append(out, SettingScreenshareFrameRate)
	}
	return out
}
