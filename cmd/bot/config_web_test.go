package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestMediaAndUIKitConfigProblemsNamed: check-config names a bad
// meetings.media value and a bad web.ui_kit_base_url, each by its key.
func TestMediaAndUIKitConfigProblemsNamed(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "bad.yaml", `meetings:
  media:
    video: 4k
    frame_rate: 60
    screenshare_frame_rate: 0
web:
  ui_kit_base_url: ftp://cdn.example/npm/
`)
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"check-config", "--config", path}, nil, &out, &errOut, func(string) string { return "" }); code == 0 {
		t.Fatal("bad media and UI Kit config passed")
	}
	for _, want := range []string{
		`meetings.media.video: "4k" is not 720p or 1080p`,
		"meetings.media.frame_rate: 60 is out of range (1 to 30)",
		"meetings.media.screenshare_frame_rate: 0 is out of range (1 to 30)",
		"web.ui_kit_base_url must be an absolute http(s) URL",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check-config output lacks %q:\n%s", want, out.String())
		}
	}

	// A good file with the operator's own copy of the UI Kit passes.
	good := writeFile(t, dir, "good.yaml", "meetings:\n  media:\n    video: 1080p\n    frame_rate: 24\nweb:\n  ui_kit_base_url: https://meet.example.com/uikit/\n")
	_, problems, err := LoadConfig(good, func(string) string { return "" })
	if err != nil || len(problems) > 0 {
		t.Fatalf("good media config: %v %q", err, problems)
	}
}
