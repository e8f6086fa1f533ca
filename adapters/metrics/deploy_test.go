package metrics_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/meetbot/meetbot/adapters/metrics"
	"github.com/meetbot/meetbot/core"
)

// registered returns every metric family the bot registers, with its
// label names: a Metrics with every optional gauge, each vector family
// observed once so it has a series to show.
func registered(t *testing.T) map[string][]string {
	t.Helper()
	m := metrics.New(metrics.Options{
		Leading:     func() bool { return true },
		BudgetLeft:  func(core.Priority) int { return 1 },
		PendingJobs: func() map[core.JobKind]int { return nil },
	})
	m.CommandDone(core.PlatformSlack, "list", "ok", time.Millisecond)
	m.JoinOpened(core.JoinIssued, time.Millisecond)
	m.ConferenceCall("kick", "200", time.Millisecond)
	m.JobRun(core.JobClose, "done", time.Second)
	m.NotifierPost(core.PlatformSlack, "reminder", "ok")
	m.WebhookEvent("meeting.ended", "accepted")
	m.HTTPRequest("/healthz", 200, time.Millisecond)
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string][]string{}
	for _, f := range fams {
		var labels []string
		seen := map[string]bool{}
		for _, s := range f.GetMetric() {
			for _, lp := range s.GetLabel() {
				if !seen[lp.GetName()] {
					seen[lp.GetName()] = true
					labels = append(labels, lp.GetName())
				}
			}
		}
		names[f.GetName()] = labels
	}
	for n, l := range synthetic {
		names[n] = l
	}
	return names
}

// ruleFile is the structure promtool accepts; decoding with KnownFields
// refuses any key it does not have.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

var (
	ruleNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	recordRe   = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	// templateRe finds Go template actions in annotations.
	templateRe = regexp.MustCompile(`\{\{.*?\}\}`)
)

// TestAlertRules checks deploy/prometheus/meetbot-rules.yml the way
// promtool check rules would: the file's structure, unique group and
// alert names, durations, a severity and a summary and description on
// every alert, balanced templates, and every expression against the
// metrics the bot registers.
func TestAlertRules(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "prometheus", "meetbot-rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("rules file: %v", err)
	}
	names := registered(t)
	groups, alerts := map[string]bool{}, map[string]bool{}
	used := map[string]bool{}
	n := 0
	for _, g := range rf.Groups {
		if g.Name == "" || groups[g.Name] {
			t.Errorf("group name %q empty or repeated", g.Name)
		}
		groups[g.Name] = true
		if g.Interval != "" && !durationRe.MatchString(g.Interval) {
			t.Errorf("group %s: interval %q", g.Name, g.Interval)
		}
		if len(g.Rules) == 0 {
			t.Errorf("group %s has no rules", g.Name)
		}
		for _, r := range g.Rules {
			n++
			name := r.Alert + r.Record
			switch {
			case (r.Alert == "") == (r.Record == ""):
				t.Errorf("group %s: a rule needs exactly one of alert and record (%q, %q)", g.Name, r.Alert, r.Record)
			case r.Alert != "" && !ruleNameRe.MatchString(r.Alert), r.Record != "" && !recordRe.MatchString(r.Record):
				t.Errorf("rule name %q is not valid", name)
			}
			if r.Alert != "" {
				if alerts[r.Alert] {
					t.Errorf("alert %s defined twice", r.Alert)
				}
				alerts[r.Alert] = true
				if sev := r.Labels["severity"]; sev != "page" && sev != "ticket" {
					t.Errorf("alert %s: severity %q, want page or ticket", r.Alert, sev)
				}
				for _, k := range []string{"summary", "description"} {
					if strings.TrimSpace(r.Annotations[k]) == "" {
						t.Errorf("alert %s has no %s", r.Alert, k)
					}
				}
				for k, v := range r.Annotations {
					if strings.Count(v, "{{") != strings.Count(v, "}}") || len(templateRe.FindAllString(v, -1)) != strings.Count(v, "{{") {
						t.Errorf("alert %s: annotation %s has unbalanced template braces", r.Alert, k)
					}
				}
			}
			if r.For != "" && !durationRe.MatchString(r.For) {
				t.Errorf("rule %s: for %q is not a Prometheus duration", name, r.For)
			}
			if strings.Contains(r.Expr, "$__") {
				t.Errorf("rule %s uses a Grafana variable", name)
			}
			for _, p := range checkPromQL(r.Expr, names) {
				t.Errorf("rule %s: %s\n%s", name, p, r.Expr)
			}
			for _, id := range metricRe.FindAllString(r.Expr, -1) {
				used[metricBase(id, names)] = true
			}
		}
	}
	if n < 10 {
		t.Errorf("%d rules; the file should cover every family an on-call engineer alerts on", n)
	}
	for _, fam := range []string{"meetbot_leader", "meetbot_join_opens_total", "meetbot_realtimekit_calls_total",
		"meetbot_scheduler_lag_seconds", "meetbot_notifier_posts_total", "meetbot_commands_total"} {
		if !used[fam] {
			t.Errorf("no alert uses %s", fam)
		}
	}
}

