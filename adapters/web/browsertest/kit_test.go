package browsertest

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestUIKitIntegrityMatchesPackages: every hash the meeting page sends
// (uikit_integrity.go) is the SHA-384 of that file in the packed package,
// so a version bump that forgets to regenerate them fails here, not in
// people's browsers.
func TestUIKitIntegrityMatchesPackages(t *testing.T) {
	t.Parallel()
	all := packages(t)
	files := web.UIKitFiles()
	if len(files) < 3 {
		t.Fatalf("only %d files have hashes", len(files))
	}
	for _, f := range files {
		var b []byte
		for name, pkg := range all {
			if rest, ok := strings.CutPrefix(f, name+"/"); ok {
				b = pkg[rest]
			}
		}
		if b == nil {
			t.Errorf("%s is not in the packed packages", f)
			continue
		}
		sum := sha512.Sum384(b)
		if want := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); web.UIKitIntegrity(f) != want {
			t.Errorf("%s: page expects %s, the package has %s", f, web.UIKitIntegrity(f), want)
		}
	}
}

// TestMeetingPageWhenUIKitCannotLoad: a blocked CDN (404) and a tampered
// client script (its SRI hash no longer matches) both end in the error
// state, saying the software could not be loaded, with the retry button;
// the tampered script never runs and init is never called.
func TestMeetingPageWhenUIKitCannotLoad(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		edit func(file string, b []byte) []byte
	}{
		{"blocked", func(string, []byte) []byte { return nil }},
		{"tampered", func(file string, b []byte) []byte {
			if strings.HasSuffix(file, "dist/browser.js") {
				return append(bytes.Clone(b), []byte("\n;window.__tampered = true;")...)
			}
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := tab(t)
			e := newEnv(t, envOpts{editCDN: true})
			e.cdn.setEdit(tc.edit)
			m := e.schedule(ana, core.ScheduleRequest{Title: "Design review", Start: testenv.T0.Add(2 * time.Minute)})
			open(t, ctx, e.join(bo, m.ID).URL, "refuse")
			waitFor(t, ctx, "the error state", `!document.getElementById("failed").hidden`, 25*time.Second)
			reason := eval[string](t, ctx, `document.getElementById("failed-reason").textContent`)
			if !strings.Contains(reason, "could not be loaded") {
				t.Errorf("error reason %q does not say the software could not load", reason)
			}
			if eval[bool](t, ctx, `!!window.__tampered`) {
				t.Error("the tampered script ran despite its integrity hash")
			}
			if n := len(initCalls(t, ctx)); n != 0 {
				t.Errorf("init called %d times without the client", n)
			}
			if !eval[bool](t, ctx, `document.getElementById("starting").hidden`) {
				t.Error(`"Starting…" is still shown beside the error`)
			}
			if tc.name == "blocked" {
				checkA11y(t, ctx, "meeting-kit-blocked")
				screenshots(t, ctx, "meeting-kit-blocked")
			}
		})
	}
}
