package core

import (
	"strings"
	"testing"
	"time"
)

// FuzzCodeSpelling feeds arbitrary strings to the join-link and public
// code readers and checks the one-spelling property: whatever is accepted
// is exactly what the signer writes for what it names, so no code has a
// second form. Seeds in testdata/fuzz/FuzzCodeSpelling; valid codes and
// their respellings are added here because they depend on the key.
func FuzzCodeSpelling(f *testing.F) {
	l := NewLinkSigner([]byte(strings.Repeat("k", 32)))
	now := time.Unix(1_800_000_000, 0)
	claims := LinkClaims{Platform: PlatformSlack, Workspace: "T1", Meeting: "12", Occurrence: 1, User: "U1", Expires: now.Unix() + 60}
	code := l.Sign(claims)
	pc, _ := l.publicCode(WorkspaceKey{Platform: PlatformDiscord, ID: "1234567890123456789"}, "123")
	f.Add(code)
	f.Add(pc)
	payload, sig, _ := strings.Cut(code, ".")
	for _, alt := range respellings(sig) {
		f.Add(payload + "." + alt)
	}
	for _, alt := range respellings(pc) {
		f.Add(alt)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := l.Verify(s, now); err == nil {
			if again := l.Sign(c); again != s {
				t.Fatalf("join link %q accepted, but its claims sign as %q", s, again)
			}
		}
		if ws, id, ok := l.readPublicCode(s); ok {
			if again, _ := l.publicCode(ws, id); again != s {
				t.Fatalf("public code %q accepted, but it is written %q", s, again)
			}
		}
	})
}
