package web

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"strconv"
)

// The room page's script and style sheet, like the UI Kit's import map
// (uikit.go), are static files rather than inline: they are the same on
// every page, so a browser fetches them once and a join page is about
// 3 KB instead of 31 KB, which with its headers fits one 4 KB connection
// write. Each URL names the file's content hash,
// so it can be cached for a year and a new build is never served a stale
// copy, and the page checks it by Subresource Integrity like the UI Kit's.
//
//go:embed assets/room.js
var roomScriptSource []byte

// staticAsset is one embedded file as the pages name it. Path is its
// route; URL is what the room page (at /j/{code}) writes, relative, so a
// public URL with a path prefix behind a proxy keeps working.
type staticAsset struct {
	Path, URL   string
	SRI         string
	contentType string
	body        []byte
}

// roomCSSSource is the room page's own rules, after the shared ones.
//
//go:embed assets/room.css
var roomCSSSource []byte

var (
	// roomScript is the room page's script.
	roomScript = newStaticAsset("/assets/room-", ".js", "text/javascript; charset=utf-8", roomScriptSource)
	// roomStyle is the room page's style sheet: the rules every page has
	// inline (the "style" template) and the room's own. Static like the
	// script, so a join page fits, with its headers, in one 4 KB write
	// of net/http's connection buffer rather than two.
	roomStyle = newStaticAsset("/assets/room-", ".css", "text/css; charset=utf-8", append(sharedCSS(), roomCSSSource...))
)

// sharedCSS is the text of the pages' "style" template without its
// element, so the room's sheet and the other pages' inline rules are one
// source.
func sharedCSS() []byte {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, "style", struct{ Nonce string }{}); err != nil {
		panic("web: the style template: " + err.Error())
	}
	css, ok := bytes.CutPrefix(bytes.TrimSpace(b.Bytes()), []byte(`<style nonce="">`))
	if css, ok2 := bytes.CutSuffix(css, []byte("</style>")); ok && ok2 {
		return append(bytes.TrimLeft(css, "\n"), '\n')
	}
	panic("web: the style template is not one style element")
}

// newStaticAsset names body by its hash: prefix + 16 hex digits + suffix.
func newStaticAsset(prefix, suffix, contentType string, body []byte) *staticAsset {
	name := sha256.Sum256(body)
	sri := sha512.Sum384(body)
	p := prefix + hex.EncodeToString(name[:8]) + suffix
	return &staticAsset{
		Path:        p,
		URL:         ".." + p,
		SRI:         "sha384-" + base64.StdEncoding.EncodeToString(sri[:]),
		contentType: contentType,
		body:        body,
	}
}

// ServeHTTP answers GET and HEAD with the file, cacheable for a year by
// anyone: it holds nothing personal, and its URL changes with its content.
func (a *staticAsset) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Content-Length", strconv.Itoa(len(a.body)))
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Cross-Origin-Resource-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.body)
	}
}

// LinkTag is the style sheet's link element. It is built here, like
// ImportMapTag, because html/template would write each "+" of the hash as
// "&#43;": URL and SRI are hex and base64 of our own making.
func (a *staticAsset) LinkTag() template.HTML {
	return template.HTML(`<link rel="stylesheet" href="` + a.URL + `" integrity="` + a.SRI + `">`)
}

// ModuleTag is the module script element for a page with nonce.
func (a *staticAsset) ModuleTag(nonce string) template.HTML {
	return template.HTML(`<script nonce="` + template.HTMLEscapeString(nonce) + `" type="module" src="` + a.URL +
		`" integrity="` + a.SRI + `"></script>`)
}
