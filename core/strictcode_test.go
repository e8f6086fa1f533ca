package core

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// respellings returns other spellings of the unpadded base64url string s
// that a lenient decoder reads as the same bytes: the unused low bits of
// the last character set, padding added, and line breaks inserted.
func respellings(s string) []string {
	var out []string
	unused := map[int]int{2: 4, 3: 2}[len(s)%4] // bits of the last char that carry nothing
	if unused > 0 {
		last := strings.IndexByte(b64url, s[len(s)-1])
		for bits := 1; bits < 1<<unused; bits++ {
			out = append(out, s[:len(s)-1]+string(b64url[last|bits]))
		}
		out = append(out, s+strings.Repeat("=", 4-len(s)%4))
	}
	return append(out, s[:2]+"\n"+s[2:], s+"\r\n")
}

// TestCodesHaveOneSpelling checks that a join link's signature and
// payload, and a public meeting code, are accepted only as written: every
// respelling that decodes to the same bytes under lenient base64 is
// refused (before the fix four spellings of each were accepted).
func TestCodesHaveOneSpelling(t *testing.T) {
	l := NewLinkSigner([]byte(strings.Repeat("k", 32)))
	now := time.Unix(1_800_000_000, 0)
	code := l.Sign(LinkClaims{Platform: PlatformSlack, Workspace: "T1", Meeting: "12", Occurrence: 1, User: "U1", Expires: now.Unix() + 60})
	if _, err := l.Verify(code, now); err != nil {
		t.Fatal(err)
	}
	payload, sig, _ := strings.Cut(code, ".")
	if n := len(respellings(sig)); n < 3 {
		t.Fatalf("the test made only %d respellings of the signature", n)
	}
	for _, alt := range respellings(sig) {
		if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(alt, "=")); err != nil || len(b) == 0 {
			continue // not read as the same bytes even leniently
		}
		if _, err := l.Verify(payload+"."+alt, now); err == nil {
			t.Errorf("join link accepted with its signature spelled %q", alt)
		}
	}
	for _, alt := range respellings(payload) {
		if _, err := l.Verify(alt+"."+sig, now); err == nil {
			t.Errorf("join link accepted with its payload spelled %q", alt)
		}
	}
	for _, ws := range []WorkspaceKey{{Platform: PlatformDiscord, ID: "1234567890123456789"}, {Platform: PlatformSlack, ID: "T0123ABCDE"}, {Platform: PlatformConsole, ID: "local"}} {
		pc, _ := l.publicCode(ws, "123")
		for _, alt := range respellings(pc) {
			if _, _, ok := l.readPublicCode(alt); ok {
				t.Errorf("public code %q accepted as %q", pc, alt)
			}
		}
		if _, _, ok := l.readPublicCode(pc); !ok {
			t.Fatalf("public code %q refused as written", pc)
		}
	}
}
