package install_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/slack/install"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestInstallPagesRefuseFraming: every page of the install flow (the
// redirect, refusals, success, the rate-limit page) forbids framing with
// CSP frame-ancestors 'none' and X-Frame-Options DENY.
func TestInstallPagesRefuseFraming(t *testing.T) {
	e := newEnv(t)
	check := func(what string, rec *httptest.ResponseRecorder) {
		t.Helper()
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || rec.Header().Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s (%d): CSP %q, X-Frame-Options %q", what, rec.Code, csp, rec.Header().Get("X-Frame-Options"))
		}
	}
	check("install redirect", e.serve(httptest.NewRequest("GET", install.InstallPath, nil)))
	check("forged state", e.callback(url.Values{"code": {"c"}, "state": {"forged"}}, nil))
	check("cancelled", e.callback(url.Values{"error": {"access_denied"}}, nil))
	state, c := e.startInstall()
	rec := e.callback(url.Values{"code": {"c"}, "state": {state}}, c)
	if rec.Code != http.StatusOK {
		t.Fatalf("callback: %d", rec.Code)
	}
	check("success", rec)
	var last *httptest.ResponseRecorder
	for range 2 * install.DefaultInstallBurst {
		last = e.serve(httptest.NewRequest("GET", install.InstallPath, nil))
	}
	if last.Code != http.StatusTooManyRequests {
		t.Fatalf("no 429 after %d starts: %d", 2*install.DefaultInstallBurst, last.Code)
	}
	check("rate limited", last)
}

// TestStaticTokenUninstallSaysSo: with slack.bot_token configured an
// uninstall event forgets nothing, so the log must not say "token
// forgotten"; it says the configured token must be removed.
func TestStaticTokenUninstallSaysSo(t *testing.T) {
	e := newEnv(t)
	logs := &testenv.SyncBuffer{}
	tok, err := install.NewTokens(install.TokensOptions{BotToken: botToken, Team: team})
	if err != nil {
		t.Fatal(err)
	}
	h, err := install.New(install.Options{Tokens: tok, Once: e.db, SigningSecret: signingSecret, Now: e.clock.Now, Logger: zerolog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.HandleEvent(context.Background(), []byte(uninstallEvent(team, "Ev0LOG"))); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if strings.Contains(out, "forgotten") || !strings.Contains(out, "slack.bot_token") {
		t.Fatalf("log after an uninstall with a static token: %s", out)
	}
	if strings.Contains(out, botToken) {
		t.Fatal("the token reached the log")
	}
}
