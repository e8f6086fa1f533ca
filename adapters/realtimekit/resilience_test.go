package realtimekit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
)

func TestRateLimitPausesAllCalls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setupBubble(t, realtimekit.Config{CallTimeout: 20 * time.Second}, sandbox.Options{})
		e.srv.AddFault(sandbox.Fault{Op: sandbox.OpListPresets, Status: 429, RetryAfter: 30 * time.Second, Times: 1})
		err := within(t, 15*time.Second, func() error { _, err := e.client.ListPresets(t.Context()); return err })
		ce := wantCode(t, err, core.EUNAVAILABLE)
		if ce.RetryAfter != 30*time.Second || !strings.Contains(ce.Message, "try again in 30 s") {
			t.Fatalf("RetryAfter %v, message %q", ce.RetryAfter, ce.Message)
		}
		if n := e.srv.Calls(sandbox.OpListPresets); n != 1 {
			t.Fatalf("the 429 was retried: %d calls", n)
		}
		// Every other call now fails at once without reaching upstream: the
		// pause outlasts its 20 s deadline.
		before := e.srv.TotalCalls()
		err = within(t, 10*time.Second, func() error {
			_, err := e.client.CreateRoom(t.Context(), core.CreateRoomRequest{Title: "x", Tag: "t"})
			return err
		})
		if ce := wantCode(t, err, core.EUNAVAILABLE); ce.RetryAfter < 28*time.Second {
			t.Fatalf("RetryAfter %v during the pause", ce.RetryAfter)
		}
		if e.srv.TotalCalls() != before {
			t.Fatal("a call reached upstream during the pause")
		}
	})
}

func TestShortRateLimitPauseIsWaitedOut(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setupBubble(t, realtimekit.Config{}, sandbox.Options{})
		e.srv.AddFault(sandbox.Fault{Op: sandbox.OpListPresets, Status: 429, RetryAfter: time.Second, Times: 1})
		_, err := e.client.ListPresets(t.Context())
		wantCode(t, err, core.EUNAVAILABLE)
		start := time.Now()
		if _, err := e.client.ListPresets(t.Context()); err != nil {
			t.Fatal(err)
		}
		if el := time.Since(start); el < 900*time.Millisecond {
			t.Fatalf("next call went out after %v, before Retry-After passed", el)
		}
	})
}

func TestServerErrors(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setupBubble(t, realtimekit.Config{}, sandbox.Options{})

		// POSTs are never retried.
		e.srv.AddFault(sandbox.Fault{Op: sandbox.OpCreateMeeting, Status: 500})
		_, err := e.client.CreateRoom(t.Context(), core.CreateRoomRequest{Title: "x", Tag: "t"})
		wantCode(t, err, core.EUNAVAILABLE)
		if n := e.srv.Calls(sandbox.OpCreateMeeting); n != 1 {
			t.Fatalf("create sent %d times", n)
		}

		// A GET is retried once (MaxRetries 1) when the SDK's back-off fits the
		// deadline, and succeeds.
		e.srv.AddFault(sandbox.Fault{Op: sandbox.OpListPresets, Status: 503, Times: 1})
		if _, err := e.client.ListPresets(t.Context()); err != nil {
			t.Fatal(err)
		}
		if n := e.srv.Calls(sandbox.OpListPresets); n != 2 {
			t.Fatalf("list presets sent %d times, want 2", n)
		}
	})
}

func TestServerErrorFailsFastWhenRetryWouldOutlastDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setupBubble(t, realtimekit.Config{CallTimeout: 20 * time.Second}, sandbox.Options{})
		e.srv.AddFault(sandbox.Fault{Op: sandbox.OpListPresets, Status: 503, RetryAfter: time.Minute})
		err := within(t, 10*time.Second, func() error { _, err := e.client.ListPresets(t.Context()); return err })
		if ce := wantCode(t, err, core.EUNAVAILABLE); ce.RetryAfter != time.Minute {
			t.Fatalf("RetryAfter %v", ce.RetryAfter)
		}
		if n := e.srv.Calls(sandbox.OpListPresets); n != 1 {
			t.Fatalf("sent %d times", n)
		}
	})
}

func TestSlowUpstreamHitsCallTimeout(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setupBubble(t, realtimekit.Config{CallTimeout: 300 * time.Millisecond}, sandbox.Options{})
		e.srv.SetLatency(2 * time.Minute)
		err := within(t, 30*time.Second, func() error {
			_, err := e.client.AddParticipant(t.Context(), "00000000-0000-4000-8000-000000000000",
				core.AddParticipantRequest{CustomID: "u", Name: "n", Preset: "p"})
			return err
		})
		wantCode(t, err, core.EUNAVAILABLE)

		// A caller's shorter deadline wins over CallTimeout.
		e2 := setupBubble(t, realtimekit.Config{CallTimeout: time.Minute}, sandbox.Options{})
		e2.srv.SetLatency(2 * time.Minute)
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		err = within(t, 30*time.Second, func() error { return e2.client.KickAll(ctx, "00000000-0000-4000-8000-000000000000") })
		wantCode(t, err, core.EUNAVAILABLE)
	})
}

func TestBudgetRefusesBeyondLimit(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := setupBubble(t, realtimekit.Config{Budget: 20, BudgetWindow: time.Hour}, sandbox.Options{})
		for i := range 20 {
			if _, err := e.client.ListPresets(t.Context()); err != nil {
				t.Fatalf("call %d: %v", i+1, err)
			}
		}
		err := within(t, 30*time.Second, func() error { _, err := e.client.ListPresets(t.Context()); return err })
		ce := wantCode(t, err, core.EUNAVAILABLE)
		if ce.RetryAfter < 59*time.Minute || !strings.Contains(ce.Message, "60 min") {
			t.Fatalf("RetryAfter %v, message %q", ce.RetryAfter, ce.Message)
		}
		if n := e.srv.TotalCalls(); n != 20 {
			t.Fatalf("sandbox saw %d calls, want 20", n)
		}
	})
}

