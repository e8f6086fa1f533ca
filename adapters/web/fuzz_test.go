package web_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	pathpkg "path"
	"strings"
	"testing"
	"time"
)

// FuzzJoinPath throws arbitrary paths at the handler (on the real store
// and sandbox) and checks that none of them panics or fails on our side,
// that every join and meeting page keeps its protective headers, and that
// no page but the valid link's own carries a token. Seeds live in
// testdata/fuzz/FuzzJoinPath; a valid link, the meeting's calendar paths
// and variants of them are added here because codes are signed with the
// test's keys.
func FuzzJoinPath(f *testing.F) {
	e := newEnv(f, envOpts{joinKey: bytes.Repeat([]byte("fuzz-key-"), 4), logger: io.Discard})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	valid := e.join(ana, m.ID)
	tok := e.token(wsLocal, m.ID, "ana")
	f.Add(valid)
	f.Add(valid + "/")
	f.Add(valid + "/x")
	f.Add(strings.ToUpper(valid))
	f.Add(strings.Replace(valid, ".", "..", 1))
	f.Add(valid + strings.Repeat("A", 1024))
	f.Add(valid + "=")                   // padded: a second spelling, refused
	f.Add(valid[:len(valid)-1] + "B")    // trailing bits changed: refused
	f.Add(valid[:8] + "%0A" + valid[8:]) // line break the decoder would skip
	info := e.infoPath(m)
	f.Add(info)
	f.Add(info + ".ics")
	f.Add(info + ".ics/")
	f.Add(strings.Replace(info, ".", "..", 1) + ".ics")
	f.Add("/meetings/" + strings.TrimPrefix(valid, "/j/") + ".ics")
	f.Add("/meetings/..%2F..%2Fj%2F" + strings.TrimPrefix(valid, "/j/"))

	f.Fuzz(func(t *testing.T, path string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if u, err := url.ParseRequestURI(path); err == nil {
			req.URL, req.RequestURI = u, path
		} else {
			req.URL.Path, req.URL.RawPath, req.RequestURI = path, "", path
		}
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		res := rec.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("%q: status %d\n%s", path, res.StatusCode, rec.Body.String())
		}
		// Every response for a path under /j or /meetings (including the
		// mux's redirect of an unclean one, whose Location holds the code)
		// is protected.
		p := pathpkg.Clean("/" + req.URL.Path)
		if p == "/j" || strings.HasPrefix(p, "/j/") || p == "/meetings" || strings.HasPrefix(p, "/meetings/") {
			for _, h := range []string{"Cache-Control", "Referrer-Policy", "X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy"} {
				if res.Header.Get(h) == "" {
					t.Fatalf("%q: no %s header", path, h)
				}
			}
		}
		if strings.Contains(rec.Body.String(), tok) && strings.TrimSuffix(req.URL.Path, "/") != valid {
			t.Fatalf("%q: token served for a path that is not the link", path)
		}
	})
}
