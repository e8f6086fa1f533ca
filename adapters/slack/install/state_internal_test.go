package install

import (
	"strings"
	"testing"
	"time"
)

// TestStateHasOneSpelling: an OAuth state is accepted only as newState
// wrote it. Its 56 bytes leave two unused bits in the last character, so
// a lenient decoder read four spellings (and padded or line-broken ones);
// each respelling is refused as forged.
func TestStateHasOneSpelling(t *testing.T) {
	key := []byte(strings.Repeat("s", 32))
	now := time.Unix(1_800_000_000, 0)
	state, nonce, err := newState(key, now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := checkState(key, state, now); err != nil || got != nonce {
		t.Fatalf("state as written: %q %v", got, err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, state[len(state)-1])
	alts := []string{state + "=", state[:5] + "\n" + state[5:], state + "\r\n"}
	for bits := 1; bits < 4; bits++ {
		alts = append(alts, state[:len(state)-1]+string(alphabet[last|bits]))
	}
	for _, alt := range alts {
		if alt == state {
			continue
		}
		if _, err := checkState(key, alt, now); err != errStateForged {
			t.Errorf("state respelled %q: %v, want it refused as forged", alt, err)
		}
	}
}
