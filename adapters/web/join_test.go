package web_test

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
)

var (
	b64      = base64.RawURLEncoding
	cspNonce = regexp.MustCompile(`'nonce-([^']+)'`)
	urlAttr  = regexp.MustCompile(`(?i)(?:src|href|action|content)\s*=\s*"([^"]*)"`)
)

func nonceOf(t *testing.T, r response) string {
	t.Helper()
	m := cspNonce.FindStringSubmatch(r.header.Get("Content-Security-Policy"))
	if m == nil {
		t.Fatalf("no nonce in CSP %q", r.header.Get("Content-Security-Policy"))
	}
	return m[1]
}

// wantScriptsNonced checks that every script element carries the CSP nonce,
// so the page works under its own policy and nothing else would.
func wantScriptsNonced(t *testing.T, r response) {
	t.Helper()
	nonce := nonceOf(t, r)
	n := strings.Count(r.body, "<script")
	if n == 0 {
		t.Fatal("page has no script")
	}
	if got := strings.Count(r.body, `<script nonce="`+nonce+`"`); got != n {
		t.Errorf("%d of %d scripts carry the nonce %q", got, n, nonce)
	}
}

func TestOpenPageStartsUIKitWithTokenInBodyOnly(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	path := e.join(ana, m.ID)
	tok := e.token(wsLocal, m.ID, "ana")
	if strings.Contains(path, tok) {
		t.Fatal("the link carries the token")
	}

	r := e.get(path)
	wantStatus(t, r, http.StatusOK)
	wantJoinHeaders(t, r)
	wantScriptsNonced(t, r)
	if got := strings.Count(r.body, tok); got != 1 {
		t.Errorf("token appears %d times in the page, want once (in the boot data)", got)
	}
	r = withScript(t, e, r)
	wantBody(t, r, "Weekly sync", `createElement("rtk-meeting")`, "RealtimeKitClient.init",
		`"token":"`+tok+`"`, `"waiting":false`,
		"https://cdn.jsdelivr.net/npm/@cloudflare/realtimekit@",
		"https://cdn.jsdelivr.net/npm/@cloudflare/realtimekit-ui@")
	for _, m := range urlAttr.FindAllStringSubmatch(r.body, -1) {
		if strings.Contains(m[1], tok[:20]) {
			t.Errorf("token in an attribute URL: %q", m[0])
		}
	}
	for k, vs := range r.header {
		for _, v := range vs {
			if strings.Contains(v, tok) {
				t.Errorf("token in header %s", k)
			}
		}
	}
	csp := r.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'nonce-") || !strings.Contains(csp, "https://cdn.jsdelivr.net/npm/@cloudflare/") {
		t.Errorf("meeting CSP does not admit the UI Kit: %q", csp)
	}
	if strings.Contains(csp, "'unsafe-eval'") || strings.Contains(csp, "script-src *") {
		t.Errorf("meeting CSP is too wide: %q", csp)
	}
	// The token is this person's: RealtimeKit will show them by their name.
	c, err := sandbox.DecodeToken(tok)
	if err != nil || c.Name != "Ana" || c.PresetName != "group_call_host" {
		t.Errorf("token claims = %+v, %v; want Ana as host", c, err)
	}

	// HEAD answers like GET, without a body.
	h := e.do(http.MethodHead, path)
	wantStatus(t, h, http.StatusOK)
	wantJoinHeaders(t, h)
	if h.body != "" {
		t.Errorf("HEAD has a body of %d bytes", len(h.body))
	}
}

