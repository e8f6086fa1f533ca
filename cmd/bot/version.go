package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version is the release this binary was built as, stamped at build time
// (go build -ldflags "-X main.version=v1.4.0"; the Dockerfile passes its
// VERSION argument). Empty means a plain go build, and versionString falls
// back to what the Go toolchain recorded.
var version = ""

// versionString says which build this is: the stamped version, else the
// module version, plus the commit and its time when the toolchain recorded
// them (builds inside a git checkout do), and the Go version. info is
// debug.ReadBuildInfo, a parameter so tests can hand in their own.
func versionString(stamped string, info func() (*debug.BuildInfo, bool)) string {
	v := stamped
	var extra []string
	if bi, ok := info(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		settings := map[string]string{}
		for _, s := range bi.Settings {
			settings[s.Key] = s.Value
		}
		if rev := settings["vcs.revision"]; rev != "" {
			if len(rev) > 12 {
				rev = rev[:12]
			}
			if settings["vcs.modified"] == "true" {
				rev += "-dirty"
			}
			extra = append(extra, "commit "+rev)
		}
		if t := settings["vcs.time"]; t != "" {
			extra = append(extra, t)
		}
		if bi.GoVersion != "" {
			extra = append(extra, bi.GoVersion)
		}
	}
	if v == "" {
		v = "dev"
	}
	out := "meetbot " + v
	if len(extra) > 0 {
		out += " (" + strings.Join(extra, ", ") + ")"
	}
	return out
}

// runVersion prints versionString: `bot version`.
func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	_, err := fmt.Fprintln(stdout, versionString(version, debug.ReadBuildInfo))
	return err
}
