// Package httpbody reads request bodies for the signed chat endpoints
// (Slack commands, buttons and events; Discord interactions). Their
// signatures cover the raw body, so it must be read whole before anything
// is parsed, and capped, so an oversized request costs nothing but a 413.
package httpbody

import (
	"errors"
	"io"
	"net/http"
)

// ReadCapped reads r's body up to max bytes. When it cannot (too large,
// or the read failed) it has already answered (413 or 400) and returns
// false; nothing has been parsed.
func ReadCapped(w http.ResponseWriter, r *http.Request, max int64) ([]byte, bool) {
	if r.ContentLength > max {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		if _, tooBig := errors.AsType[*http.MaxBytesError](err); tooBig {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "could not read request body", http.StatusBadRequest)
		}
		return nil, false
	}
	return body, true
}
