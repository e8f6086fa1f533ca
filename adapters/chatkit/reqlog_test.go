package chatkit

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/rs/zerolog/hlog"
)

// TestRequestLoggerCarriesTheRequestID: inside a request that went
// through the request-id middleware, an adapter's own logger gains the
// id that the response's X-Request-Id header shows; outside one (a socket
// delivery) it is left as it is.
func TestRequestLoggerCarriesTheRequestID(t *testing.T) {
	var out bytes.Buffer
	log := zerolog.New(&out)
	h := hlog.RequestIDHandler("request_id", "X-Request-Id")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := RequestLogger(r.Context(), log)
		l.Info().Msg("command failed")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/slack/commands", nil))
	id := rec.Header().Get("X-Request-Id")
	if id == "" || !strings.Contains(out.String(), `"request_id":"`+id+`"`) {
		t.Fatalf("header %q, line %s", id, out.String())
	}
	out.Reset()
	l := RequestLogger(context.Background(), log)
	l.Info().Msg("socket delivery")
	if strings.Contains(out.String(), "request_id") {
		t.Fatalf("a request id appeared outside a request: %s", out.String())
	}
}
