package web

import (
	"encoding/json"
	"html/template"
	"net/url"
	"sort"
	"strings"

	"github.com/meetbot/meetbot/core"
)

// The two RealtimeKit browser packages the meeting page runs, pinned. The
// page names files by these paths under the UI Kit base URL, the CDN by
// default or an organisation's own copy (web.ui_kit_base_url), so one
// Subresource Integrity table (uikit_integrity.go) serves both.
const (
	// DefaultUIKitBaseURL is jsDelivr's npm mirror, where the pinned
	// packages live at "<base>@cloudflare/<package>@<version>/".
	DefaultUIKitBaseURL = "https://cdn.jsdelivr.net/npm/"
	// CorePackage and UIPackage are the pinned packages: the client
	// (global RealtimeKitClient) and the web components (rtk-meeting).
	CorePackage = "@cloudflare/realtimekit@2.0.2"
	UIPackage   = "@cloudflare/realtimekit-ui@2.0.2"
	coreScript  = CorePackage + "/dist/browser.js"
	uiLoader    = UIPackage + "/loader/index.es2017.js"
)

// uiKit is where the meeting page loads the UI Kit from, with what the page
// and its CSP need: the two entry URLs, an import map that carries the
// integrity of every UI Kit module (so the lazily loaded components are
// checked too, not only the entry), and the CSP source that admits the
// pinned packages' path and nothing else on that host.
type uiKit struct {
	base      string
	CoreURL   string
	CoreSRI   string
	LoaderURL string
	LoaderSRI string
	importMap string
	// mapScript is the static script that adds the import map to the
	// page (see ImportMapTag).
	mapScript *staticAsset
	cspSource string
}

