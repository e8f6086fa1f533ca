package web_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// linkCatcher is a notifier that keeps the recording links core hands out.
type linkCatcher struct {
	mu    sync.Mutex
	links map[string]string
}

func (c *linkCatcher) Remind(context.Context, core.Reminder) (string, error) { return "", nil }
func (c *linkCatcher) Announce(context.Context, core.Announcement) error     { return nil }
func (c *linkCatcher) RoomNotice(_ context.Context, n core.RoomNotice) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for u, l := range n.Links {
		c.links[u] = l
	}
	return nil
}

// recInsight hands out a fresh download URL per call.
type recInsight struct {
	mu    sync.Mutex
	calls int
}

func (*recInsight) ActiveSession(context.Context, string) (core.LiveSession, bool, error) {
	return core.LiveSession{}, false, nil
}

func (r *recInsight) RecordingURL(_ context.Context, id string) (string, time.Time, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	return "https://upstream.example/" + id + "?sig=fresh", time.Time{}, nil
}
func (*recInsight) Summary(context.Context, string) (string, error)      { return "", nil }
func (*recInsight) FetchSummary(context.Context, string) (string, error) { return "", nil }

// TestRecordingLink: the organizer's personal recording link redirects to
// a fresh upstream URL, with no-store and no-referrer; a forged link, an
// unfurler, an expired link and a workspace that turned recordings off
// get no redirect; the upstream URL is never logged.
func TestRecordingLink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOpts{})
	ctx := context.Background()
	catcher := &linkCatcher{links: map[string]string{}}
	ins := &recInsight{}
	e.svc.SetNotifier(catcher)
	e.svc.SetRoomInsight(ins)
	m := e.schedule(ana, "Review", t0, 30*time.Minute)
	e.join(ana, m.ID) // makes the room
	m, _ = e.store.FindMeetingByID(ctx, wsLocal, m.ID)
	if m.RoomID == "" {
		t.Fatal("no room after a join")
	}
	setRecordings := func(on bool) {
		if _, err := e.store.UpdateWorkspace(ctx, wsLocal, func(w *core.Workspace) error { w.Recordings = on; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	rec := core.RoomEvent{Kind: core.RecordingReady, RoomID: m.RoomID, SessionID: "s1", RecordingID: "rec-1", At: t0.Add(2 * time.Hour)}

	// Off (the default): nobody gets a link.
	if err := e.svc.HandleRoomEvent(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if len(catcher.links) != 0 {
		t.Fatalf("recordings off, yet links %v", catcher.links)
	}
	setRecordings(true)
	rec.RecordingID = "rec-2"
	if err := e.svc.HandleRoomEvent(ctx, rec); err != nil {
		t.Fatal(err)
	}
	link := catcher.links["ana"]
	path, ok := strings.CutPrefix(link, e.srv.URL)
	if !ok || !strings.HasPrefix(path, "/r/") || len(catcher.links) != 1 {
		t.Fatalf("links = %v", catcher.links)
	}

	r := e.get(path)
	wantStatus(t, r, http.StatusFound)
	if loc := r.header.Get("Location"); loc != "https://upstream.example/rec-2?sig=fresh" {
		t.Fatalf("Location = %q", loc)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("headers = %v", r.header)
	}

	// Tampered: one character of the signature changed.
	flip := "A"
	if strings.HasSuffix(path, "A") {
		flip = "B"
	}
	bad := path[:len(path)-1] + flip
	wantStatus(t, e.get(bad), http.StatusForbidden)

	// An unfurler gets a neutral page and no redirect.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header.Set("User-Agent", "Slackbot-LinkExpanding 1.0")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" {
		t.Fatalf("unfurler got %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Turned off later: the link stops working.
	setRecordings(false)
	wantStatus(t, e.get(path), http.StatusForbidden)
	setRecordings(true)

	// Expired after a week.
	e.clock.Advance(core.RecordingLinkTTL + time.Minute)
	if r := e.get(path); r.status == http.StatusFound {
		t.Fatal("an expired recording link still redirects")
	}
	if ins.calls != 1 {
		t.Fatalf("RecordingURL called %d times, want once (only for the good link)", ins.calls)
	}
	if strings.Contains(e.logs.String(), "upstream.example") || strings.Contains(e.logs.String(), path[3:]) {
		t.Fatal("the upstream URL or the link's code was logged")
	}
}
