package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// problemsOf loads body as a config file (no environment) and returns the
// problems LoadConfig reports.
func problemsOf(t *testing.T, body string) []string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, problems, err := LoadConfig(path, func(string) string { return "" })
	if (err != nil) != (len(problems) > 0) {
		t.Fatalf("err %v with problems %q", err, problems)
	}
	return problems
}

// TestChatConfigProblems: each chat setup that cannot work is reported
// with one sentence that starts with the key to fix, and each working
// setup is accepted.
func TestChatConfigProblems(t *testing.T) {
	key := strings.Repeat("ab", 32)
	const pub = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	cases := []struct {
		name string
		body string
		want []string // each problem's start, in order; none: valid
	}{
		{"socket mode without a bot token", "slack:\n  app_token: xapp-1-A1-2-abc\n",
			[]string{"slack.app_token: Socket Mode also needs slack.bot_token"}},
		{"socket mode with a bot token", "slack:\n  app_token: xapp-1-A1-2-abc\n  bot_token: xoxb-1-2-abc\n", nil},
		{"socket mode with OAuth", "http:\n  public_url: https://meet.example.com\nstorage:\n  encryption_key: " + key +
			"\nslack:\n  app_token: xapp-1-A1-2-abc\n  client_id: \"123.456\"\n  client_secret: s3cret\n", nil},
		{"OAuth with the App ID as client id", "http:\n  public_url: https://meet.example.com\nstorage:\n  encryption_key: " + key +
			"\nslack:\n  signing_secret: 8f742231b10e8888abcd99yyyzzz85a5\n  client_id: A0123ABCD\n  client_secret: s3cret\n",
			[]string{"slack.client_id: this is not a Slack client id"}},
		{"OAuth over plain http", "http:\n  public_url: http://meet.example.com\nstorage:\n  encryption_key: " + key +
			"\nslack:\n  signing_secret: 8f742231b10e8888abcd99yyyzzz85a5\n  client_id: \"123.456\"\n  client_secret: s3cret\n",
			[]string{"http.public_url: Slack only redirects to https URLs"}},
		{"OAuth without a key", "http:\n  public_url: https://meet.example.com\n" +
			"slack:\n  signing_secret: 8f742231b10e8888abcd99yyyzzz85a5\n  client_id: \"123.456\"\n  client_secret: s3cret\n",
			[]string{"storage.encryption_key: required for Slack OAuth installs"}},
		{"discord gateway off without an endpoint", "discord:\n  bot_token: tok\n  application_id: \"112233445566778899\"\n  gateway: false\n",
			[]string{"discord.gateway: false leaves meetbot no way to receive /meet"}},
		{"discord gateway off with an endpoint", "discord:\n  bot_token: tok\n  application_id: \"112233445566778899\"\n  public_key: " + pub + "\n  gateway: false\n", nil},
		{"discord gateway by default", "discord:\n  bot_token: tok\n  application_id: \"112233445566778899\"\n", nil},
		{"discord application id not a number", "discord:\n  bot_token: tok\n  application_id: my-app\n",
			[]string{"discord.application_id: must be the application's id"}},
		{"discord mirror without a bot", "discord:\n  mirror_events: true\n",
			[]string{"discord.mirror_events: needs discord.bot_token"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := problemsOf(t, c.body)
			if len(got) != len(c.want) {
				t.Fatalf("problems %q, want %d starting %q", got, len(c.want), c.want)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %q, want it to start %q", got[i], w)
				}
			}
		})
	}
}

// TestConfigTypeErrorsNameTheKey: a value of the wrong kind is reported
// with its dotted key, its line and what the key takes, not with Go type
// names; a token pasted in place of a section is not echoed.
func TestConfigTypeErrorsNameTheKey(t *testing.T) {
	got := problemsOf(t, "meetings:\n  reminders: 10m\n  early_join: [5m]\nrealtimekit:\n  budget:\n    calls: lots\n  sandbox: maybe\n"+
		"slack: xoxb-1234-secret\nlog:\n  levle: info\n")
	want := []string{
		`meetings.reminders (line 2): must be a list of durations such as [10m, 0s] ([] for none), not "10m"`,
		`meetings.early_join (line 3): must be one duration such as 5m`,
		`realtimekit.budget.calls (line 6): must be a whole number, not "lots"`,
		`realtimekit.sandbox (line 7): must be true or false, not "maybe"`,
		`slack (line 8): must be a section of keys, as in config.example.yaml`,
		`log.levle (line 10): unknown key`,
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s\nwant %d", strings.Join(got, "\n"), len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("problem %q, want it to start %q", got[i], w)
		}
		if strings.Contains(got[i], "main.") || strings.Contains(got[i], "unmarshal") {
			t.Errorf("problem %q names Go internals", got[i])
		}
		if strings.Contains(got[i], "xoxb") {
			t.Errorf("problem %q echoes a token", got[i])
		}
	}
}

// TestExampleConfigMatchesStructs: config.example.yaml documents every key
// of Config, section by section, and holds no key Config lacks.
func TestExampleConfigMatchesStructs(t *testing.T) {
	raw, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		t.Fatal(err)
	}
	inFile := map[string]bool{}
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		if n.Kind == yaml.DocumentNode {
			walk(n.Content[0], path)
			return
		}
		if n.Kind != yaml.MappingNode {
			inFile[path] = true
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			walk(n.Content[i+1], strings.TrimPrefix(path+"."+n.Content[i].Value, "."))
		}
	}
	walk(&root, "")
	inCode := map[string]bool{}
	var fields func(ty reflect.Type, path string)
	fields = func(ty reflect.Type, path string) {
		for f := range ty.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			p := strings.TrimPrefix(path+"."+name, ".")
			if f.Type.Kind() == reflect.Struct {
				fields(f.Type, p)
				continue
			}
			inCode[p] = true
		}
	}
	fields(reflect.TypeFor[Config](), "")
	for k := range inCode {
		if !inFile[k] {
			t.Errorf("config.example.yaml lacks %s", k)
		}
	}
	for k := range inFile {
		if !inCode[k] {
			t.Errorf("config.example.yaml has %s, which Config does not read", k)
		}
	}
	if len(inCode) < 35 {
		t.Fatalf("found only %d keys in Config", len(inCode))
	}
}