func TestBudgetKeepsReserveFromBackground(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// 20 calls an hour, 25 % reserved: background work gets 15.
		e := setupBubble(t, realtimekit.Config{Budget: 20, BudgetWindow: time.Hour}, sandbox.Options{})
		bg := background(t.Context())
		for i := range 15 {
			if _, err := e.client.ListPresets(bg); err != nil {
				t.Fatalf("background call %d: %v", i+1, err)
			}
		}
		err := within(t, 200*time.Millisecond, func() error { _, err := e.client.ListPresets(bg); return err })
		wantCode(t, err, core.EUNAVAILABLE)
		for i := range 5 {
			if _, err := e.client.ListPresets(t.Context()); err != nil {
				t.Fatalf("interactive call %d within the reserve: %v", i+1, err)
			}
		}
		_, err = e.client.ListPresets(t.Context())
		wantCode(t, err, core.EUNAVAILABLE)
		if n := e.srv.TotalCalls(); n != 20 {
			t.Fatalf("sandbox saw %d calls, want 20", n)
		}
	})
}

func TestBudgetBackgroundWaitsForSlot(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// 4 calls per 300 ms, half reserved: the third background call waits
		// for the window to slide instead of failing.
		e := setupBubble(t, realtimekit.Config{Budget: 4, BudgetWindow: 300 * time.Millisecond, BackgroundReserve: 0.5}, sandbox.Options{})
		bg := background(t.Context())
		start := time.Now()
		for i := range 3 {
			if _, err := e.client.ListPresets(bg); err != nil {
				t.Fatalf("background call %d: %v", i+1, err)
			}
		}
		if el := time.Since(start); el < 250*time.Millisecond {
			t.Fatalf("third background call went out after %v; the reserve was used", el)
		}
	})
}

func TestTokensNeverLogged(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	r := e.room(core.RoomActive)
	p := e.participant(r.ID, "u1")
	dup := e.participant(r.ID, "u1")
	tok, err := e.client.RefreshToken(t.Context(), r.ID, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.srv.AddFault(sandbox.Fault{Op: sandbox.OpAddParticipant, Status: 503, AfterApply: true, Times: 1})
	_, _ = e.client.AddParticipant(t.Context(), r.ID, core.AddParticipantRequest{CustomID: "u2", Name: "B", Preset: "group_call_host"})
	late := e.participant(r.ID, "u2")
	_ = e.client.RemoveParticipant(t.Context(), r.ID, p.ID)

	logs := e.logs.String()
	if !strings.Contains(logs, "realtimekit call") {
		t.Fatal("no call was logged; the test would prove nothing")
	}
	for _, secret := range []string{p.Token, dup.Token, tok, late.Token, apiToken} {
		if secret == "" {
			t.Fatal("empty secret")
		}
		if strings.Contains(logs, secret) {
			t.Fatalf("a token appears in the logs")
		}
		// A JWT's signature is its most specific part; check it alone too.
		if i := strings.LastIndexByte(secret, '.'); i > 0 && strings.Contains(logs, secret[i+1:]) {
			t.Fatalf("a token signature appears in the logs")
		}
	}
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	e := setup(t, realtimekit.Config{APIToken: "wrong"}, sandbox.Options{})
	err := e.client.CheckPresets(t.Context(), "group_call_host")
	ce := wantCode(t, err, core.EINTERNAL)
	if !strings.Contains(ce.Message, "API token") {
		t.Fatalf("message %q", ce.Message)
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, cfg := range []realtimekit.Config{
		{},
		{AccountID: "a", AppID: "b"},
		{AccountID: "a", AppID: "b", APIToken: "t", Budget: -1},
		{AccountID: "a", AppID: "b", APIToken: "t", BackgroundReserve: 1},
		{AccountID: "a", AppID: "b", APIToken: "t", Budget: 1}, // 75 % of 1 call leaves none
	} {
		if _, err := realtimekit.New(cfg, zerolog.Nop()); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// Answers that are not RealtimeKit's: a proxy's HTML error page, the usual
// Cloudflare v4 envelope, and a closed port.
func TestForeignAnswers(t *testing.T) {
	t.Parallel()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/presets") {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true,"errors":[],"messages":[],"result":{"id":"x"}}`))
	})
	ts := httptest.NewServer(handler)
	defer ts.Close()
	c, err := realtimekit.New(realtimekit.Config{BaseURL: ts.URL, AccountID: "a", AppID: "b", APIToken: "t", CallTimeout: time.Second}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListPresets(t.Context())
	wantCode(t, err, core.EUNAVAILABLE)
	_, err = c.CreateRoom(t.Context(), core.CreateRoomRequest{Title: "x", Tag: "t"})
	wantCode(t, err, core.EINTERNAL)

	closed := httptest.NewServer(handler)
	closed.Close()
	c, err = realtimekit.New(realtimekit.Config{BaseURL: closed.URL, AccountID: "a", AppID: "b", APIToken: "t", CallTimeout: time.Second}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	err = within(t, 500*time.Millisecond, func() error { _, err := c.ListPresets(t.Context()); return err })
	wantCode(t, err, core.EUNAVAILABLE)
}
