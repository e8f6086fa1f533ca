package slack_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/slack"
	"github.com/meetbot/meetbot/internal/testenv"
)

// FuzzSignedForm sends arbitrary bodies, correctly signed, to both routes,
// and the same bodies with one byte changed after signing. Seeds are in
// testdata/fuzz/FuzzSignedForm. A signed body may only get 200, 400 or
// 413, and a 200 with a body must be a JSON message; an altered one must
// always be refused.
func FuzzSignedForm(f *testing.F) {
	env := testenv.New(f, testenv.Options{NoSync: true})
	a := slack.New(slack.Options{
		Service:         env.Service,
		SigningSecret:   secret,
		Logger:          zerolog.Nop(),
		ResponseURLBase: "http://127.0.0.1:1/", // nothing listens: posts fail fast
	})
	f.Cleanup(a.Wait)
	routes := a.Routes()
	f.Fuzz(func(t *testing.T, body []byte, interaction bool) {
		h := routes["POST /slack/commands"]
		path := "/slack/commands"
		if interaction {
			h, path = routes["POST /slack/interactions"], "/slack/interactions"
		}
		send := func(b []byte, sig string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			ts := strconv.FormatInt(time.Now().Unix(), 10)
			req.Header.Set(slack.HeaderTimestamp, ts)
			if sig == "" {
				sig = slack.Sign(secret, ts, b)
			}
			req.Header.Set(slack.HeaderSignature, sig)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec
		}
		rec := send(body, "")
		switch rec.Code {
		case http.StatusOK:
			if out := rec.Body.Bytes(); len(out) > 0 {
				var m map[string]any
				if err := json.Unmarshal(out, &m); err != nil {
					t.Fatalf("200 with a body that is not JSON: %q", out)
				}
				if m["response_type"] == "in_channel" && strings.Contains(string(out), "/j/") {
					t.Fatalf("in_channel reply with a link: %s", out)
				}
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("signed body got %d", rec.Code)
		}
		a.Wait()
		if len(body) == 0 {
			return
		}
		// Sign the original, send it with one byte changed.
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		altered := bytes.Clone(body)
		altered[len(altered)/2] ^= 0x01
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(altered))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(slack.HeaderTimestamp, ts)
		req.Header.Set(slack.HeaderSignature, slack.Sign(secret, ts, body))
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("altered body got %d", rec.Code)
		}
	})
}
