package web

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rs/zerolog/hlog"
)

// The pages are html/template files embedded in the binary, so escaping is
// contextual (the token becomes a JSON string inside the script) and the
// binary serves them without a file system.
//
//go:embed pages/*.html
var pageFiles embed.FS

var pages = template.Must(template.ParseFS(pageFiles, "pages/*.html"))

// pageCSP is the policy of every page but the meeting itself: nothing may
// load from anywhere, and the only inline script or style allowed is the
// page's own, marked with this response's nonce.
func pageCSP(nonce string) string {
	return "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'nonce-" + nonce + "'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// Permissions for the meeting page (camera, microphone, screen sharing for
// this origin only) and for every other page (none).
const (
	meetingPermissions = "camera=(self), microphone=(self), display-capture=(self), fullscreen=(self), autoplay=(self)"
	pagePermissions    = "camera=(), microphone=(), display-capture=(), geolocation=(), payment=(), usb=()"
)

// setStaticHeaders sets the headers every /j/ and /meetings/ response
// carries, whatever answers it (our pages, or the mux's redirect of an
// unclean path, whose Location holds the code): nothing cached, no
// referrer (the URL is a credential), no framing, no sniffing, no indexing,
// and a CSP that allows nothing. Pages then replace the CSP with one
// carrying their nonce.
func setStaticHeaders(hdr http.Header) {
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Pragma", "no-cache")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("X-Robots-Tag", "noindex, nofollow")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	hdr.Set("Content-Security-Policy", lockedCSP)
	hdr.Set("Permissions-Policy", pagePermissions)
}

// lockedCSP is the policy before a page picks its own: nothing at all.
const lockedCSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// protectJoinPaths sets the static headers on every request whose clean
// path is under /j or /meetings, before the mux sees it, so even its
// redirects (whose Location holds the code) carry them. Both the decoded and
// the escaped path count, because the mux matches escaped segments:
// "/meetings/..%2Fx" reaches the meeting route though its decoded path
// cleans to "/x". Other paths (health, adapters' routes) keep their own
// headers.
func protectJoinPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isProtectedPath(r.URL.Path) || isProtectedPath(r.URL.EscapedPath()) {
			setStaticHeaders(w.Header())
		}
		next.ServeHTTP(w, r)
	})
}

// isProtectedPath reports whether p, cleaned, is a join or meeting path.
func isProtectedPath(p string) bool {
	p = path.Clean("/" + p)
	for _, root := range []string{"/j", "/meetings"} {
		if p == root || strings.HasPrefix(p, root+"/") {
			return true
		}
	}
	return false
}

// newNonce returns a fresh CSP nonce: 128 random bits, so a script
// injected into a page can't guess the one that lets scripts run. The URL
// alphabet (which CSP accepts) needs no escaping in an HTML attribute, so
// the header and the page hold the very same text.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Data for each template. Every string is escaped by html/template for the
// context it lands in; Token lands in a script, as a JSON string.
type (
	messageData struct {
		Nonce, Heading, Message, Ref string
	}
	sandboxData struct {
		Nonce, Title, MeetingID, When, Window, User, Preset, RoomID string
		Claims                                                      []claimRow
		ClaimsNote                                                  string
	}
	claimRow struct{ Key, Value string }
)

func sortRows(rows []claimRow) {
	slices.SortFunc(rows, func(a, b claimRow) int { return strings.Compare(a.Key, b.Key) })
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// renderPage executes a template into a buffer first, so a template error
// becomes a clean 500 instead of half a page under a 200, and the answer
// goes out with a Content-Length in one write.
func (h *Handler) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := pages.ExecuteTemplate(buf, name, data); err != nil {
		hlog.FromRequest(r).Error().Err(err).Str("template", name).Msg("render page")
		writePlain(w, http.StatusInternalServerError, "internal error\n")
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