var metricRe = regexp.MustCompile(`\bmeetbot_[a-z_]+`)

// TestDashboard checks deploy/grafana/meetbot-dashboard.json: valid JSON,
// a title and uid, unique panel ids, and every query a valid expression
// over metric names the bot registers, with Grafana's range variables.
func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "grafana", "meetbot-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			ID      int    `json:"id"`
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("dashboard is not valid JSON: %v", err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("dashboard lacks a title, uid or panels")
	}
	names := registered(t)
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d repeated", p.ID)
		}
		ids[p.ID] = true
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			expr := strings.ReplaceAll(q.Expr, `"$instance"`, `".*"`)
			for _, prob := range checkPromQL(expr, names) {
				t.Errorf("panel %q %s: %s\n%s", p.Title, q.RefID, prob, q.Expr)
			}
			if q.Expr == "" {
				t.Errorf("panel %q has an empty query", p.Title)
			}
		}
	}
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(string); ok {
			for _, id := range metricRe.FindAllString(q, -1) {
				if _, ok := names[id]; !ok {
					t.Errorf("variable %s queries unknown metric %s", v.Name, id)
				}
			}
		}
	}
}

// TestPromQLCheckerFailsClosed: the checker catches the mistakes it is
// there for, so a passing TestAlertRules means something.
func TestPromQLCheckerFailsClosed(t *testing.T) {
	names := registered(t)
	good := []string{
		`sum by (le) (rate(meetbot_join_open_duration_seconds_bucket{outcome="issued"}[5m]))`,
		`sum(meetbot_leader{job="meetbot"}) < 1`,
		`histogram_quantile(0.9, sum by (le, kind) (rate(meetbot_scheduler_lag_seconds_bucket[10m]))) > 60`,
		`sum(rate(meetbot_commands_total[5m])) by (platform) / sum(rate(meetbot_commands_total[5m])) by (platform) > 0.1 and sum(rate(meetbot_commands_total[5m])) > 1`,
	}
	for _, e := range good {
		if p := checkPromQL(e, names); len(p) > 0 {
			t.Errorf("good expression refused: %v\n%s", p, e)
		}
	}
	bad := []string{
		`sum(rate(meetbot_join_opens_total[5m])`,          // unbalanced
		`sum(rate(meetbot_join_open_total[5m]))`,          // misspelt metric
		`rat(meetbot_join_opens_total[5m])`,               // unknown function
		`rate(meetbot_join_opens_total[5 m])`,             // bad range
		`rate(meetbot_join_opens_total{result="ok"}[5m])`, // no such label
		`meetbot_leader >`,                                // dangling operator
		`meetbot_leader{job="meetbot}`,                    // open string
	}
	for _, e := range bad {
		if p := checkPromQL(e, names); len(p) == 0 {
			t.Errorf("bad expression accepted: %s", e)
		}
	}
}
