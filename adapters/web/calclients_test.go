package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// calClientsDir holds the calendar parsers these tests run (package.json and
// package-lock.json pin them; .ci/run installs them with npm ci).
const calClientsDir = "testdata/calclients"

// needNode returns the path of node. When node (or a file in need) is
// missing it skips the test with hint, and fails it instead under CI=true,
// where .ci/run has installed what the tests run.
func needNode(t *testing.T, hint string, need ...string) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatal(what + hint)
		}
		t.Skip(what + hint)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH (Node.js 20 or later runs this test)")
	}
	for _, f := range need {
		if _, err := os.Stat(f); err != nil {
			missing(f + " is missing")
		}
	}
	return node
}

// calendarClients returns a function that expands an .ics file with
// ical.js and ts-ics (testdata/calclients/expand.mjs) and returns each
// parser's occurrence starts in [from, to), failing the t it is given. One node process, started here
// and stopped when t and its subtests end, answers every file (a node
// start-up costs more than an expansion); the function may be called from
// parallel subtests, which take turns. It skips the test when node or the
// packages are missing, and fails instead under CI=true.
func calendarClients(t *testing.T) func(t *testing.T, body string, from, to time.Time) map[string][]time.Time {
	t.Helper()
	var need []string
	for _, pkg := range []string{"ical.js", "ts-ics"} {
		need = append(need, filepath.Join(calClientsDir, "node_modules", pkg, "package.json"))
	}
	node := needNode(t, "; install the parsers with: npm ci --prefix adapters/web/"+calClientsDir, need...)
	cmd := exec.Command(node, "expand.mjs", "--lines")
	cmd.Dir = calClientsDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start expand.mjs: %v", err)
	}
	t.Cleanup(func() {
		_ = in.Close() // expand.mjs ends at the end of its input
		if err := cmd.Wait(); err != nil {
			t.Errorf("expand.mjs: %v\n%s", err, stderr.String())
		}
	})
	out := bufio.NewReader(outPipe)
	var mu sync.Mutex
	return func(t *testing.T, body string, from, to time.Time) map[string][]time.Time {
		t.Helper()
		req, err := json.Marshal(map[string]string{"from": from.UTC().Format(time.RFC3339), "to": to.UTC().Format(time.RFC3339), "ics": body})
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		_, err = in.Write(append(req, '\n'))
		var line []byte
		if err == nil {
			line, err = out.ReadBytes('\n')
		}
		mu.Unlock()
		if err != nil {
			t.Fatalf("expand.mjs: %v\n%s", err, stderr.String())
		}
		var raw struct {
			Icaljs, Tsics []string
			Error         string
		}
		if err := json.Unmarshal(line, &raw); err != nil {
			t.Fatalf("expand.mjs printed %q: %v", line, err)
		}
		if raw.Error != "" {
			t.Fatalf("expand.mjs: %s\nfile:\n%s", raw.Error, body)
		}
		got := map[string][]time.Time{"icaljs": nil, "tsics": nil} // an empty answer is compared too
		for parser, list := range map[string][]string{"icaljs": raw.Icaljs, "tsics": raw.Tsics} {
			for _, s := range list {
				at, err := time.Parse(time.RFC3339, s)
				if err != nil {
					t.Fatalf("%s: bad instant %q", parser, s)
				}
				got[parser] = append(got[parser], at)
			}
		}
		return got
	}
}

