package slack

import "testing"

// TestAllowedResponseURLFollowsAPIURL: an adapter set up for GovSlack
// posts to GovSlack's response_urls and to no one else's, Slack's own
// included.
func TestAllowedResponseURLFollowsAPIURL(t *testing.T) {
	a := New(Options{APIURL: "https://slack-gov.com/api"})
	for raw, want := range map[string]bool{
		"https://hooks.slack-gov.com/commands/T1/1/x": true,
		"https://hooks.slack.com/commands/T1/1/x":     false,
		"http://hooks.slack-gov.com/commands/T1/1/x":  false,
		"https://u:p@hooks.slack-gov.com/commands/x":  false,
		"https://hooks.slack-gov.com.evil/commands/x": false,
	} {
		if got := a.allowedResponseURL(raw); got != want {
			t.Errorf("allowedResponseURL(%q) = %v, want %v", raw, got, want)
		}
	}
	if b := New(Options{}); !b.allowedResponseURL("https://hooks.slack.com/commands/T1/1/x") {
		t.Error("the default adapter refuses Slack's own response_urls")
	}
}
