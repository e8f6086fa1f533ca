package slack

import (
	"testing"

	slackapi "github.com/slack-go/slack"
)

// FuzzTextOnlyJSON: the text-only fast path writes exactly what
// encoding/json (HTML escaping off) writes, for any text, and is taken
// only for text-only messages.
func FuzzTextOnlyJSON(f *testing.F) {
	for _, s := range []string{"plain", `quote " and \ back`, "tab\tnl\nCR\rbs\bff\f", "\x00\x01\x1f\x7f",
		"<!date^1^{time}|x> &amp; <@U1>", "ünïcødé ✓ 🎉", "line\u2028sep\u2029", "bad \xff utf8 \xc3", "\u00e9\u0301"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, text string, eph bool) {
		rt := slackapi.ResponseTypeInChannel
		if eph {
			rt = slackapi.ResponseTypeEphemeral
		}
		msg := slackapi.Msg{ResponseType: rt, Text: text}
		want, err := marshalNoHTML(msg)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jsonMarshal(msg)
		if err != nil || string(got) != string(want) {
			t.Fatalf("jsonMarshal(%q) =\n%s\nencoding/json:\n%s", text, got, want)
		}
		if text != "" {
			if _, ok := textOnlyJSON(msg); !ok {
				t.Fatalf("a text-only message of %q missed the fast path", text)
			}
		}
		msg.Blocks = slackapi.Blocks{BlockSet: []slackapi.Block{slackapi.NewDividerBlock()}}
		if _, ok := textOnlyJSON(msg); ok {
			t.Fatal("a message with blocks took the text-only path")
		}
	})
}
