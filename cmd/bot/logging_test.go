package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

// TestLogOutputChoice: console-format lines are coloured only on a
// terminal; json is one plain JSON object per line either way.
func TestLogOutputChoice(t *testing.T) {
	for _, c := range []struct {
		format   string
		terminal bool
		colour   bool
		json     bool
	}{
		{"console", true, true, false},
		{"console", false, false, false},
		{"json", true, false, true},
		{"json", false, false, true},
		{"", false, false, true}, // unset: JSON, like the config default
	} {
		var buf bytes.Buffer
		log := zerolog.New(logOutput(c.format, &buf, c.terminal))
		log.Warn().Str("meeting", "7").Msg("room lost")
		out := buf.String()
		if got := strings.Contains(out, "\x1b["); got != c.colour {
			t.Errorf("%s, terminal %v: coloured %v, want %v: %q", c.format, c.terminal, got, c.colour, out)
		}
		var obj map[string]any
		isJSON := json.Unmarshal([]byte(out), &obj) == nil
		if isJSON != c.json {
			t.Errorf("%s, terminal %v: JSON %v, want %v: %q", c.format, c.terminal, isJSON, c.json, out)
		}
		if !strings.Contains(out, "room lost") || !strings.Contains(out, "7") {
			t.Errorf("%s: line lacks the message or field: %q", c.format, out)
		}
	}
}

// TestLogsOnPipeAreNotColoured: stderr redirected to a pipe, a file or
// /dev/null is no terminal, so console-format logs carry no ANSI codes
// (a character device such as /dev/null used to count as one).
func TestLogsOnPipeAreNotColoured(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for name, v := range map[string]any{"/dev/null": devNull, "pipe": w, "buffer": &bytes.Buffer{}} {
		if isTerminal(v) {
			t.Errorf("%s counts as a terminal", name)
		}
	}
	log := newLogger(LogConfig{Level: "info", Format: "console"}, w)
	log.Warn().Msg("job failed; will retry")
	w.Close()
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "job failed; will retry") || strings.Contains(string(out), "\x1b[") {
		t.Errorf("console log on a pipe: %q", out)
	}
}