func TestSandboxPageShowsClaimsNotToken(t *testing.T) {
	e := newEnv(t, envOpts{sandbox: true})
	m := e.schedule(ana, "Design review", t0.Add(2*time.Minute), 45*time.Minute)
	path := e.join(ana, m.ID)
	tok := e.token(wsLocal, m.ID, "ana")
	claims, err := sandbox.DecodeToken(tok)
	if err != nil {
		t.Fatal(err)
	}

	r := e.get(path)
	wantStatus(t, r, http.StatusOK)
	wantJoinHeaders(t, r)
	wantBody(t, r, "Design review", "(id "+m.ID+")", core.FullTime(m.Start, "America/New_York"), "45 min",
		"Ana (console:local:ana)", "group_call_host", m.RoomID,
		"participantId", claims.ParticipantID, "meetingId", claims.MeetingID,
		"customParticipantId", claims.CustomParticipantID, "exp")
	parts := strings.Split(tok, ".")
	wantNotInBody(t, r, tok, parts[1], parts[2], "<script", "rtk-meeting")
	if csp := r.header.Get("Content-Security-Policy"); strings.Contains(csp, "cdn.jsdelivr.net") {
		t.Errorf("sandbox page admits the CDN: %q", csp)
	}
}

func TestCountdownBecomesMeetingWhenWindowOpens(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	m := e.schedule(ana, "Weekly sync", t0.Add(4*time.Minute), 30*time.Minute)
	path := e.join(ana, m.ID) // the default 5 min early join: open now
	// The workspace then shortens its early join, so the window opens at
	// 14:03 and the same link now lands before it.
	early := time.Minute
	if err := e.store.PutWorkspace(ctx, &core.Workspace{Key: wsLocal, EarlyJoin: &early}); err != nil {
		t.Fatal(err)
	}

	r := e.get(path)
	wantStatus(t, r, http.StatusOK)
	wantJoinHeaders(t, r)
	wantScriptsNonced(t, r)
	wantBody(t, r, "Joining opens at 14:03 EST", `Opens in <strong id="left" role="timer">3 min</strong>`,
		`<meta http-equiv="refresh" content="60">`, `"waiting":true`, `"autoJoin":true`, `"seconds":180`)
	tok := e.token(wsLocal, m.ID, "ana")
	wantNotInBody(t, r, tok)

	e.clock.Advance(3 * time.Minute)
	r = e.get(path)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, withScript(t, e, r), `createElement("rtk-meeting")`, `"token":"`+tok+`"`)

	// Close to the opening the fallback refresh is sooner than a minute.
	e.clock.Advance(-20 * time.Second)
	r = e.get(path)
	wantBody(t, r, `<meta http-equiv="refresh" content="21">`)
}

func TestCountdownPastLinkExpiryAsksForNewLink(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	long := 30 * time.Minute
	if err := e.store.PutWorkspace(ctx, &core.Workspace{Key: wsLocal, EarlyJoin: &long}); err != nil {
		t.Fatal(err)
	}
	m := e.schedule(ana, "Planning", t0.Add(20*time.Minute), 30*time.Minute)
	path := e.join(ana, m.ID)
	short := time.Minute
	if err := e.store.PutWorkspace(ctx, &core.Workspace{Key: wsLocal, EarlyJoin: &short}); err != nil {
		t.Fatal(err)
	}
	// Opens at 14:19, after the 15-minute link expires: no reload into an
	// "expired" page, but a plain instruction.
	r := e.get(path)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "Joining opens at 14:19 EST", "ask the bot for a new one with /meet join "+m.ID)
	wantNotInBody(t, r, `"autoJoin":true`)
	wantNotInBody(t, r, "http-equiv=\"refresh\"")
}

func TestAfterWindowIsGone(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Quick sync", t0.Add(time.Minute), 2*time.Minute)
	path := e.join(ana, m.ID)
	// Window: 13:56 to 14:08 (end 14:03 + 5 min grace). The link lasts to 14:15.
	e.clock.Advance(9 * time.Minute)
	r := e.get(path)
	wantStatus(t, r, http.StatusGone)
	wantJoinHeaders(t, r)
	wantBody(t, r, "Quick sync is over", "It ended at 14:03 EST")
	wantNotInBody(t, r, "rtk-meeting", "authToken")
}

