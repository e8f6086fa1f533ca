package install_test

import (
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/meetbot/meetbot/adapters/slack/install"
)

// manifest is the part of Slack's app manifest format meetbot fills in.
type manifest struct {
	Metadata struct {
		MajorVersion int `yaml:"major_version"`
	} `yaml:"_metadata"`
	DisplayInformation struct {
		Name string `yaml:"name"`
	} `yaml:"display_information"`
	Features struct {
		BotUser struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape *bool  `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		RedirectURLs []string `yaml:"redirect_urls"`
		Scopes       struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions struct {
			RequestURL string   `yaml:"request_url"`
			BotEvents  []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
		Interactivity struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		OrgDeployEnabled     *bool `yaml:"org_deploy_enabled"`
		SocketModeEnabled    *bool `yaml:"socket_mode_enabled"`
		TokenRotationEnabled *bool `yaml:"token_rotation_enabled"`
	} `yaml:"settings"`
}

// TestManifestMatchesCode: the manifest in the repo asks for exactly the
// scopes the install flow requests and points Slack at the routes served.
func TestManifestMatchesCode(t *testing.T) {
	raw, err := os.ReadFile("../../../slack-app-manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.Metadata.MajorVersion != 1 || m.DisplayInformation.Name == "" || len(m.DisplayInformation.Name) > 35 {
		t.Errorf("metadata/display: %+v %+v", m.Metadata, m.DisplayInformation)
	}
	if m.Features.BotUser.DisplayName != "meetbot" {
		t.Errorf("bot user %q", m.Features.BotUser.DisplayName)
	}
	want := strings.Split(install.BotScopes, ",")
	if got := m.OAuthConfig.Scopes.Bot; !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("manifest bot scopes %v, code asks for %v", got, want)
	}
	if len(m.OAuthConfig.Scopes.User) != 0 {
		t.Errorf("user scopes %v: meetbot uses none", m.OAuthConfig.Scopes.User)
	}
	if len(m.Features.SlashCommands) != 1 {
		t.Fatalf("slash commands %+v", m.Features.SlashCommands)
	}
	c := m.Features.SlashCommands[0]
	if c.Command != "/meet" || c.Description == "" || c.UsageHint == "" || c.ShouldEscape == nil || *c.ShouldEscape {
		t.Errorf("command %+v", c)
	}
	// Paths: ours from this package's constants, the adapter's as it serves them.
	paths := map[string]string{
		"command":       path(t, c.URL),
		"interactivity": path(t, m.Settings.Interactivity.RequestURL),
		"events":        path(t, m.Settings.EventSubscriptions.RequestURL),
	}
	wantPaths := map[string]string{"command": "/slack/commands", "interactivity": "/slack/interactions", "events": install.EventsPath}
	for k, p := range wantPaths {
		if paths[k] != p {
			t.Errorf("%s URL path %q, want %q", k, paths[k], p)
		}
	}
	if len(m.OAuthConfig.RedirectURLs) != 1 || path(t, m.OAuthConfig.RedirectURLs[0]) != install.CallbackPath {
		t.Errorf("redirect urls %v", m.OAuthConfig.RedirectURLs)
	}
	if !m.Settings.Interactivity.IsEnabled {
		t.Error("interactivity is off")
	}
	if ev := sorted(m.Settings.EventSubscriptions.BotEvents); !slices.Equal(ev, []string{"app_uninstalled", "tokens_revoked"}) {
		t.Errorf("bot events %v", ev)
	}
	s := m.Settings
	if s.SocketModeEnabled == nil || *s.SocketModeEnabled || s.OrgDeployEnabled == nil || *s.OrgDeployEnabled ||
		s.TokenRotationEnabled == nil || *s.TokenRotationEnabled {
		t.Errorf("settings flags: socket %v org %v rotation %v", s.SocketModeEnabled, s.OrgDeployEnabled, s.TokenRotationEnabled)
	}
	// Every route of ours that the manifest names is served.
	e := newEnv(t)
	routes := e.handler.Routes()
	for _, p := range []string{"POST " + install.EventsPath, "GET " + install.CallbackPath, "GET " + install.InstallPath} {
		if routes[p] == nil {
			t.Errorf("route %s not served", p)
		}
	}
}

func path(t *testing.T, s string) string {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		t.Errorf("URL %q is not absolute https", s)
		return ""
	}
	return u.Path
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
