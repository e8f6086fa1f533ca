package core

import (
	"strings"
	"testing"
)

// Ensure short public codes round-trip for every platform and id shape,
// stay short for Discord's 19-digit ids, and refuse tampering, truncation,
// another key and oversized input.
func TestPublicCode(t *testing.T) {
	l := NewLinkSigner([]byte(strings.Repeat("k", 32)))
	cases := []WorkspaceKey{
		{Platform: PlatformDiscord, ID: "1234567890123456789"},
		{Platform: PlatformDiscord, ID: "0123"}, // leading zero: not packed as a number
		{Platform: PlatformSlack, ID: "T0123ABCDE"},
		{Platform: PlatformConsole, ID: "local"},
	}
	for _, ws := range cases {
		code, ok := l.publicCode(ws, "123")
		if !ok {
			t.Fatalf("publicCode(%v) refused", ws)
		}
		gotWS, id, ok := l.readPublicCode(code)
		if !ok || gotWS != ws || id != "123" {
			t.Fatalf("round trip of %v: %v %q %v", ws, gotWS, id, ok)
		}
		b := []byte(code)
		b[0] ^= 1
		if _, _, ok := l.readPublicCode(string(b)); ok {
			t.Errorf("tampered code for %v accepted", ws)
		}
		if _, _, ok := l.readPublicCode(code[:len(code)-1]); ok {
			t.Errorf("truncated code for %v accepted", ws)
		}
		if _, _, ok := NewLinkSigner([]byte(strings.Repeat("x", 32))).readPublicCode(code); ok {
			t.Errorf("code for %v accepted under another key", ws)
		}
	}
	if code, _ := l.publicCode(cases[0], "123"); len(code) > 40 {
		t.Errorf("Discord code %q is %d characters, want ≤ 40", code, len(code))
	}
	for _, bad := range []string{"", "AA", strings.Repeat("A", 200), "!!!", "////"} {
		if _, _, ok := l.readPublicCode(bad); ok {
			t.Errorf("readPublicCode(%q) accepted", bad)
		}
	}
	if _, ok := l.publicCode(WorkspaceKey{Platform: "teams", ID: "x"}, "1"); ok {
		t.Error("an unknown platform got a short code")
	}
}