func TestReplayAfterWindowIsGoneThenExpired(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Quick sync", t0.Add(time.Minute), 2*time.Minute)
	path := e.join(ana, m.ID)
	tok := e.token(wsLocal, m.ID, "ana")
	wantStatus(t, e.get(path), http.StatusOK)

	e.clock.Advance(8 * time.Minute) // exactly at the window's close
	r := e.get(path)
	wantStatus(t, r, http.StatusGone)
	wantNotInBody(t, r, tok)

	e.clock.Advance(7 * time.Minute) // and past the link's expiry: still "ended"
	r = e.get(path)
	wantStatus(t, r, http.StatusGone)
	wantBody(t, r, "ended at 14:03 EST")
	wantNotInBody(t, r, tok)
}

func TestCancelledMeetingSaysWhoCancelled(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Retro", t0.Add(2*time.Minute), 30*time.Minute)
	path := e.join(bo, m.ID)
	if _, err := e.svc.Cancel(context.Background(), ana, m.ID); err != nil {
		t.Fatal(err)
	}
	r := e.get(path)
	wantStatus(t, r, http.StatusGone)
	wantJoinHeaders(t, r)
	wantBody(t, r, "Retro was cancelled", "@ana cancelled it", "Meeting details")
	wantNotInBody(t, r, "authToken")
}

// tamper returns path with its code's claims rewritten by edit and the
// original signature kept, as a forger without the key would have to.
func tamper(t *testing.T, path string, edit func(map[string]any)) string {
	t.Helper()
	code := strings.TrimPrefix(path, "/j/")
	payload, sig, ok := strings.Cut(code, ".")
	if !ok {
		t.Fatalf("code %q has no signature", code)
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	edit(claims)
	raw, _ = json.Marshal(claims)
	return "/j/" + b64.EncodeToString(raw) + "." + sig
}

func TestTamperedCodeIsForbidden(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	path := e.join(bo, m.ID)
	tok := e.token(wsLocal, m.ID, "bo")
	bad := []string{
		path[:len(path)-2] + flip(path[len(path)-2:]), // signature changed
		tamper(t, path, func(c map[string]any) { c["u"] = "ana" }),
		tamper(t, path, func(c map[string]any) { c["e"] = float64(t0.Add(24 * time.Hour).Unix()) }),
		strings.SplitN(path, ".", 2)[0], // no signature at all
	}
	for _, p := range bad {
		r := e.get(p)
		wantStatus(t, r, http.StatusForbidden)
		wantJoinHeaders(t, r)
		wantBody(t, r, "This join link is not valid.")
		wantNotInBody(t, r, tok, "authToken")
	}
}

func flip(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

func TestExpiredLinkIsRefused(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Long workshop", t0.Add(2*time.Minute), 2*time.Hour)
	path := e.join(ana, m.ID)
	e.clock.Advance(16 * time.Minute) // the meeting runs; the link is 16 min old
	r := e.get(path)
	wantStatus(t, r, http.StatusGone)
	wantJoinHeaders(t, r)
	wantBody(t, r, "This link to Long workshop has expired", "/meet join "+m.ID)
	// A forged link is told apart from an expired one by its status.
	wantStatus(t, e.get(path[:len(path)-2]+flip(path[len(path)-2:])), http.StatusForbidden)
}

func TestLinkNamesItsUserAndRemovalRevokesIt(t *testing.T) {
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	anaPath, boPath := e.join(ana, m.ID), e.join(bo, m.ID)
	anaTok, boTok := e.token(wsLocal, m.ID, "ana"), e.token(wsLocal, m.ID, "bo")

	// Whoever opens Bo's link gets Bo's participant, never Ana's.
	r := e.get(boPath)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, boTok)
	wantNotInBody(t, r, anaTok)
	if c, err := sandbox.DecodeToken(boTok); err != nil || c.Name != "Bo" || c.PresetName != "group_call_participant" {
		t.Errorf("Bo's token claims = %+v, %v", c, err)
	}

	res, err := e.svc.Remove(ctx, ana, m.ID, []string{"bo"})
	if err != nil || len(res.Revoked) != 1 {
		t.Fatalf("remove: %+v, %v", res, err)
	}
	r = e.get(boPath)
	wantStatus(t, r, http.StatusForbidden)
	wantBody(t, r, "You were removed from Weekly sync")
	wantNotInBody(t, r, boTok, "authToken")
	// Ana's own link is untouched.
	wantStatus(t, e.get(anaPath), http.StatusOK)
}

func TestLinkFromAnotherWorkspaceCannotOpenThisOne(t *testing.T) {
	e := newEnv(t, envOpts{})
	ours := e.schedule(ana, "Local secret", t0.Add(2*time.Minute), 30*time.Minute)
	theirs := e.schedule(cy, "Other standup", t0.Add(2*time.Minute), 30*time.Minute)
	if ours.ID != theirs.ID {
		t.Logf("ids differ (%s, %s); the test still holds", ours.ID, theirs.ID)
	}
	cyPath := e.join(cy, theirs.ID)
	e.join(ana, ours.ID)
	anaTok := e.token(wsLocal, ours.ID, "ana")

	// Cy's link opens Cy's workspace's meeting, even when the ids collide.
	r := e.get(cyPath)
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r, "Other standup")
	wantNotInBody(t, r, "Local secret", anaTok)

	// Pointing the link at this workspace breaks its signature.
	for _, edit := range []func(map[string]any){
		func(c map[string]any) { c["w"] = wsLocal.ID },
		func(c map[string]any) { c["w"], c["u"], c["m"] = wsLocal.ID, "ana", ours.ID },
	} {
		r = e.get(tamper(t, cyPath, edit))
		wantStatus(t, r, http.StatusForbidden)
		wantNotInBody(t, r, "Local secret", anaTok)
	}

	// And core gives Cy no link to a meeting only this workspace has.
	only := e.schedule(ana, "Local only", t0.Add(2*time.Minute), 30*time.Minute)
	if only.ID != theirs.ID {
		if _, err := e.svc.Join(context.Background(), cy, only.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("join of this workspace's meeting from another one: %v, want not_found", err)
		}
	}
}

