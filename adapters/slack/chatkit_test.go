package slack_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/meetbot/meetbot/adapters/chatkit"
	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/internal/closedstore"
)

// TestResponseURLBaseFollowsAPIHost: response_urls are accepted on the
// hooks host beside the configured Web API host, so a GovSlack install
// (slack-gov.com) answers slow commands through hooks.slack-gov.com.
func TestResponseURLBaseFollowsAPIHost(t *testing.T) {
	for api, want := range map[string]string{
		slack.DefaultAPIURL:               slack.DefaultResponseURLBase,
		"https://slack-gov.com/api/":      "https://hooks.slack-gov.com/",
		"https://slack.example:8443/api/": "https://hooks.slack.example:8443/",
		"http://127.0.0.1:4242/api/":      "http://127.0.0.1:4242/",
		"http://localhost:9/":             "http://localhost:9/",
		"::not a url":                     slack.DefaultResponseURLBase,
	} {
		if got := slack.ResponseURLBaseFor(api); got != want {
			t.Errorf("ResponseURLBaseFor(%q) = %q, want %q", api, got, want)
		}
	}
}

// TestStoreDownRefusesCommand: when the delivery store cannot record a
// command, it is not run (it may have run on another replica) and the
// person is told in plain words to try again; nothing is stored.
func TestStoreDownRefusesCommand(t *testing.T) {
	t.Parallel()
	down := closedstore.New(t)
	h := newHarness(t, func(o *slack.Options) { o.Store = down })
	code, r := h.command(t, "U1", "schedule Review tomorrow 3pm")
	h.adapter.Wait()
	if code != http.StatusOK || r.ResponseType != "ephemeral" || r.Text != chatkit.NotRecorded {
		t.Fatalf("ack: %d %s", code, r.raw)
	}
	if len(h.meetings(t)) != 0 || len(h.hooks.Posts()) != 0 {
		t.Fatal("a command the store could not record ran")
	}
	if !strings.Contains(h.env.Logs.String(), "could not record a slack delivery") {
		t.Fatalf("no log line:\n%s", h.env.Logs.String())
	}
}

// TestDrainRefusesNewCommands: once shutdown drains the adapter, a new
// command is answered "restarting" and not run.
func TestDrainRefusesNewCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	if err := h.adapter.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, r := h.command(t, "U1", "schedule Review tomorrow 3pm")
	if r.ResponseType != "ephemeral" || r.Text != chatkit.Restarting || len(h.meetings(t)) != 0 {
		t.Fatalf("ack %s", r.raw)
	}
}
