package discord_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/adapters/discord"
)

// TestSignRFC8032Vector checks the signing helper against RFC 8032 §7.1
// TEST 1 (empty message), so the test key really is the published one.
func TestSignRFC8032Vector(t *testing.T) {
	t.Parallel()
	const want = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
	if got := discord.Sign(testKey, "", nil); got != want {
		t.Fatalf("signature = %s", got)
	}
	if hex.EncodeToString(testKey.Public().(ed25519.PublicKey)) != testPublic {
		t.Fatal("public key differs from RFC 8032 TEST 1")
	}
	// A stable vector for a PING at a fixed time: Verify accepts it at
	// that time and refuses it ten minutes later.
	body := []byte(`{"type":1}`)
	sig := discord.Sign(testKey, "1700000000", body)
	h := http.Header{}
	h.Set(discord.HeaderTimestamp, "1700000000")
	h.Set(discord.HeaderSignature, strings.ToUpper(sig))
	pub := testKey.Public().(ed25519.PublicKey)
	at := time.Unix(1700000000, 0)
	if !discord.Verify(pub, h, body, at, 5*time.Minute) {
		t.Fatal("fresh vector refused")
	}
	if discord.Verify(pub, h, body, at.Add(10*time.Minute), 5*time.Minute) {
		t.Fatal("stale vector accepted")
	}
}

// TestPing answers Discord's endpoint check with PONG.
func TestPing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	code, r := h.do(t, h.signed(t, []byte(`{"id":"p1","type":1,"application_id":"app1","token":"x","version":1}`), time.Now()))
	if code != http.StatusOK || string(r.raw) != `{"type":1}` {
		t.Fatalf("ping: %d %s", code, r.raw)
	}
}

// TestRefusedRequests sends forged, altered, stale and unsigned requests:
// each gets 401, and nothing is stored or posted.
func TestRefusedRequests(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := wire(t, h.interaction(guildA, "U1", "now", opt("title", "standup")))
	_, otherKey, _ := ed25519.GenerateKey(nil)
	now := time.Now()
	cases := map[string]func() *http.Request{
		"forged": func() *http.Request {
			r := h.signed(t, body, now)
			r.Header.Set(discord.HeaderSignature, discord.Sign(otherKey, r.Header.Get(discord.HeaderTimestamp), body))
			return r
		},
		"altered": func() *http.Request {
			r := h.signed(t, body, now)
			altered := bytes.Replace(body, []byte("standup"), []byte("standuP"), 1)
			r.Body, r.ContentLength = newBody(altered), int64(len(altered))
			return r
		},
		"other timestamp": func() *http.Request {
			r := h.signed(t, body, now)
			r.Header.Set(discord.HeaderTimestamp, "1")
			return r
		},
		"stale":    func() *http.Request { return h.signed(t, body, now.Add(-10*time.Minute)) },
		"future":   func() *http.Request { return h.signed(t, body, now.Add(10*time.Minute)) },
		"unsigned": func() *http.Request { r := h.signed(t, body, now); r.Header.Del(discord.HeaderSignature); return r },
		"no timestamp": func() *http.Request {
			r := h.signed(t, body, now)
			r.Header.Del(discord.HeaderTimestamp)
			return r
		},
		"bad hex": func() *http.Request {
			r := h.signed(t, body, now)
			r.Header.Set(discord.HeaderSignature, "zz")
			return r
		},
	}
	for name, mk := range cases {
		if code, r := h.do(t, mk()); code != http.StatusUnauthorized {
			t.Errorf("%s: status %d %s", name, code, r.raw)
		}
	}
	h.adapter.Wait()
	if ms := h.meetings(t); len(ms) != 0 {
		t.Fatalf("a refused request stored %d meetings", len(ms))
	}
	if c := h.api.Calls("", "/"); len(c) != 0 {
		t.Fatalf("a refused request called Discord: %+v", c)
	}
	// The same body, signed properly, works: the refusals were about the
	// signature alone.
	if _, r := h.do(t, h.signed(t, body, now)); !r.ephemeral() || len(h.meetings(t)) != 1 {
		t.Fatalf("signed request: %s", r.raw)
	}
}

// TestOversizedBody gets 413 before any signature work.
func TestOversizedBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	big := append([]byte(`{"type":2,"x":"`), bytes.Repeat([]byte("a"), 70<<10)...)
	big = append(big, `"}`...)
	if code, _ := h.do(t, h.signed(t, big, time.Now())); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", code)
	}
	// Without a Content-Length the cap still holds.
	req := h.signed(t, big, time.Now())
	req.ContentLength = -1
	req.Body = newBody(big)
	if code, _ := h.do(t, req); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked: status %d", code)
	}
}

// TestNotAnInteraction: a signed body that is not JSON gets 400.
func TestNotAnInteraction(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	if code, _ := h.do(t, h.signed(t, []byte("not json"), time.Now())); code != http.StatusBadRequest {
		t.Fatalf("status %d", code)
	}
}

// TestReplayAnsweredOnce: the same signed interaction sent twice runs
// once (the store's once-key is shared by every replica).
func TestReplayAnsweredOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := wire(t, h.interaction(guildA, "U1", "now", opt("title", "standup")))
	h.do(t, h.signed(t, body, time.Now()))
	code, r := h.do(t, h.signed(t, body, time.Now()))
	h.adapter.Wait()
	if code != http.StatusOK || len(r.raw) != 0 || len(h.meetings(t)) != 1 {
		t.Fatalf("replay: %d %s, %d meetings", code, r.raw, len(h.meetings(t)))
	}
}

// TestSlowWorkIsDeferred: with no time to answer inline, the endpoint
// answers type 5 (ephemeral) and the reply follows as an edit of the
// original response through the interaction webhook. The wait for the
// answer has run out before the work starts (Options.After).
func TestSlowWorkIsDeferred(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *discord.Options) {
		o.After = func(time.Duration) <-chan time.Time {
			c := make(chan time.Time, 1)
			c <- time.Time{}
			return c
		}
	})
	r := h.command(t, "U1", "schedule", opt("title", "Review"), opt("when", "tomorrow 3pm"))
	if r.Type != int(dg.InteractionResponseDeferredChannelMessageWithSource) || !r.ephemeral() {
		t.Fatalf("answer: %s", r.raw)
	}
	edits := h.api.Calls(http.MethodPatch, "/webhooks/app1/")
	if len(edits) != 1 || !strings.HasSuffix(edits[0].Path, "/messages/@original") || !strings.Contains(string(edits[0].Body), "Scheduled") ||
		!strings.Contains(string(edits[0].Body), `"allowed_mentions":{"parse":[]`) {
		t.Fatalf("edits: %+v", edits)
	}
	if len(h.api.Calls(http.MethodPost, "/channels/C1/messages")) != 1 {
		t.Fatal("the card was not posted")
	}
}