// TestUIKitBaseURLMovesScriptsAndCSP: with web.ui_kit_base_url set to an
// organisation's own copy, the meeting page loads both packages from there,
// with their integrity hashes, and its CSP admits that copy and not the CDN.
func TestUIKitBaseURLMovesScriptsAndCSP(t *testing.T) {
	e := newEnv(t, envOpts{uiKit: "https://meet.example.com/uikit/"})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	r := e.get(e.join(ana, m.ID))
	wantStatus(t, r, http.StatusOK)
	r = withScript(t, e, r)
	wantBody(t, r, `"coreURL":"https://meet.example.com/uikit/@cloudflare/realtimekit@2.0.2/dist/browser.js"`,
		`"loaderURL":"https://meet.example.com/uikit/@cloudflare/realtimekit-ui@2.0.2/loader/index.es2017.js"`,
		`"coreSRI":"sha384-`, `"integrity":{"https://meet.example.com/uikit/@cloudflare/realtimekit-ui@2.0.2/`)
	wantNotInBody(t, r, "cdn.jsdelivr.net")
	csp := r.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'nonce-") || !strings.Contains(csp, " https://meet.example.com/uikit/@cloudflare/;") {
		t.Errorf("CSP does not admit the own copy: %q", csp)
	}
	if strings.Contains(csp, "jsdelivr") || strings.Contains(csp, "fonts.g") {
		t.Errorf("CSP still admits the CDN or a font host: %q", csp)
	}
}

