package slack_test

import (
	"errors"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/meetbot/meetbot/adapters/slack"
)

// TestSlackPublishedExample runs Slack's worked example from "Verifying
// requests from Slack" through Sign and, with the clock set to its
// timestamp, through Verify.
func TestSlackPublishedExample(t *testing.T) {
	t.Parallel()
	// The body bytes exactly as the docs print them, without a newline.
	body, err := os.ReadFile("testdata/slack_signed_example.txt")
	if err != nil {
		t.Fatal(err)
	}
	const (
		docSecret = "8f742231b10e8888abcd99yyyzzz85a5"
		docTS     = "1531420618"
		want      = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	)
	if got := slack.Sign(docSecret, docTS, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set(slack.HeaderSignature, want)
	h.Set(slack.HeaderTimestamp, docTS)
	if err := slack.Verify(docSecret, h, body, time.Unix(1531420618, 0)); err != nil {
		t.Fatalf("Verify(docs example) = %v", err)
	}
	// Ensure the same example is refused once it is older than the window.
	if err := slack.Verify(docSecret, h, body, time.Unix(1531420618+301, 0)); !errors.Is(err, slack.ErrStaleTimestamp) {
		t.Fatalf("Verify(301 s later) = %v", err)
	}
}

// TestSignMatchesSlackGo checks our signing against slack-go's verifier
// with a fresh timestamp, so both sides agree on the algorithm.
func TestSignMatchesSlackGo(t *testing.T) {
	t.Parallel()
	body := []byte("team_id=T1&user_id=U1&text=list")
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	h := http.Header{}
	h.Set(slack.HeaderTimestamp, ts)
	h.Set(slack.HeaderSignature, slack.Sign(secret, ts, body))
	v, err := slackapi.NewSecretsVerifier(h, secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := v.Ensure(); err != nil {
		t.Fatalf("slack-go refuses our signature: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	body := []byte("team_id=T1&user_id=U1&text=list")
	now := time.Unix(1_800_000_000, 0)
	at := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	cases := []struct {
		name        string
		sig, ts     string
		body        []byte
		secret      string
		want        error
		wantSuccess bool
	}{
		{name: "fresh", ts: at(0), wantSuccess: true},
		{name: "299 s old", ts: at(-299 * time.Second), wantSuccess: true},
		{name: "299 s ahead", ts: at(299 * time.Second), wantSuccess: true},
		{name: "301 s old", ts: at(-301 * time.Second), want: slack.ErrStaleTimestamp},
		{name: "301 s ahead", ts: at(301 * time.Second), want: slack.ErrStaleTimestamp},
		{name: "far future", ts: "99999999999999999", want: slack.ErrStaleTimestamp},
		{name: "not a number", ts: "soon", want: slack.ErrStaleTimestamp},
		{name: "body altered by one byte", ts: at(0), body: []byte("team_id=T1&user_id=U1&text=lisT"), want: slack.ErrBadSignature},
		{name: "wrong version", ts: at(0), sig: "v1=", want: slack.ErrBadSignature},
		{name: "bad hex", ts: at(0), sig: "v0=zz", want: slack.ErrBadSignature},
		{name: "short", ts: at(0), sig: "v0=abcd", want: slack.ErrBadSignature},
		{name: "other secret", ts: at(0), secret: "another-secret", want: slack.ErrBadSignature},
		{name: "no signature", ts: at(0), sig: "-", want: slack.ErrMissingHeaders},
		{name: "no timestamp", ts: "", want: slack.ErrMissingHeaders},
	}
	for _, c := range cases {
		h := http.Header{}
		sec := secret
		if c.secret != "" {
			sec = c.secret
		}
		sig := slack.Sign(sec, c.ts, body)
		switch {
		case c.sig == "-":
			sig = ""
		case c.sig == "v1=":
			sig = "v1=" + sig[3:]
		case c.sig != "":
			sig = c.sig
		}
		if sig != "" {
			h.Set(slack.HeaderSignature, sig)
		}
		if c.ts != "" {
			h.Set(slack.HeaderTimestamp, c.ts)
		}
		b := body
		if c.body != nil {
			b = c.body
		}
		err := slack.Verify(secret, h, b, now)
		if c.wantSuccess {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
	h := http.Header{}
	h.Set(slack.HeaderTimestamp, at(0))
	h.Set(slack.HeaderSignature, slack.Sign("", at(0), body))
	if err := slack.Verify("", h, body, now); !errors.Is(err, slack.ErrNoSecret) {
		t.Errorf("empty secret: %v", err)
	}
}
