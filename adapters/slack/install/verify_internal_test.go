package install

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/slack/signature"
)

// TestSignDocsVector checks sign against Slack's published worked example
// and slack-go's own vector, and verify at the example's own time.
func TestSignDocsVector(t *testing.T) {
	body, err := os.ReadFile("testdata/slack_signed_example.txt")
	if err != nil {
		t.Fatal(err)
	}
	const want = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	if got := signature.Sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body); got != want {
		t.Errorf("docs vector: %s", got)
	}
	h := http.Header{}
	h.Set(signature.HeaderSignature, want)
	h.Set(signature.HeaderTimestamp, "1531420618")
	at := time.Unix(1531420618, 0)
	if err := signature.Verify("8f742231b10e8888abcd99yyyzzz85a5", h, body, at.Add(299*time.Second)); err != nil {
		t.Errorf("docs vector within the window: %v", err)
	}
	if err := signature.Verify("8f742231b10e8888abcd99yyyzzz85a5", h, body, at.Add(301*time.Second)); err != signature.ErrStaleTimestamp {
		t.Errorf("docs vector after the window: %v", err)
	}
	if err := signature.Verify("", h, body, at); err != signature.ErrNoSecret {
		t.Errorf("no secret: %v", err)
	}
	h.Set(signature.HeaderSignature, strings.ToUpper(want[:3])+want[3:])
	if err := signature.Verify("8f742231b10e8888abcd99yyyzzz85a5", h, body, at); err != signature.ErrBadSignature {
		t.Errorf("V0= prefix: %v", err)
	}
}
