package web

import (
	"net/http"
	"strings"
)

// serveRecording answers GET /r/{code}, a personal recording link. It
// checks who is asking at this moment (core.Service.OpenRecording: the
// signature, the expiry, the person's standing in the meeting, the
// workspace's recordings setting) and then redirects to a fresh download
// URL from RealtimeKit. That URL expires and is a secret to the room: it is
// only ever in this redirect, never in a chat, a page body or a log line
// (the access log names the route, not the path). A link unfurler gets a
// neutral page, so a platform's preview fetcher never receives the URL.
func (h *Handler) serveRecording(w http.ResponseWriter, r *http.Request) {
	nonce := newNonce()
	setStaticHeaders(w.Header()) // no-store, no-referrer: as join pages
	w.Header().Set("Content-Security-Policy", pageCSP(nonce))
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.renderMessage(w, r, nonce, http.StatusMethodNotAllowed, "Open this link in a browser",
			"Recording links only open with a plain browser visit (GET).")
		return
	}
	code := r.PathValue("code")
	if code == "" || len(code) > maxCodeBytes || strings.Contains(code, "/") {
		h.renderMessage(w, r, nonce, http.StatusNotFound, "No recording here",
			"There is no recording link at this address; ask the meeting's organizer for the recording.")
		return
	}
	if isLinkPreview(r.UserAgent()) {
		h.renderMessage(w, r, nonce, http.StatusOK, "Personal recording link",
			"This is someone's personal link to a meeting recording; it opens only in their browser.")
		return
	}
	if h.svc == nil {
		h.renderMessage(w, r, nonce, http.StatusServiceUnavailable, "Not available here",
			"Recording links are not served by this process.")
		return
	}
	u, err := h.svc.OpenRecording(r.Context(), code)
	if err != nil {
		h.renderError(w, r, nonce, err)
		return
	}
	http.Redirect(w, r, u, http.StatusFound)
}
