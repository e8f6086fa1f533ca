package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// decodeProblems returns the decoding problems of body (those that carry a
// line), leaving out Validate's.
func decodeProblems(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	for _, p := range problemsOf(t, body) {
		if strings.Contains(p, "(line ") {
			out = append(out, p)
		}
	}
	return out
}

// TestUnknownKeysNamedWithTheirLine: comments and blank lines, which a
// re-encoded file loses, do not shift the line, and the key named is the
// unknown one, not a neighbour (issue 12: an unknown section under storage
// was reported as storage.driver, a top-level web: as join.signing_key).
func TestUnknownKeysNamedWithTheirLine(t *testing.T) {
	body := `# meetbot
# a comment block, as in config.example.yaml

http:
  listen: 127.0.0.1:8080

storage:
  # the driver
  driver: bolt
  cache:
    size: 10

meetings:
  grace: 5m

join:
  # keep this secret
  signing_key: ""

webserver:
  listen: 0.0.0.0:80
`
	got := decodeProblems(t, body)
	want := []string{
		"storage.cache (line 10): unknown key",
		"webserver (line 20): unknown key",
	}
	if len(got) != len(want) {
		t.Fatalf("problems %q, want %q", got, want)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("problem %q, want it to start %q", got[i], w)
		}
	}
}

// TestConfigProblemsAllAtOnce: a nested unknown key, values of the wrong
// type, a key written twice and a bad list element are all reported in one
// run, in file order, each with its key and line, and the good values
// around them still apply.
func TestConfigProblemsAllAtOnce(t *testing.T) {
	body := `storage:
  etcd:
    endpoints: [http://10.0.0.1:2379]
    leader_tll: 3s
realtimekit:
  budget:
    calls: 12.5
    window: forever
  call_timeout: 2s
meetings:
  reminders:
    - 10m
    - soon
  grace: 1m
  grace: 2m
discord:
  gateway: sometimes
`
	got := decodeProblems(t, body)
	want := []string{
		"storage.etcd.leader_tll (line 4): unknown key",
		`realtimekit.budget.calls (line 7): must be a whole number, not "12.5"`,
		`realtimekit.budget.window (line 8): "forever" is not a duration`,
		`meetings.reminders (line 13): "soon" is not a duration`,
		"meetings.grace (line 15): set twice; the first is on line 14",
		`discord.gateway (line 17): must be true or false, not "sometimes"`,
	}
	if len(got) != len(want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("problem %q, want it to start %q", got[i], w)
		}
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, _ := LoadConfig(path, func(string) string { return "" })
	if cfg.RealtimeKit.CallTimeout.D() != 2*time.Second || cfg.Meetings.Grace.D() != time.Minute {
		t.Errorf("good values beside bad ones: call_timeout %s, grace %s", cfg.RealtimeKit.CallTimeout.D(), cfg.Meetings.Grace.D())
	}
	if !slices.Equal(cfg.Storage.Etcd.Endpoints, []string{"http://10.0.0.1:2379"}) {
		t.Errorf("endpoints %q", cfg.Storage.Etcd.Endpoints)
	}
}

// TestConfigYAMLFeatures: what YAML itself offers still reads as yaml.v3
// reads it (anchors, merges with written keys winning, null leaving the
// default, an empty list), and an unquoted ${VAR} takes the type of its
// value while an unset one stays an empty string.
func TestConfigYAMLFeatures(t *testing.T) {
	body := `base: &d
  early_join: 1m
  grace: 3m
meetings:
  <<: *d
  grace: 4m
  reminders: []
realtimekit:
  budget:
    calls: ${CALLS}
  presets:
    host: "${HOST}"
log:
`
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CALLS": "300"}
	cfg, problems, _ := LoadConfig(path, func(k string) string { return env[k] })
	// base is not a Config key: the one decoding problem.
	if len(problems) < 1 || !strings.HasPrefix(problems[0], "base (line 1): unknown key") {
		t.Fatalf("problems %q", problems)
	}
	m := cfg.Meetings
	if m.EarlyJoin.D() != time.Minute || m.Grace.D() != 4*time.Minute || m.Reminders == nil || len(m.Reminders) != 0 {
		t.Errorf("merged meetings: %+v", m)
	}
	if cfg.RealtimeKit.Budget.Calls != 300 {
		t.Errorf("calls from ${CALLS}: %d", cfg.RealtimeKit.Budget.Calls)
	}
	if cfg.RealtimeKit.Presets.Host != "" {
		t.Errorf("unset ${HOST}: %q", cfg.RealtimeKit.Presets.Host)
	}
	if cfg.Log != DefaultConfig().Log {
		t.Errorf("empty log section: %+v", cfg.Log)
	}
}

// TestConfigAliasBombBounded: merges that stand for a billion sections
// are read once each (merging the same section twice adds nothing), and a
// file of more values than any config has is refused with one problem.
func TestConfigAliasBombBounded(t *testing.T) {
	// Each level merges the one below ten times: 10^9 sections.
	var b strings.Builder
	b.WriteString("meetings:\n  l0: &l0 {grace: 1m}\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d {<<: [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]}\n")
	}
	b.WriteString("  <<: *l9\n")
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, _ := LoadConfig(path, func(string) string { return "" })
	if cfg.Meetings.Grace.D() != time.Minute {
		t.Errorf("grace through ten merges: %s", cfg.Meetings.Grace.D())
	}

	got := decodeProblems(t, "meetings:\n  reminders: ["+strings.Repeat("0s, ", maxConfigNodes)+"0s]\n")
	if len(got) != 1 || !strings.Contains(got[0], "expands to more than") {
		t.Errorf("a list longer than any config: %d problems, first %.200q", len(got), got)
	}
	got = decodeProblems(t, "meetings: &m\n  <<: *m\n")
	if len(got) != 1 || !strings.Contains(got[0], "merges nest more than") {
		t.Errorf("a section merging itself: %q", got)
	}
}

// FuzzParseConfig: no file makes the parser panic or hang, and no problem
// is empty. Seeds: config.example.yaml and testdata/fuzz/FuzzParseConfig.
func FuzzParseConfig(f *testing.F) {
	for _, name := range []string{"../../config.example.yaml"} {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, problems := parseConfig(raw, "fuzz.yaml", func(string) string { return "v" })
		for _, p := range problems {
			if p == "" {
				t.Fatalf("empty problem in %q", problems)
			}
		}
	})
}
