package web_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
)

// TestLogsNeverHoldCodesOrTokens drives successful and failing join
// requests through the handler with every component logging at debug into
// one buffer, then checks that no join code (nor either half of one), no
// token (nor its signature) and no /j/ path appears anywhere, while the
// access lines still carry what operators need.
func TestLogsNeverHoldCodesOrTokens(t *testing.T) {
	// Tokens older than a minute are refreshed upstream, so an outage can
	// hit an open link.
	e := newEnv(t, envOpts{cfg: core.Config{TokenMaxAge: time.Minute}})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	short := e.schedule(ana, "Quick sync", t0.Add(time.Minute), time.Minute)
	anaPath, boPath, shortPath := e.join(ana, m.ID), e.join(bo, m.ID), e.join(ana, short.ID)
	secrets := []string{e.token(wsLocal, m.ID, "ana"), e.token(wsLocal, m.ID, "bo")}
	paths := []string{anaPath, boPath, shortPath}

	wantStatus(t, e.get(anaPath), http.StatusOK)
	wantStatus(t, e.do(http.MethodHead, boPath), http.StatusOK)
	wantStatus(t, e.get(anaPath[:len(anaPath)-3]+"AAA"), http.StatusForbidden)
	wantStatus(t, e.get("/j/"+strings.Repeat("x", 2000)), http.StatusBadRequest)
	wantStatus(t, e.do(http.MethodPost, anaPath), http.StatusMethodNotAllowed)
	wantStatus(t, e.do(http.MethodGet, boPath, "User-Agent", "Slackbot 1.0"), http.StatusOK)
	wantStatus(t, e.get(anaPath+"/"), http.StatusOK)

	e.clock.Advance(2 * time.Minute)
	e.sb.AddFault(sandbox.Fault{Op: sandbox.OpRefreshToken, Status: http.StatusServiceUnavailable})
	wantStatus(t, e.get(boPath), http.StatusServiceUnavailable)
	e.sb.ClearFaults()
	wantStatus(t, e.get(boPath), http.StatusOK) // refreshed: a new token
	secrets = append(secrets, e.token(wsLocal, m.ID, "bo"))

	e.clock.Advance(5 * time.Minute)
	wantStatus(t, e.get(shortPath), http.StatusGone)
	e.clock.Advance(9 * time.Minute)
	wantStatus(t, e.get(anaPath), http.StatusGone) // expired

	fresh := e.join(bo, m.ID)
	paths = append(paths, fresh)
	secrets = append(secrets, e.token(wsLocal, m.ID, "bo"))
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.get(fresh), http.StatusInternalServerError)

	logs := e.logs.String()
	for _, p := range paths {
		code := strings.TrimPrefix(p, "/j/")
		payload, sig, _ := strings.Cut(code, ".")
		for _, s := range []string{code, payload, sig, p} {
			if strings.Contains(logs, s) {
				t.Errorf("logs contain a join code or part of one: %q", s)
			}
		}
	}
	for _, tok := range secrets {
		parts := strings.Split(tok, ".")
		for _, s := range []string{tok, parts[1], parts[2]} {
			if strings.Contains(logs, s) {
				t.Errorf("logs contain a token or part of one")
			}
		}
	}
	if regexp.MustCompile(`/j/[^{"\s]`).MatchString(logs) {
		t.Error("logs contain a /j/ path")
	}

	var access int
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Text())
		}
		if line["message"] != "http request" {
			continue
		}
		access++
		for _, k := range []string{"method", "route", "status", "duration", "request_id"} {
			if _, ok := line[k]; !ok {
				t.Errorf("access line lacks %q: %s", k, sc.Text())
			}
		}
	}
	if access < 10 {
		t.Errorf("%d access lines, want one per request", access)
	}
	if !strings.Contains(logs, `"route":"/j/{code}"`) {
		t.Error("access log does not name the join route")
	}
}
