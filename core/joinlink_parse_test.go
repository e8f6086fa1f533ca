package core

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzParseClaims: whatever parseClaims accepts, encoding/json reads the
// same way, so the fast path never changes what a link means; and every
// set of claims Sign writes takes the fast path unless a string in it
// needs escaping.
func FuzzParseClaims(f *testing.F) {
	for _, c := range []LinkClaims{
		{Platform: PlatformSlack, Workspace: "T1", Meeting: "1", Occurrence: 1796322000, User: "U1", Expires: 1796322900},
		{Platform: PlatformDiscord, Workspace: "9876543210", Meeting: "abc-12", Occurrence: -5, User: "ü", Expires: 0},
		{Platform: "console", Workspace: "local", Meeting: "m<1>", Occurrence: 1, User: `a"b`, Expires: 2},
	} {
		raw, _ := json.Marshal(c)
		f.Add(raw)
	}
	f.Add([]byte(`{"p":"slack","w":"T1","m":"1","o":01,"u":"U1","e":2}`))
	f.Add([]byte(`{"p":"slack","w":"T1","m":"1","o":1.5,"u":"U1","e":2}`))
	f.Add([]byte(`{"p":"slack","w":"T\u0031","m":"1","o":1,"u":"U1","e":2}`))
	f.Add([]byte(`{"p":"slack","w":"T1","m":"1","o":1,"u":"U1","e":2} `))
	f.Add([]byte("{\"p\":\"sl\xffck\",\"w\":\"T1\",\"m\":\"1\",\"o\":1,\"u\":\"U1\",\"e\":2}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, ok := parseClaims(b)
		if !ok {
			return
		}
		var want LinkClaims
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("parseClaims accepted %q, which encoding/json refuses: %v", b, err)
		}
		if c != want {
			t.Fatalf("parseClaims(%q) = %+v, encoding/json reads %+v", b, c, want)
		}
	})
}

// TestSignedClaimsTakeTheFastPath: what Sign writes for ordinary ids is
// read without encoding/json, and round-trips.
func TestSignedClaimsTakeTheFastPath(t *testing.T) {
	c := LinkClaims{Platform: PlatformSlack, Workspace: "T024BE7LD", Meeting: "42", Occurrence: 1796322000, User: "U012AB3CD", Expires: 1796322900}
	raw, _ := json.Marshal(c)
	got, ok := parseClaims(raw)
	if !ok || got != c {
		t.Fatalf("parseClaims(%s) = %+v, %v", raw, got, ok)
	}
	s := NewLinkSigner([]byte("0123456789abcdef0123456789abcdef"))
	back, err := s.Verify(s.Sign(c), time.Unix(1796322000, 0))
	if err != nil || back != c {
		t.Fatalf("Verify(Sign(c)) = %+v, %v", back, err)
	}
}
