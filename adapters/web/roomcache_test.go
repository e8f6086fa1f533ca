package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

var nonceRe = regexp.MustCompile(`nonce="([A-Za-z0-9_-]+)"`)

// TestMeetingPageReusedWithFreshNonce: the meeting page served again from
// the page cache carries this response's nonce everywhere (the CSP header
// and every nonce attribute agree, and differ from the last response's),
// is otherwise the same page, and follows the meeting when it changes
// (a new title is shown at once) and each person (their own token).
func TestMeetingPageReusedWithFreshNonce(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	path := e.join(ana, m.ID)
	open := func(p string) (body, nonce string) {
		t.Helper()
		r := e.get(p)
		if r.status != http.StatusOK || !strings.Contains(r.body, "token") {
			t.Fatalf("open: %d\n%s", r.status, r.body)
		}
		csp := r.header.Get("Content-Security-Policy")
		found := nonceRe.FindAllStringSubmatch(r.body, -1)
		if len(found) < 2 {
			t.Fatalf("page has %d nonce attributes", len(found))
		}
		nonce = found[0][1]
		for _, f := range found {
			if f[1] != nonce {
				t.Fatalf("page mixes nonces %q and %q", nonce, f[1])
			}
		}
		if !strings.Contains(csp, "'nonce-"+nonce+"'") {
			t.Fatalf("CSP %q does not admit the page's nonce %q", csp, nonce)
		}
		return r.body, nonce
	}
	first, n1 := open(path)
	second, n2 := open(path)
	if n1 == n2 {
		t.Fatal("two responses share a nonce")
	}
	if strings.ReplaceAll(first, n1, "N") != strings.ReplaceAll(second, n2, "N") {
		t.Fatal("the page served again differs from the first beyond its nonce")
	}
	if strings.Count(second, n2) != strings.Count(first, n1) {
		t.Fatal("the nonce appears a different number of times")
	}

	if _, err := e.store.UpdateMeeting(context.Background(), m.Workspace, m.ID, func(x *core.Meeting) error {
		x.Title = "Renamed sync"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	renamed, _ := open(path)
	if !strings.Contains(renamed, "Renamed sync") || strings.Contains(renamed, "Weekly sync") {
		t.Fatal("the page did not follow the meeting's new title")
	}

	boPage, _ := open(e.join(bo, m.ID))
	anaTok, boTok := e.token(wsLocal, m.ID, "ana"), e.token(wsLocal, m.ID, "bo")
	if !strings.Contains(boPage, boTok) || strings.Contains(boPage, anaTok) {
		t.Fatal("Bo's page does not carry Bo's own token only")
	}
}
