package install_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/slack/install"
	"github.com/meetbot/meetbot/core"
)

// flakyDelete is the bbolt store whose next DeleteInstallation fails.
type flakyDelete struct {
	core.InstallStore
	fail atomic.Int32
}

func (f *flakyDelete) DeleteInstallation(ctx context.Context, ws core.WorkspaceKey) error {
	if f.fail.Add(-1) >= 0 {
		return errors.New("disk full")
	}
	return f.InstallStore.DeleteInstallation(ctx, ws)
}

// TestEventsUninstallRetriedAfterStoreFailure: the store fails to delete
// the token on the first delivery of app_uninstalled, so Slack is answered
// 500 and retries; the retry must delete the token, not be skipped as
// "already handled".
func TestEventsUninstallRetriedAfterStoreFailure(t *testing.T) {
	e := newEnv(t)
	e.installed()
	store := &flakyDelete{InstallStore: e.db}
	store.fail.Store(1)
	tokens, err := install.NewTokens(install.TokensOptions{Store: store, Box: e.box, PublicURL: publicURL, Now: e.clock.Now, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	h, err := install.New(install.Options{Tokens: tokens, Once: e.db, SigningSecret: signingSecret, Now: e.clock.Now, Logger: zerolog.New(e.logs)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h.Register(mux.Handle)
	// The uninstall happens after the install, as in real life.
	body := `{"token":"XXYYZZ","team_id":"` + team + `","api_app_id":"A0APP","event":{"type":"app_uninstalled"},` +
		`"type":"event_callback","event_id":"Ev0FLAKY","event_time":` + itoa(e.clock.Now().Unix()+5) + `}`
	if rec := httptestRecorder(mux, e.signedEvent(body, 0)); rec.Code != http.StatusInternalServerError {
		t.Fatalf("first delivery with a failing store: %d", rec.Code)
	}
	if !e.hasInstall(team) {
		t.Fatal("the failing store deleted the token anyway")
	}
	retry := e.signedEvent(body, 0)
	retry.Header.Set("X-Slack-Retry-Num", "1")
	if rec := httptestRecorder(mux, retry); rec.Code != http.StatusOK {
		t.Fatalf("retry: %d", rec.Code)
	}
	if e.hasInstall(team) {
		t.Fatal("the retry of a failed uninstall left the token stored")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
