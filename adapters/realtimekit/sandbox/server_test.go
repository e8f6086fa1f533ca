package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
)

const base = "/client/v4/accounts/acc/realtime/kit/app"

// reply is a decoded answer: the status, the envelope and the raw body.
type reply struct {
	Status  int
	Success bool            `json:"success"`
	Data    json.RawMessage `json:"data"`
	Paging  *struct {
		StartOffset int `json:"start_offset"`
		EndOffset   int `json:"end_offset"`
		TotalCount  int `json:"total_count"`
	} `json:"paging"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Header http.Header
}

type harness struct {
	t   *testing.T
	srv *sandbox.Server
	url string
}

func newHarness(t *testing.T, opts sandbox.Options) *harness {
	t.Helper()
	srv := sandbox.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &harness{t: t, srv: srv, url: ts.URL}
}

func (h *harness) do(method, path, body string) reply {
	return h.doAuth(method, path, body, "Bearer test")
}

func (h *harness) doAuth(method, path, body, auth string) reply {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		h.t.Fatalf("%s %s: content type %q", method, path, ct)
	}
	var r reply
	if err := json.Unmarshal(raw, &r); err != nil {
		h.t.Fatalf("%s %s: body %q is not JSON: %v", method, path, raw, err)
	}
	r.Status, r.Header = res.StatusCode, res.Header
	if r.Status < 400 && (!r.Success || r.Error != nil) {
		h.t.Fatalf("%s %s: success answer with bad envelope: %s", method, path, raw)
	}
	if r.Status >= 400 && (r.Success || r.Error == nil || r.Error.Code != r.Status || r.Error.Message == "") {
		h.t.Fatalf("%s %s: error answer with bad envelope: %s", method, path, raw)
	}
	return r
}

func (h *harness) want(r reply, status int) reply {
	h.t.Helper()
	if r.Status != status {
		h.t.Fatalf("status %d, want %d (error %+v)", r.Status, status, r.Error)
	}
	return r
}

func decode[T any](t *testing.T, raw json.RawMessage) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	return v
}

type meetingOut struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
}

type participantOut struct {
	ID         string `json:"id"`
	Token      string `json:"token"`
	CustomID   string `json:"custom_participant_id"`
	PresetName string `json:"preset_name"`
	Name       string `json:"name"`
}

func (h *harness) createMeeting(title string) meetingOut {
	h.t.Helper()
	r := h.do("POST", base+"/meetings", `{"title":"`+title+`"}`)
	return decode[meetingOut](h.t, r.Data)
}

func (h *harness) addParticipant(meetingID, custom, name string) participantOut {
	h.t.Helper()
	body := `{"custom_participant_id":"` + custom + `","preset_name":"group_call_participant","name":"` + name + `"}`
	r := h.want(h.do("POST", base+"/meetings/"+meetingID+"/participants", body), http.StatusCreated)
	return decode[participantOut](h.t, r.Data)
}

func TestMeetingLifecycleAndShapes(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	m := h.createMeeting("Standup · tag123")
	if len(m.ID) != 36 || m.Status != "ACTIVE" || m.Title != "Standup · tag123" {
		t.Fatalf("created %+v", m)
	}
	if _, err := time.Parse(time.RFC3339, m.CreatedAt); err != nil {
		t.Fatalf("created_at %q: %v", m.CreatedAt, err)
	}
	got := decode[meetingOut](t, h.want(h.do("GET", base+"/meetings/"+m.ID, ""), 200).Data)
	if got != m {
		t.Fatalf("get %+v, want %+v", got, m)
	}
	upd := decode[meetingOut](t, h.want(h.do("PATCH", base+"/meetings/"+m.ID, `{"status":"INACTIVE","title":"New"}`), 200).Data)
	if upd.Status != "INACTIVE" || upd.Title != "New" {
		t.Fatalf("patched %+v", upd)
	}
	h.want(h.do("PATCH", base+"/meetings/"+m.ID, `{"status":"PAUSED"}`), 400)
	h.want(h.do("PATCH", base+"/meetings/"+m.ID, `{"status":`), 400)
	h.want(h.do("GET", base+"/meetings/00000000-0000-4000-8000-000000000000", ""), 404)
	h.want(h.do("PATCH", base+"/meetings/nope", `{"title":"x"}`), 404)
	info, ok := h.srv.Meeting(m.ID)
	if !ok || info.Status != sandbox.StatusInactive || info.Title != "New" {
		t.Fatalf("Meeting() = %+v, %v", info, ok)
	}
}

func TestListMeetingsSearchAndPaging(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	for i := range 25 {
		title := "Weekly"
		if i%5 == 0 {
			title = "Retro · TagX"
		}
		h.createMeeting(title)
	}
	r := h.want(h.do("GET", base+"/meetings?search=tagx", ""), 200)
	if items := decode[[]meetingOut](t, r.Data); len(items) != 5 || r.Paging.TotalCount != 5 {
		t.Fatalf("search found %d (total %+v)", len(items), r.Paging)
	}
	r = h.want(h.do("GET", base+"/meetings?page_no=3&per_page=10", ""), 200)
	if items := decode[[]meetingOut](t, r.Data); len(items) != 5 || r.Paging.TotalCount != 25 || r.Paging.StartOffset != 20 {
		t.Fatalf("page 3: %d items, paging %+v", len(items), r.Paging)
	}
	r = h.want(h.do("GET", base+"/meetings?search=nothing", ""), 200)
	if string(r.Data) != "[]" {
		t.Fatalf("empty search data = %s, want []", r.Data)
	}
	one := h.srv.Meetings()[3]
	r = h.want(h.do("GET", base+"/meetings?search="+one.ID[:8], ""), 200)
	if items := decode[[]meetingOut](t, r.Data); len(items) != 1 || items[0].ID != one.ID {
		t.Fatalf("search by id: %+v", items)
	}
	h.want(h.do("GET", base+"/meetings?page_no=0", ""), 400)
	h.want(h.do("GET", base+"/meetings?per_page=abc", ""), 400)
}

func TestParticipants(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	m := h.createMeeting("Team")
	p := h.addParticipant(m.ID, "slack:T1:U1", "Mary")
	if p.ID == "" || p.Token == "" || p.CustomID != "slack:T1:U1" || p.PresetName != "group_call_participant" {
		t.Fatalf("added %+v", p)
	}
	path := base + "/meetings/" + m.ID + "/participants"

	// Duplicate custom id → 409; missing fields, unknown preset, bad JSON → 400.
	h.want(h.do("POST", path, `{"custom_participant_id":"slack:T1:U1","preset_name":"group_call_host","name":"M"}`), 409)
	h.want(h.do("POST", path, `{"preset_name":"group_call_host","name":"M"}`), 400)
	h.want(h.do("POST", path, `{"custom_participant_id":"x","name":"M"}`), 400)
	r := h.want(h.do("POST", path, `{"custom_participant_id":"x","preset_name":"no_such","name":"M"}`), 400)
	if !strings.Contains(r.Error.Message, "no_such") {
		t.Fatalf("unknown preset message %q", r.Error.Message)
	}
	h.want(h.do("POST", path, `not json`), 400)
	h.want(h.do("POST", base+"/meetings/nope/participants", `{"custom_participant_id":"x","preset_name":"group_call_host"}`), 404)

	list := h.want(h.do("GET", path, ""), 200)
	items := decode[[]participantOut](t, list.Data)
	if len(items) != 1 || items[0].ID != p.ID || items[0].Token != "" || list.Paging.TotalCount != 1 {
		t.Fatalf("list %+v paging %+v", items, list.Paging)
	}
	got := decode[participantOut](t, h.want(h.do("GET", path+"/"+p.ID, ""), 200).Data)
	if got.Token != "" || got.Name != "Mary" {
		t.Fatalf("get %+v", got)
	}
	ed := decode[participantOut](t, h.want(h.do("PATCH", path+"/"+p.ID, `{"preset_name":"group_call_host","name":"Mary K"}`), 200).Data)
	if ed.PresetName != "group_call_host" || ed.Name != "Mary K" || ed.Token == "" {
		t.Fatalf("edit %+v", ed)
	}
	h.want(h.do("PATCH", path+"/"+p.ID, `{"preset_name":"nope"}`), 400)

	tok := decode[struct{ Token string }](t, h.want(h.do("POST", path+"/"+p.ID+"/token", ""), 200).Data)
	if tok.Token == "" || tok.Token == p.Token {
		t.Fatal("refresh returned no new token")
	}
	del := h.want(h.do("DELETE", path+"/"+p.ID, ""), 200)
	if d := decode[map[string]any](t, del.Data); d["custom_participant_id"] != "slack:T1:U1" || d["preset_id"] == "" {
		t.Fatalf("delete data %v", d)
	}
	h.want(h.do("DELETE", path+"/"+p.ID, ""), 404)
	h.want(h.do("GET", path+"/"+p.ID, ""), 404)
	h.want(h.do("POST", path+"/"+p.ID+"/token", ""), 404)
	// The custom id is free again once deleted.
	h.addParticipant(m.ID, "slack:T1:U1", "Mary")
}

func TestBodyTooLarge(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	big := `{"title":"` + strings.Repeat("x", 1<<20) + `"}`
	h.want(h.do("POST", base+"/meetings", big), http.StatusRequestEntityTooLarge)
	if n := len(h.srv.Meetings()); n != 0 {
		t.Fatalf("%d meetings after a rejected create", n)
	}
}

func TestSessionsJoinKick(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	m := h.createMeeting("Team")
	a := h.addParticipant(m.ID, "a", "Ann")
	b := h.addParticipant(m.ID, "b", "Bob")
	sess := base + "/meetings/" + m.ID + "/active-session"

	h.want(h.do("GET", sess, ""), 404)
	h.want(h.do("POST", sess+"/kick-all", ""), 404)
	h.want(h.do("POST", sess+"/kick", `{"participant_ids":["`+a.ID+`"],"custom_participant_ids":[]}`), 404)

	if err := h.srv.Join(a.Token); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Join(b.Token); err != nil {
		t.Fatal(err)
	}
	live := decode[map[string]any](t, h.want(h.do("GET", sess, ""), 200).Data)
	if live["live_participants"].(float64) != 2 || live["associated_id"] != m.ID || live["status"] != "LIVE" {
		t.Fatalf("active session %v", live)
	}
	h.want(h.do("POST", sess+"/kick", `{}`), 400)
	h.want(h.do("POST", sess+"/kick", `{"participant_ids":[],"custom_participant_ids":["zzz"]}`), 404)
	h.want(h.do("POST", sess+"/kick", `{"participant_ids":[],"custom_participant_ids":["a"]}`), 200)
	if info, _ := h.srv.Meeting(m.ID); len(info.Live) != 1 || info.Live[0] != b.ID {
		t.Fatalf("live after kick: %v", info.Live)
	}

	// INACTIVE does not end the session, but blocks new joins.
	h.want(h.do("PATCH", base+"/meetings/"+m.ID, `{"status":"INACTIVE"}`), 200)
	if err := h.srv.Join(a.Token); err != sandbox.ErrMeetingInactive {
		t.Fatalf("join inactive: %v", err)
	}
	kicked := decode[map[string]any](t, h.want(h.do("POST", sess+"/kick-all", ""), 200).Data)
	if kicked["kicked_participants_count"].(float64) != 1 {
		t.Fatalf("kick-all %v", kicked)
	}
	info, _ := h.srv.Meeting(m.ID)
	if info.Live != nil || info.KickAlls != 1 {
		t.Fatalf("after kick-all: %+v", info)
	}
	h.want(h.do("POST", sess+"/kick-all", ""), 404)

	// Deleted participants and nameless ones cannot join; leaving ends the session.
	h.want(h.do("PATCH", base+"/meetings/"+m.ID, `{"status":"ACTIVE"}`), 200)
	h.want(h.do("DELETE", base+"/meetings/"+m.ID+"/participants/"+a.ID, ""), 200)
	if err := h.srv.Join(a.Token); err != sandbox.ErrParticipantGone {
		t.Fatalf("join deleted: %v", err)
	}
	nameless := h.addParticipant(m.ID, "c", "")
	if err := h.srv.Join(nameless.Token); err != sandbox.ErrNoName {
		t.Fatalf("join nameless: %v", err)
	}
	if err := h.srv.Join(b.Token); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Leave(b.Token); err != nil {
		t.Fatal(err)
	}
	if info, _ := h.srv.Meeting(m.ID); info.Live != nil {
		t.Fatalf("session still live after last leave: %v", info.Live)
	}
}

func TestTokens(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h := newHarness(t, sandbox.Options{Now: clock})
	m := h.createMeeting("Team")
	p := h.addParticipant(m.ID, "slack:T1:U1", "Mary")

	if parts := strings.Split(p.Token, "."); len(parts) != 3 {
		t.Fatalf("token is not JWT-shaped: %d parts", len(parts))
	}
	c, err := sandbox.DecodeToken(p.Token)
	if err != nil {
		t.Fatal(err)
	}
	want := sandbox.Claims{MeetingID: m.ID, ParticipantID: p.ID, PresetName: "group_call_participant",
		Name: "Mary", CustomParticipantID: "slack:T1:U1", ID: c.ID, IssuedAt: now.Unix(),
		ExpiresAt: now.Add(100 * 24 * time.Hour).Unix()}
	if c != want {
		t.Fatalf("claims %+v\nwant   %+v", c, want)
	}
	if _, err := h.srv.VerifyToken(p.Token); err != nil {
		t.Fatal(err)
	}

	// Another server's token decodes but does not verify; garbage does neither.
	other := sandbox.New(sandbox.Options{})
	if _, err := other.VerifyToken(p.Token); err != sandbox.ErrInvalidToken {
		t.Fatalf("foreign verify: %v", err)
	}
	tampered := strings.Split(p.Token, ".")
	tampered[1] = strings.TrimRight(tampered[1], "A") + "B"
	if _, err := h.srv.VerifyToken(strings.Join(tampered, ".")); err == nil {
		t.Fatal("tampered token verified")
	}
	for _, bad := range []string{"", "a.b", "a.b.c", "x.y.z.w"} {
		if _, err := sandbox.DecodeToken(bad); err != sandbox.ErrInvalidToken {
			t.Fatalf("DecodeToken(%q) = %v", bad, err)
		}
	}
	if err := h.srv.Join("not-a-token"); err != sandbox.ErrInvalidToken {
		t.Fatalf("join garbage: %v", err)
	}

	mu.Lock()
	now = now.Add(100*24*time.Hour + time.Second)
	mu.Unlock()
	if _, err := h.srv.VerifyToken(p.Token); err != sandbox.ErrTokenExpired {
		t.Fatalf("expired verify: %v", err)
	}
	if err := h.srv.Join(p.Token); err != sandbox.ErrTokenExpired {
		t.Fatalf("expired join: %v", err)
	}
}

func TestAuthAndPrefixes(t *testing.T) {
	h := newHarness(t, sandbox.Options{APIToken: "secret"})
	for _, prefix := range []string{"", "/client/v4"} {
		path := prefix + "/accounts/a1/realtime/kit/app1/presets"
		h.want(h.doAuth("GET", path, "", ""), 401)
		h.want(h.doAuth("GET", path, "", "Bearer wrong"), 401)
		h.want(h.doAuth("GET", path, "", "Basic c2VjcmV0"), 401)
		r := h.want(h.doAuth("GET", path, "", "Bearer secret"), 200)
		names := decode[[]struct{ Name string }](t, r.Data)
		if len(names) != 6 || names[0].Name != "group_call_host" {
			t.Fatalf("presets %+v", names)
		}
	}
	if got := h.srv.Calls(sandbox.OpListPresets); got != 8 {
		t.Fatalf("Calls(list_presets) = %d, want 8", got)
	}
	h.want(h.doAuth("GET", "/nowhere", "", "Bearer secret"), 404)
	if h.srv.TotalCalls() != 9 {
		t.Fatalf("TotalCalls = %d, want 9", h.srv.TotalCalls())
	}
	h.srv.ResetCalls()
	if h.srv.TotalCalls() != 0 || h.srv.Calls(sandbox.OpListPresets) != 0 {
		t.Fatal("ResetCalls left counts")
	}

	anyToken := newHarness(t, sandbox.Options{Presets: []string{"only"}})
	r := anyToken.want(anyToken.doAuth("GET", base+"/presets", "", "Bearer whatever"), 200)
	if names := decode[[]struct{ Name string }](t, r.Data); len(names) != 1 || names[0].Name != "only" {
		t.Fatalf("custom presets %+v", names)
	}
	anyToken.want(anyToken.doAuth("GET", base+"/presets", "", "Bearer "), 401)
}

func TestFaults(t *testing.T) {
	h := newHarness(t, sandbox.Options{})

	h.srv.AddFault(sandbox.Fault{Op: sandbox.OpCreateMeeting, Status: 429, RetryAfter: 1500 * time.Millisecond, Times: 1})
	r := h.want(h.do("POST", base+"/meetings", `{"title":"x"}`), 429)
	if r.Header.Get("Retry-After") != "2" {
		t.Fatalf("Retry-After %q, want 2", r.Header.Get("Retry-After"))
	}
	if len(h.srv.Meetings()) != 0 {
		t.Fatal("a failed (not AfterApply) create created a meeting")
	}
	h.want(h.do("POST", base+"/meetings", `{"title":"x"}`), 201) // Times used up

	// AfterApply: the meeting exists although the client saw a 503.
	h.srv.AddFault(sandbox.Fault{Op: sandbox.OpCreateMeeting, Status: 503, AfterApply: true})
	h.want(h.do("POST", base+"/meetings", `{"title":"ghost"}`), 503)
	h.want(h.do("POST", base+"/meetings", `{"title":"ghost"}`), 503)
	h.want(h.do("GET", base+"/presets", ""), 200) // other ops unaffected
	h.srv.ClearFaults()
	if n := len(h.srv.Meetings()); n != 3 {
		t.Fatalf("%d meetings, want 3", n)
	}
	if h.srv.Calls(sandbox.OpCreateMeeting) != 4 {
		t.Fatalf("Calls(create) = %d", h.srv.Calls(sandbox.OpCreateMeeting))
	}

	// Op "" matches everything; a delayed AfterApply answer is replayed intact.
	h.srv.AddFault(sandbox.Fault{Delay: 10 * time.Millisecond, AfterApply: true, Times: 1})
	m := decode[meetingOut](t, h.want(h.do("POST", base+"/meetings", `{"title":"late"}`), 201).Data)
	if m.Title != "late" {
		t.Fatalf("replayed %+v", m)
	}
}

func TestDelayStopsWhenClientGivesUp(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	h.srv.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", h.url+base+"/meetings", bytes.NewReader([]byte(`{}`)))
	req.Header.Set("Authorization", "Bearer t")
	start := time.Now()
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatal("request under a minute of latency succeeded")
	}
	if el := time.Since(start); el > 30*time.Second { // the latency is a minute
		t.Fatalf("took %v", el)
	}
	h.srv.SetLatency(0)
	// The abandoned create must not have happened.
	h.want(h.do("GET", base+"/presets", ""), 200)
	if n := len(h.srv.Meetings()); n != 0 {
		t.Fatalf("%d meetings created by an abandoned request", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	m := h.createMeeting("Busy")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			body := `{"custom_participant_id":"same","preset_name":"group_call_host","name":"N"}`
			if i%2 == 0 {
				h.srv.AddFault(sandbox.Fault{Op: sandbox.OpGetMeeting, Delay: time.Millisecond, Times: 1})
			}
			h.do("POST", base+"/meetings/"+m.ID+"/participants", body)
			h.do("GET", base+"/meetings/"+m.ID, "")
			_ = h.srv.Meetings()
		})
	}
	wg.Wait()
	if info, _ := h.srv.Meeting(m.ID); info.Participants != 1 {
		t.Fatalf("%d participants with one custom id", info.Participants)
	}
}