// TestCalendarClientsAgreeWithCore downloads the .ics of weekly series
// that cross several DST changes, in zones north and south of the equator
// and with a half-hour offset, and has ical.js and ts-ics expand it: both
// must give exactly core's occurrence starts, after a skip and a move too.
// The New York case is the one ical.js misread when an observance listed
// its onsets as DTSTART plus RDATE: the first occurrences (before the 2027
// spring change) came out as if their local times were UTC.
func TestCalendarClientsAgreeWithCore(t *testing.T) {
	expand := calendarClients(t)
	for _, c := range []struct {
		zone  string
		start [5]int // year, month, day, hour, minute (local)
		rule  string
	}{
		{"America/New_York", [5]int{2027, 3, 12, 2, 30}, "FREQ=WEEKLY;BYDAY=FR"},
		{"Europe/Berlin", [5]int{2027, 3, 22, 9, 0}, "FREQ=WEEKLY;BYDAY=MO"},
		{"America/St_Johns", [5]int{2027, 3, 9, 10, 0}, "FREQ=WEEKLY;BYDAY=TU"},
		{"Australia/Sydney", [5]int{2027, 3, 31, 9, 0}, "FREQ=WEEKLY;BYDAY=WE"},
		{"Europe/Berlin", [5]int{2026, 12, 1, 18, 0}, "FREQ=MONTHLY;BYMONTHDAY=1;UNTIL=20281231"},
		{"Australia/Lord_Howe", [5]int{2027, 3, 30, 9, 0}, "FREQ=WEEKLY;BYDAY=TU"},
		// No yearly rule (Ramadan breaks): every change is listed.
		{"Africa/Casablanca", [5]int{2027, 1, 6, 11, 0}, "FREQ=WEEKLY;BYDAY=WE"},
	} {
		freq, _, _ := strings.Cut(strings.TrimPrefix(c.rule, "FREQ="), ";")
		t.Run(strings.ReplaceAll(c.zone, "/", "_")+"_"+freq, func(t *testing.T) {
			// Each case has its own service and store; in parallel, one
			// case's service work overlaps another's expansion.
			t.Parallel()
			e := newEnv(t, envOpts{})
			loc := testenv.MustZone(c.zone)
			s := c.start
			start := time.Date(s[0], time.Month(s[1]), s[2], s[3], s[4], 0, 0, loc)
			m, err := e.svc.Schedule(context.Background(), ana, core.ScheduleRequest{
				Title: "Sync", Start: start, Duration: 45 * time.Minute, TimeZone: c.zone, Recurrence: c.rule,
			})
			if err != nil {
				t.Fatal(err)
			}
			from, to := start.Add(-time.Hour), start.AddDate(2, 1, 0)
			check := func(when string) {
				t.Helper()
				want := e.meeting(m).OccurrencesBetween(from, to, 0)
				if len(want) < 12 {
					t.Fatalf("core gives only %d occurrences", len(want))
				}
				_, r := e.fetchCalendar(t, m)
				for parser, got := range expand(t, r.body, from, to) {
					if !sameStarts(got, want) {
						t.Errorf("%s, %s: starts differ from core's\n%s\nfile:\n%s", when, parser, diffStarts(got, want, loc), r.body)
					}
				}
			}
			check("as scheduled")

			// Skip an occurrence after the first change and move the next
			// one (the first) by a day and a half.
			occs := e.meeting(m).OccurrencesBetween(from, to, 0)
			skip := occs[6].Start.In(loc)
			if _, _, err := e.svc.Skip(context.Background(), ana, m.ID, time.Date(skip.Year(), skip.Month(), skip.Day(), 0, 0, 0, 0, loc)); err != nil {
				t.Fatalf("skip: %v", err)
			}
			if _, _, err := e.svc.Move(context.Background(), ana, m.ID, occs[0].Start.Add(36*time.Hour), false); err != nil {
				t.Fatalf("move: %v", err)
			}
			check("after a skip and a move")
		})
	}
}

func sameStarts(got []time.Time, want []core.Occurrence) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !got[i].Equal(want[i].Start) {
			return false
		}
	}
	return true
}

// diffStarts lists the starts only one side has, UTC and local.
func diffStarts(got []time.Time, want []core.Occurrence, loc *time.Location) string {
	var b strings.Builder
	show := func(side string, at time.Time) {
		b.WriteString(side + at.UTC().Format(time.RFC3339) + " (" + at.In(loc).Format("Mon Jan 2 2006 15:04 MST") + ")\n")
	}
	core := map[int64]bool{}
	for _, o := range want {
		core[o.Start.Unix()] = true
	}
	parser := map[int64]bool{}
	for _, g := range got {
		parser[g.Unix()] = true
		if !core[g.Unix()] {
			show("  only the parser: ", g)
		}
	}
	for _, o := range want {
		if !parser[o.Start.Unix()] {
			show("  only core:       ", o.Start)
		}
	}
	return b.String()
}
