// Package chatkittest is the test half of chatkit: what the tests of every
// chat adapter need around the adapter itself, so that Slack's and
// Discord's tests (and a third platform's) say the same things the same
// way instead of each carrying a copy. It records the rate-limit waits an
// adapter asks for instead of spending them, sends a request to the
// adapter's HTTP handler and reads the whole answer, and reads back what
// the adapter stored. The platform's wire format (signing, payloads, its
// fake API's answers) stays in the adapter's own tests.
//
// It is test support, imported only from _test.go files.
package chatkittest

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Sleeps records the waits an adapter asks for through its Options.Sleep
// and returns at once, with the context's error as a real wait would, so
// rate-limit tests spend no real time and can assert each wait.
type Sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

// Sleep is an Options.Sleep: it records d.
func (s *Sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

// All returns the waits asked for so far, oldest first.
func (s *Sleeps) All() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// Since returns the waits asked for after the first n (a count taken with
// len(All()) before the step under test).
func (s *Sleeps) Since(n int) []time.Duration { return s.All()[n:] }

// Exchange sends req with client and returns the answer's status, its
// Content-Type and its whole body. A request that gets no answer fails
// the test.
func Exchange(t testing.TB, client *http.Client, req *http.Request) (status int, contentType string, body []byte) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the answer to %s %s: %v", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// Meetings returns the meetings stored for workspace ws.
func Meetings(t testing.TB, store core.Store, ws core.WorkspaceKey) []*core.Meeting {
	t.Helper()
	ms, err := store.FindMeetings(context.Background(), core.MeetingFilter{Workspace: ws})
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// WantMeetings fails the test unless exactly want meetings are stored for
// ws; after says when, for the message ("after a replayed request").
// Call it once the adapter's work has finished (its Wait).
func WantMeetings(t testing.TB, store core.Store, ws core.WorkspaceKey, want int, after string) {
	t.Helper()
	if n := len(Meetings(t, store, ws)); n != want {
		t.Fatalf("%d meetings %s, want %d", n, after, want)
	}
}
