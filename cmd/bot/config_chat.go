package main

import (
	"encoding/hex"
	"net/url"
	"regexp"
	"strings"

	"github.com/meetbot/meetbot/internal/seal"
)

// validateChat checks the Slack, Discord and encryption keys together,
// because which ones are needed depends on the others.
func (c Config) validateChat(add func(format string, args ...any)) {
	s := c.Slack
	if s.BotToken != "" && !strings.HasPrefix(s.BotToken, "xoxb-") {
		add("slack.bot_token: a bot token starts with xoxb- (OAuth & Permissions → Bot User OAuth Token)")
	}
	if s.AppToken != "" && !strings.HasPrefix(s.AppToken, "xapp-") {
		add("slack.app_token: an app-level token starts with xapp- (Basic Information → App-Level Tokens, scope connections:write)")
	}
	if s.SigningSecret == "" && s.AppToken == "" && (s.BotToken != "" || s.ClientID != "") {
		add("slack: set slack.signing_secret (HTTP mode) or slack.app_token (Socket Mode), or Slack cannot reach meetbot")
	}
	if (s.ClientID == "") != (s.ClientSecret == "") {
		add("slack.client_id and slack.client_secret: set both for OAuth installs, or neither")
	}
	if s.ClientID != "" && s.BotToken != "" {
		add("slack: use either slack.bot_token (one workspace) or slack.client_id/client_secret (OAuth installs), not both")
	}
	if s.ClientID != "" && c.Storage.EncryptionKey == "" {
		add("storage.encryption_key: required for Slack OAuth installs, to seal bot tokens at rest (openssl rand -hex 32)")
	}
	if s.ClientID != "" && !slackClientID.MatchString(s.ClientID) {
		add("slack.client_id: this is not a Slack client id; copy the Client ID (digits, a dot, digits) from Basic Information → App Credentials, not the App ID")
	}
	if s.ClientID != "" && c.HTTP.PublicURL == "" {
		add("http.public_url: required for Slack OAuth installs, so Slack can redirect back to /slack/oauth/callback")
	}
	if s.ClientID != "" && strings.HasPrefix(c.HTTP.PublicURL, "http://") {
		add("http.public_url: Slack only redirects to https URLs, so OAuth installs need an https public_url (put meetbot behind a TLS proxy)")
	}
	if s.AppToken != "" && s.BotToken == "" && s.ClientID == "" {
		add("slack.app_token: Socket Mode also needs slack.bot_token (OAuth & Permissions → Bot User OAuth Token, xoxb-…) or slack.client_id/client_secret for OAuth installs, or meetbot cannot open the /meet form or post cards and reminders")
	}
	checkURL := func(key, v string) {
		if v == "" {
			return
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("%s: %q must be an absolute http(s) URL", key, v)
		}
	}
	checkURL("slack.api_url", s.APIURL)
	if k := c.Storage.EncryptionKey; k != "" {
		if _, err := seal.ParseKey(k); err != nil {
			add("storage.encryption_key: must be 32 random bytes as 64 hex digits or base64 (openssl rand -hex 32)")
		}
	}
	d := c.Discord
	checkURL("discord.api_url", d.APIURL)
	if d.PublicKey != "" {
		if b, err := hex.DecodeString(d.PublicKey); err != nil || len(b) != 32 {
			add("discord.public_key: must be the application's public key, 64 hex digits (General Information → Public Key)")
		}
	}
	if d.Enabled() && d.ApplicationID == "" {
		add("discord.application_id: required with Discord (General Information → Application ID)")
	} else if id := d.ApplicationID; id != "" && (len(id) < 15 || len(id) > 21 || strings.Trim(id, "0123456789") != "") {
		add("discord.application_id: must be the application's id, a number of 15 to 21 digits (General Information → Application ID)")
	}
	if d.PublicKey != "" && d.BotToken == "" {
		add("discord.bot_token: required with discord.public_key too, so meetbot can post cards and reminders")
	}
	if d.BotToken != "" && d.PublicKey == "" && d.Gateway != nil && !*d.Gateway {
		add("discord.gateway: false leaves meetbot no way to receive /meet; set discord.public_key to use the HTTP interactions endpoint instead, or set discord.gateway to true")
	}
	if d.MirrorEvents && d.BotToken == "" {
		add("discord.mirror_events: needs discord.bot_token, which creates the server events")
	}
}

// slackClientID is the shape of a Slack app's Client ID ("1234567890.1234567890").
var slackClientID = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