var (
	moduleSrc  = regexp.MustCompile(`<script nonce="[^"]+" type="module" src="([^"]+)" integrity="([^"]+)"></script>`)
	importMapJ = regexp.MustCompile(`<script nonce="[^"]+" src="([^"]+)" integrity="([^"]+)"></script>`)
	styleSheet = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)" integrity="([^"]+)">`)
)

// withScript returns the room page r with its scripts appended (the
// import map's, when the page has the UI Kit, and its own), after
// checking that the page names each relative to /j/{code}, that each is
// served cacheable and that its integrity attribute matches its bytes:
// the page's behaviour and the UI Kit's import map live in those files.
func withScript(t *testing.T, e *env, r response) response {
	t.Helper()
	if m := styleSheet.FindStringSubmatch(r.body); m == nil {
		t.Errorf("room page has no style sheet with integrity")
	} else if r = withAsset(t, e, r, m, "text/css"); !strings.Contains(r.body, "#stage {") || !strings.Contains(r.body, "[hidden] {") {
		t.Errorf("the room's style sheet lacks its own or the shared rules")
	}
	if m := importMapJ.FindStringSubmatch(r.body); m != nil {
		r = withAsset(t, e, r, m, "text/javascript")
		if !strings.Contains(r.body, `map.type = "importmap";`) {
			t.Errorf("the import map's script adds no import map")
		}
	}
	m := moduleSrc.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("room page has no module script with src and integrity:\n%s", r.body)
	}
	return withAsset(t, e, r, m, "text/javascript")
}

// withAsset is withScript for one element, matched as m (the whole
// element, its URL and its integrity), whose file is served as ctype.
func withAsset(t *testing.T, e *env, r response, m []string, ctype string) response {
	t.Helper()
	if !strings.HasPrefix(m[1], "../assets/") {
		t.Fatalf("script src %q, want one relative to /j/{code}", m[1])
	}
	s := e.get(strings.TrimPrefix(m[1], ".."))
	wantStatus(t, s, http.StatusOK)
	if ct := s.header.Get("Content-Type"); !strings.HasPrefix(ct, ctype) {
		t.Errorf("%s: Content-Type %q, want %s", m[1], ct, ctype)
	}
	if cc := s.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("script Cache-Control %q, want a year, immutable", cc)
	}
	sum := sha512.Sum384([]byte(s.body))
	if want := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); m[2] != want {
		t.Errorf("script integrity %q, its bytes hash to %q", m[2], want)
	}
	r.body += "\n" + s.body
	return r
}

// TestRoomScriptIsStatic: the room page's script is one cacheable file for
// every page, holding nothing of any page: the token and times stay in
// the page's own boot data.
func TestRoomScriptIsStatic(t *testing.T) {
	e := newEnv(t, envOpts{})
	m := e.schedule(ana, "Weekly sync", t0.Add(2*time.Minute), 30*time.Minute)
	page := e.get(e.join(ana, m.ID))
	tok := e.token(wsLocal, m.ID, "ana")
	wantStatus(t, page, http.StatusOK)
	both := withScript(t, e, page)
	script := strings.TrimPrefix(both.body, page.body+"\n")
	for _, s := range []string{tok, "Weekly sync", nonceOf(t, page)} {
		if strings.Contains(script, s) {
			t.Errorf("the static script holds %q from one page", s)
		}
	}
	other := e.get(e.join(bo, e.schedule(bo, "Other", t0.Add(3*time.Minute), 30*time.Minute).ID))
	if a, b := moduleSrc.FindStringSubmatch(page.body), moduleSrc.FindStringSubmatch(other.body); a == nil || b == nil || a[1] != b[1] || a[2] != b[2] {
		t.Errorf("two pages name different scripts: %q and %q", a, b)
	}
	if r := e.get("/assets/room-0000000000000000.js"); r.status != http.StatusNotFound {
		t.Errorf("an unknown asset answered %d, want 404", r.status)
	}
}
