package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func testBox(t *testing.T, fill byte) *Box {
	t.Helper()
	b, err := New(bytes.Repeat([]byte{fill}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpenRoundTrip(t *testing.T) {
	b := testBox(t, 7)
	token := []byte("xoxb-not-a-real-token")
	s1, err := b.Seal(token, "slack:T1")
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal(token, "slack:T1")
	if bytes.Equal(s1, s2) {
		t.Fatal("two seals of one value are identical: the nonce is not fresh")
	}
	if bytes.Contains(s1, token) {
		t.Fatal("the sealed value holds the plaintext")
	}
	got, err := b.Open(s1, "slack:T1")
	if err != nil || !bytes.Equal(got, token) {
		t.Fatalf("Open = %q, %v", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	b := testBox(t, 7)
	s, _ := b.Seal([]byte("secret"), "slack:T1")
	flipped := bytes.Clone(s)
	flipped[len(flipped)-1] ^= 1
	cases := map[string]func() ([]byte, error){
		"other workspace": func() ([]byte, error) { return b.Open(s, "slack:T2") },
		"other key":       func() ([]byte, error) { return testBox(t, 8).Open(s, "slack:T1") },
		"altered":         func() ([]byte, error) { return b.Open(flipped, "slack:T1") },
		"truncated":       func() ([]byte, error) { return b.Open(s[:10], "slack:T1") },
		"empty":           func() ([]byte, error) { return b.Open(nil, "slack:T1") },
		"plaintext":       func() ([]byte, error) { return b.Open([]byte("xoxb-plain-token-stored-by-mistake"), "slack:T1") },
	}
	for name, open := range cases {
		if _, err := open(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: got %v, want ErrOpen", name, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	hexKey := strings.Repeat("ab", 32)
	if k, err := ParseKey(hexKey); err != nil || len(k) != KeySize || k[0] != 0xab {
		t.Fatalf("hex key: %x, %v", k, err)
	}
	if k, err := ParseKey("  q83vq83vq83vq83vq83vq83vq83vq83vq83vq83vq80=\n"); err != nil || len(k) != KeySize {
		t.Fatalf("base64 key: %x, %v", k, err)
	}
	for _, bad := range []string{"", "short", strings.Repeat("zz", 32), strings.Repeat("ab", 16)} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted a bad key", bad)
		}
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("New accepted a 16-byte key")
	}
}