// newUIKit builds the UI Kit settings for base (DefaultUIKitBaseURL when
// empty); base is checked by cmd/bot's config (an absolute http(s) URL).
func newUIKit(base string) *uiKit {
	if base == "" {
		base = DefaultUIKitBaseURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	k := &uiKit{base: base, CoreURL: base + coreScript, CoreSRI: uiKitIntegrity[coreScript], LoaderURL: base + uiLoader, LoaderSRI: uiKitIntegrity[uiLoader]}
	integrity := make(map[string]string, len(uiKitIntegrity))
	for p, h := range uiKitIntegrity {
		if strings.HasPrefix(p, UIPackage+"/") {
			integrity[base+p] = h
		}
	}
	raw, _ := json.Marshal(struct {
		Imports   map[string]string `json:"imports"`
		Integrity map[string]string `json:"integrity"`
	}{map[string]string{}, integrity})
	k.importMap = string(raw) // json.Marshal escapes "<", so no "</script" inside
	k.mapScript = newStaticAsset("/assets/uikit-map-", ".js", "text/javascript; charset=utf-8", []byte(importMapScript(k)))
	k.cspSource = cspSourceFor(base + "@cloudflare/")
	return k
}

// ImportMapTag is the element that gives a page with nonce the UI Kit's
// import map. The map (the integrity of all 115 UI Kit modules, about
// 20 KB) is the same on every page, so rather than inline it goes in a
// static, cacheable script (checked by its own integrity) that inserts it
// as an inline import map carrying the page's nonce. The script is
// classic and parser-blocking, placed before any module or modulepreload,
// so the map is in place before any module loads, as browsers require.
func (k *uiKit) ImportMapTag(nonce string) template.HTML {
	return template.HTML(`<script nonce="` + template.HTMLEscapeString(nonce) + `" src="` + k.mapScript.URL +
		`" integrity="` + k.mapScript.SRI + `"></script>`)
}

// importMapScript is the body of the script ImportMapTag names: it adds
// k's import map right after itself, with its own nonce (CSP checks the
// inserted element like an inline one; the map is JSON, hence a valid
// JavaScript expression), then the preloads of the two entry files.
func importMapScript(k *uiKit) string {
	return "// The UI Kit's import map, added by meetbot's room page (adapters/web/uikit.go).\n" +
		"(() => {\n" +
		"  const me = document.currentScript;\n" +
		"  const map = document.createElement(\"script\");\n" +
		"  map.type = \"importmap\";\n" +
		"  map.nonce = me.nonce;\n" +
		"  map.textContent = JSON.stringify(" + k.importMap + ");\n" +
		"  me.after(map);\n" +
		"  window.meetbotUIKit = Object.freeze(" + k.entries() + ");\n" +
		"  // Start both downloads now; the page's script uses them.\n" +
		"  const core = document.createElement(\"link\");\n" +
		"  core.rel = \"preload\"; core.as = \"script\"; core.href = " + jsString(k.CoreURL) + "; core.integrity = " + jsString(k.CoreSRI) + "; core.crossOrigin = \"anonymous\";\n" +
		"  const ui = document.createElement(\"link\");\n" +
		"  ui.rel = \"modulepreload\"; ui.href = " + jsString(k.LoaderURL) + "; ui.integrity = " + jsString(k.LoaderSRI) + ";\n" +
		"  map.after(core, ui);\n" +
		"})();\n"
}

// cspSourceFor is the CSP source expression for a URL prefix. A source
// with a path ending in "/" admits everything below it; its scheme, host
// and port are kept as they are.
func cspSourceFor(prefix string) string {
	u, err := url.Parse(prefix)
	if err != nil || u.Host == "" {
		return "'none'"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// CheckUIKitBaseURL reports whether base can serve as web.ui_kit_base_url:
// an absolute http or https URL without query or fragment.
func CheckUIKitBaseURL(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return core.Errorf(core.EINVALID, "web.ui_kit_base_url must be an absolute http(s) URL such as %q, not %q", DefaultUIKitBaseURL, base)
	}
	return nil
}

// UIKitFiles lists the package files the meeting page may load, as paths
// under the base URL, sorted: what a self-hosted copy must serve (and
// what the browser tests check against the packed packages).
func UIKitFiles() []string {
	out := make([]string, 0, len(uiKitIntegrity))
	for p := range uiKitIntegrity {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// UIKitIntegrity returns the Subresource Integrity hash the page expects
// for file (a path from UIKitFiles), or "".
func UIKitIntegrity(file string) string { return uiKitIntegrity[file] }

// meetingCSP is the meeting (and wait) page's policy. Scripts: the nonce'd
// page script and import map (static files, plus the map they insert),
// and the pinned packages under the UI Kit base. Styles: 'self' for the
// page's own sheet, and inline because the UI Kit's web components inject
// their own style elements (so no style nonce: a nonce would switch
// 'unsafe-inline' off). No third-party fonts: the page uses the system
// font stack. Media, images and connections are wider because RealtimeKit
// picks its API, socket and asset hosts at run time; none of them can run
// script in this page. connect-src 'self' lets the wait page ask the server
// whether the window has opened.
func (k *uiKit) meetingCSP(nonce string) string {
	return "default-src 'none'; " +
		"script-src 'nonce-" + nonce + "' " + k.cspSource + "; " +
		"style-src 'self' 'unsafe-inline'; " +
		"font-src data:; " +
		"img-src 'self' data: blob: https:; " +
		"media-src 'self' blob: mediastream: https:; " +
		"connect-src 'self' " + k.cspSource + " https: wss:; " +
		"worker-src 'self' blob:; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}

// jsString is s as a JavaScript string literal (JSON's, which escapes "<").
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// entries is the JSON the room page's script reads its UI Kit entry files
// from (window.meetbotUIKit), set by the import map's script.
func (k *uiKit) entries() string {
	b, _ := json.Marshal(struct {
		CoreURL   string `json:"coreURL"`
		CoreSRI   string `json:"coreSRI"`
		LoaderURL string `json:"loaderURL"`
	}{k.CoreURL, k.CoreSRI, k.LoaderURL})
	return string(b)
}
