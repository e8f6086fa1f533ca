package install_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/core"
)

// FuzzHandleEvent feeds arbitrary (already verified) bodies to
// HandleEvent. It must never panic; it answers only with a JSON challenge
// or nothing; input errors are EINVALID; and a workspace's token goes away
// only for an event that says app_uninstalled or tokens_revoked.
// Seeds: testdata/fuzz/FuzzHandleEvent.
func FuzzHandleEvent(f *testing.F) {
	f.Add([]byte(uninstallEvent(team, "Ev0F1")))
	f.Add([]byte(revokedEvent(team, "Ev0F2", []string{"U0BOT"}, nil)))
	f.Add([]byte(`{"type":"url_verification","challenge":"abc"}`))
	f.Add([]byte(`{"type":"event_callback","team_id":"T0TEAM1","event":null}`))
	e := newEnv(f)
	e.installedFuzz(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := e.handler.HandleEvent(context.Background(), body)
		if err != nil {
			if resp != nil {
				t.Errorf("error %v with a response %q", err, resp)
			}
			if c := core.ErrorCode(err); c != core.EINVALID {
				t.Errorf("code %s for %q: %v", c, body, err)
			}
		}
		if resp != nil {
			var v struct {
				Challenge string `json:"challenge"`
			}
			if json.Unmarshal(resp, &v) != nil || v.Challenge == "" {
				t.Errorf("response %q is not a challenge", resp)
			}
		}
		if _, err := e.db.FindInstallation(context.Background(), slackWS(team)); core.ErrorCode(err) == core.ENOTFOUND {
			s := string(body)
			if !strings.Contains(s, "app_uninstalled") && !strings.Contains(s, "tokens_revoked") &&
				!strings.Contains(s, `\u`) { // JSON escapes can spell the names
				t.Errorf("token forgotten for %q", body)
			}
			sealed, _ := e.box.Seal([]byte(botToken), "slack:"+team)
			if err := e.db.PutInstallation(context.Background(), &core.Installation{Workspace: slackWS(team), SealedToken: sealed}); err != nil {
				t.Fatal(err)
			}
		} else if err != nil {
			t.Fatal(err)
		}
	})
}
