package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/adapters/web"
)

// TestWebhooksMounted: Options.Webhooks is served at POST
// /realtimekit/webhooks behind the access log, other methods there get 405
// with Allow, and without it the path is a 404 like any unknown one.
func TestWebhooksMounted(t *testing.T) {
	var got int
	hook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got++
		w.WriteHeader(http.StatusAccepted)
	})
	h := web.New(web.Options{Logger: zerolog.Nop(), Webhooks: hook})
	do := func(h http.Handler, method string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, web.WebhooksPath, strings.NewReader("{}")))
		return rec
	}
	if rec := do(h, http.MethodPost); rec.Code != http.StatusAccepted || got != 1 {
		t.Fatalf("POST: %d (handler ran %d times)", rec.Code, got)
	}
	if rec := do(h, http.MethodGet); rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "POST" || got != 1 {
		t.Fatalf("GET: %d Allow %q", rec.Code, rec.Header().Get("Allow"))
	}
	if rec := do(web.New(web.Options{Logger: zerolog.Nop()}), http.MethodPost); rec.Code != http.StatusNotFound {
		t.Fatalf("without Webhooks: %d", rec.Code)
	}
}

// TestSandboxPageLinksToRoom: the sandbox join page links to the
// sandbox's room page for this participant, where Enter and Leave send
// the webhooks, and still never shows the token.
func TestSandboxPageLinksToRoom(t *testing.T) {
	e := newEnv(t, envOpts{sandbox: true})
	m := e.schedule(ana, "Design review", t0.Add(2*time.Minute), 45*time.Minute)
	path := e.join(ana, m.ID)
	tok := e.token(wsLocal, m.ID, "ana")
	claims, err := sandbox.DecodeToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	r := e.get(path)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, `href="/sandbox/rtk/room?meeting=`+claims.MeetingID+`&amp;participant=`+claims.ParticipantID+`"`, "Enter the sandbox room as Ana")
	wantNotInBody(t, r, tok)
}
