package sandbox_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
)

var hookKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// sink is a webhook receiver that checks signatures with the key from the
// sandbox's .well-known document, and can fail the first deliveries.
type sink struct {
	mu     sync.Mutex
	events []map[string]any
	uuids  []string
	fail   atomic.Int32 // answer 503 this many times first
	pub    *rsa.PublicKey
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sig, _ := base64.StdEncoding.DecodeString(r.Header.Get("rtk-signature"))
	d := sha256.Sum256(body)
	if rsa.VerifyPKCS1v15(s.pub, crypto.SHA256, d[:], sig) != nil || r.Header.Get("rtk-webhook-id") == "" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if s.fail.Add(-1) >= 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var ev map[string]any
	_ = json.Unmarshal(body, &ev)
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.uuids = append(s.uuids, r.Header.Get("rtk-uuid"))
	s.mu.Unlock()
}

func (s *sink) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.events {
		n, _ := e["event"].(string)
		if n == "meeting.ended" {
			n += ":" + e["reason"].(string)
		}
		out = append(out, n)
	}
	return out
}

// hookHarness is a sandbox with one registered webhook delivering to a
// sink over real HTTP.
func hookHarness(t *testing.T, events string) (*harness, *sink) {
	t.Helper()
	h := newHarness(t, sandbox.Options{WebhookKey: hookKey()})
	res, err := http.Get(h.url + "/.well-known/webhooks.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Success bool `json:"success"`
		Data    struct {
			PublicKey string `json:"publicKey"`
		} `json:"data"`
	}
	_ = json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	block, _ := pem.Decode([]byte(doc.Data.PublicKey))
	if !doc.Success || block == nil || block.Type != "PUBLIC KEY" {
		t.Fatalf("well-known document %+v", doc)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sk := &sink{pub: pub.(*rsa.PublicKey)}
	ts := httptest.NewServer(sk)
	t.Cleanup(ts.Close)
	h.want(h.do("POST", base+"/webhooks", `{"name":"t","url":"`+ts.URL+`/hook","events":`+events+`}`), 201)
	return h, sk
}

// Ensure the webhooks REST API answers in the SDK's shapes: create
// (enabled by default), list without paging, get, patch some fields, put
// all, delete; bad bodies are 400, unknown ids 404.
func TestWebhooksAPI(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	type hook struct {
		ID        string   `json:"id"`
		Name      string   `json:"name"`
		URL       string   `json:"url"`
		Events    []string `json:"events"`
		Enabled   bool     `json:"enabled"`
		CreatedAt string   `json:"created_at"`
		UpdatedAt string   `json:"updated_at"`
	}
	c := decode[hook](t, h.want(h.do("POST", base+"/webhooks", `{"name":"a","url":"https://x.example/h","events":["meeting.started"]}`), 201).Data)
	if c.ID == "" || !c.Enabled || c.CreatedAt == "" || len(c.Events) != 1 {
		t.Fatalf("created %+v", c)
	}
	list := h.want(h.do("GET", base+"/webhooks", ""), 200)
	if list.Paging != nil || len(decode[[]hook](t, list.Data)) != 1 {
		t.Fatalf("list %s (paging %v)", list.Data, list.Paging)
	}
	p := decode[hook](t, h.want(h.do("PATCH", base+"/webhooks/"+c.ID, `{"enabled":false}`), 200).Data)
	if p.Enabled || p.Name != "a" || p.URL != c.URL {
		t.Fatalf("patched %+v", p)
	}
	h.want(h.do("PUT", base+"/webhooks/"+c.ID, `{"enabled":true}`), 400) // PUT needs every required field
	g := decode[hook](t, h.want(h.do("GET", base+"/webhooks/"+c.ID, ""), 200).Data)
	if g.Enabled {
		t.Fatal("a refused PUT changed the webhook")
	}
	for _, bad := range []string{`{"url":"https://x/h","events":["meeting.started"]}`, `{"name":"a","url":"ftp://x","events":["meeting.started"]}`,
		`{"name":"a","url":"https://x/h","events":["meeting.nope"]}`, `{"name":"a","url":"https://x/h","events":[]}`} {
		h.want(h.do("POST", base+"/webhooks", bad), 400)
	}
	h.want(h.do("DELETE", base+"/webhooks/"+c.ID, ""), 200)
	h.want(h.do("GET", base+"/webhooks/"+c.ID, ""), 404)
	h.want(h.do("PATCH", base+"/webhooks/nope", `{"enabled":true}`), 404)
	h.want(h.doAuth("GET", base+"/webhooks", "", ""), 401)
}

// Ensure a room's life sends the webhooks RealtimeKit would, signed with
// the published key, in order: started on the first join, a join and a
// leave per device, ended ALL_PARTICIPANTS_LEFT, then the recording and
// the summary; unsubscribed events are not sent, and a 5xx is retried
// with the same rtk-uuid.
func TestRoomLifeSendsWebhooks(t *testing.T) {
	h, sk := hookHarness(t, `["meeting.started","meeting.ended","meeting.participantJoined","meeting.participantLeft","recording.statusUpdate","meeting.summary"]`)
	h.srv.SetAfterEnd(true, true)
	m := decode[meetingOut](t, h.want(h.do("POST", base+"/meetings", `{"title":"Sync"}`), 201).Data)
	a := decode[participantOut](t, h.want(h.do("POST", base+"/meetings/"+m.ID+"/participants", `{"name":"Ann","preset_name":"group_call_host","custom_participant_id":"mb-a"}`), 201).Data)
	sk.fail.Store(1) // the first delivery fails once
	p1, err := h.srv.EnterRoom(m.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := h.srv.EnterRoomAs(m.ID, "mb-a")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.srv.LeaveRoom(m.ID, p1); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.LeaveRoom(m.ID, p1); err != sandbox.ErrNoSuchPeer {
		t.Fatalf("second leave: %v", err)
	}
	if err := h.srv.LeaveRoom(m.ID, p2); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.WaitDeliveries(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := "meeting.started meeting.participantJoined meeting.participantJoined meeting.participantLeft meeting.participantLeft meeting.ended:ALL_PARTICIPANTS_LEFT recording.statusUpdate meeting.summary"
	if got := strings.Join(sk.names(), " "); got != want {
		t.Fatalf("webhooks\n %s\nwant\n %s", got, want)
	}
	ds := h.srv.Deliveries()
	if ds[0].Attempts != 2 || ds[0].Status != 200 || sk.uuids[0] != ds[0].UUID {
		t.Fatalf("first delivery %+v: a 503 must be retried with the same uuid", ds[0])
	}
	sk.mu.Lock()
	joined := sk.events[1]["participant"].(map[string]any)
	left := sk.events[3]["participant"].(map[string]any)
	ended := sk.events[5]["meeting"].(map[string]any)
	rec := sk.events[6]["recording"].(map[string]any)
	sk.mu.Unlock()
	if joined["customParticipantId"] != "mb-a" || joined["userDisplayName"] != "Ann" || joined["peerId"] != p1 || left["leftAt"] == nil {
		t.Fatalf("participant payloads %v / %v", joined, left)
	}
	if ended["endedAt"] == nil || ended["sessionId"] == "" || ended["id"] != m.ID {
		t.Fatalf("ended meeting %v", ended)
	}
	if rec["status"] != "UPLOADED" || rec["meetingId"] != m.ID {
		t.Fatalf("recording %v", rec)
	}
	// The session's participants and summary stay readable after the end.
	sess := ended["sessionId"].(string)
	parts := decode[struct {
		Participants []struct {
			ID       string  `json:"id"`
			Custom   string  `json:"custom_participant_id"`
			LeftAt   *string `json:"left_at"`
			Duration float64 `json:"duration"`
		} `json:"participants"`
	}](t, h.want(h.do("GET", base+"/sessions/"+sess+"/participants", ""), 200).Data)
	if len(parts.Participants) != 2 || parts.Participants[0].ID != p1 || parts.Participants[1].LeftAt == nil {
		t.Fatalf("session participants %+v", parts)
	}
	sum := decode[map[string]string](t, h.want(h.do("GET", base+"/sessions/"+sess+"/summary", ""), 200).Data)
	if sum["sessionId"] != sess || !strings.Contains(sum["summaryDownloadUrl"], "/sandbox/downloads/") {
		t.Fatalf("summary %v", sum)
	}
	h.want(h.do("GET", base+"/sessions/nope/summary", ""), 404)
	h.want(h.do("GET", base+"/recordings/"+rec["id"].(string), ""), 200)
}

// Ensure kick-all ends the session with HOST_ENDED_MEETING after everyone
// still in it has left, and that a disabled or unsubscribed webhook gets
// nothing.
func TestKickAllSendsEnded(t *testing.T) {
	h, sk := hookHarness(t, `["meeting.ended","meeting.participantLeft"]`)
	h.want(h.do("POST", base+"/webhooks", `{"name":"off","url":"http://127.0.0.1:1/x","events":["meeting.ended"],"enabled":false}`), 201)
	m := decode[meetingOut](t, h.want(h.do("POST", base+"/meetings", `{"title":"Sync"}`), 201).Data)
	a := decode[participantOut](t, h.want(h.do("POST", base+"/meetings/"+m.ID+"/participants", `{"name":"Ann","preset_name":"group_call_host","custom_participant_id":"mb-a"}`), 201).Data)
	if err := h.srv.Join(a.Token); err != nil {
		t.Fatal(err)
	}
	h.want(h.do("POST", base+"/meetings/"+m.ID+"/active-session/kick-all", ""), 200)
	if err := h.srv.WaitDeliveries(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(sk.names(), " "); got != "meeting.participantLeft meeting.ended:HOST_ENDED_MEETING" {
		t.Fatalf("webhooks %s", got)
	}
	if n := len(h.srv.Deliveries()); n != 2 {
		t.Fatalf("%d deliveries, want 2 (none to the disabled webhook)", n)
	}
}

// Ensure the browser room page enters and leaves through forms, answering
// each post with a redirect back to the page (never a token), and refuses
// an unknown participant.
func TestClientRoomPage(t *testing.T) {
	h := newHarness(t, sandbox.Options{})
	m := decode[meetingOut](t, h.want(h.do("POST", base+"/meetings", `{"title":"Sync <b>"}`), 201).Data)
	a := decode[participantOut](t, h.want(h.do("POST", base+"/meetings/"+m.ID+"/participants", `{"name":"Ann","preset_name":"group_call_host","custom_participant_id":"mb-a"}`), 201).Data)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) string {
		res, err := noRedirect.PostForm(h.url+path, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d", path, res.StatusCode)
		}
		return res.Header.Get("Location")
	}
	loc := post("/sandbox/rtk/enter", url.Values{"meeting": {m.ID}, "participant": {a.ID}})
	if !strings.HasPrefix(loc, "/sandbox/rtk/room?") || strings.Contains(loc, "error") {
		t.Fatalf("redirect %q", loc)
	}
	peers := h.srv.LivePeers(m.ID)
	if len(peers) != 1 {
		t.Fatalf("live peers %v", peers)
	}
	res, err := http.Get(h.url + loc)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{"Sync &lt;b&gt;", "Enter as Ann", "1 in the room", peers[0], "form-action"} {
		if !strings.Contains(string(page)+res.Header.Get("Content-Security-Policy"), want) {
			t.Fatalf("room page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(string(page), a.Token) {
		t.Fatal("room page shows the token")
	}
	post("/sandbox/rtk/leave", url.Values{"meeting": {m.ID}, "participant": {a.ID}, "peer": {peers[0]}})
	if len(h.srv.LivePeers(m.ID)) != 0 {
		t.Fatal("leave did not leave")
	}
	if loc := post("/sandbox/rtk/leave", url.Values{"meeting": {m.ID}, "participant": {a.ID}, "peer": {peers[0]}}); !strings.Contains(loc, "error=") {
		t.Fatalf("second leave redirect %q lacks the error", loc)
	}
	if res, _ := http.Get(h.url + "/sandbox/rtk/room?meeting=" + m.ID + "&participant=nope"); res.StatusCode != 404 {
		t.Fatalf("unknown participant: %d", res.StatusCode)
	}
}
