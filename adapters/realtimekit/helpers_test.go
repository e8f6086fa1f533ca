package realtimekit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

const apiToken = "cf-api-token-SECRET-123"

// logBuffer collects log output from several goroutines.
type logBuffer = testenv.SyncBuffer

type env struct {
	t      *testing.T
	client *realtimekit.Client
	srv    *sandbox.Server
	logs   *logBuffer
	url    string
}

// setup starts a sandbox behind httptest and a Client that talks to it
// through the SDK. cfg's zero fields get test values; both the client and
// the sandbox log at debug level into env.logs.
func setup(t *testing.T, cfg realtimekit.Config, opts sandbox.Options) *env {
	t.Helper()
	logs := &logBuffer{}
	logger := zerolog.New(logs).Level(zerolog.DebugLevel)
	opts.Logger = logger
	if opts.APIToken == "" {
		opts.APIToken = apiToken
	}
	srv := sandbox.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	if cfg.BaseURL == "" {
		cfg.BaseURL = ts.URL + "/client/v4/"
	}
	cfg.AccountID, cfg.AppID = "acc-1", "app-1"
	if cfg.APIToken == "" {
		cfg.APIToken = apiToken
	}
	c, err := realtimekit.New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, client: c, srv: srv, logs: logs, url: ts.URL}
}

// setupBubble is setup for tests inside a testing/synctest bubble, about
// waits and deadlines: the client reaches the sandbox through an
// in-process transport, since a goroutine blocked on a socket would never
// let the bubble's fake time move. There a Retry-After of a minute or a
// hung upstream costs no real time, and elapsed time is exact.
func setupBubble(t *testing.T, cfg realtimekit.Config, opts sandbox.Options) *env {
	t.Helper()
	logs := &logBuffer{}
	logger := zerolog.New(logs).Level(zerolog.DebugLevel)
	opts.Logger = logger
	if opts.APIToken == "" {
		opts.APIToken = apiToken
	}
	srv := sandbox.New(opts)
	cfg.BaseURL = testenv.SandboxURL + "/client/v4/"
	cfg.HTTPClient = &http.Client{Transport: testenv.HandlerTransport{Handler: srv}}
	cfg.AccountID, cfg.AppID = "acc-1", "app-1"
	if cfg.APIToken == "" {
		cfg.APIToken = apiToken
	}
	c, err := realtimekit.New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, client: c, srv: srv, logs: logs, url: testenv.SandboxURL}
}

// wantCode fails the test unless err carries code; it returns the *core.Error.
func wantCode(t *testing.T, err error, code core.Code) *core.Error {
	t.Helper()
	if got := core.ErrorCode(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
	e, _ := core.AsError(err)
	return e
}

func (e *env) room(status core.RoomStatus) core.Room {
	e.t.Helper()
	r, err := e.client.CreateRoom(e.t.Context(), core.CreateRoomRequest{Title: "Standup", Tag: "tag-" + e.t.Name(), Status: status})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func (e *env) participant(roomID, custom string) core.RemoteParticipant {
	e.t.Helper()
	p, err := e.client.AddParticipant(e.t.Context(), roomID, core.AddParticipantRequest{
		CustomID: custom, Name: "Mary", Preset: "group_call_participant"})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func background(ctx context.Context) context.Context {
	return core.WithPriority(ctx, core.PriorityBackground)
}

// within fails the test if fn takes longer than limit, and returns fn's error.
// Each limit is far above a normal run and well below the wait it guards
// against (a Retry-After, a hung upstream), so only the bug fails it, not a
// slow machine.
func within(t *testing.T, limit time.Duration, fn func() error) error {
	t.Helper()
	start := time.Now()
	err := fn()
	if el := time.Since(start); el > limit {
		t.Fatalf("took %v, limit %v", el, limit)
	}
	return err
}
