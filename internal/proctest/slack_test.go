package proctest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// TestSlackAPIRecordsReminders: a reminder post reaches OnReminder with the
// path prefix and the meeting id and a ts no other post has; any other call
// is only counted.
func TestSlackAPIRecordsReminders(t *testing.T) {
	var mu sync.Mutex
	var got []Reminder
	api := &SlackAPI{Team: "T", OnReminder: func(r Reminder) { mu.Lock(); got = append(got, r); mu.Unlock() }}
	srv := httptest.NewServer(api)
	defer srv.Close()
	post := func(path, text string) {
		resp, err := http.PostForm(srv.URL+path, url.Values{"channel": {"C1"}, "text": {text}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	post("/r1/api/chat.postMessage", "Reminder: Sync starts in 5 min (meeting 7)")
	post("/r1/api/chat.postMessage", "Reminder: Sync starts now (meeting 7)")
	post("/api/chat.postMessage", "Reminder: Review starts now (meeting 9)")
	post("/api/chat.postMessage", "Scheduled Sync")
	post("/api/auth.test", "")
	if len(got) != 3 || got[0].Prefix != "r1" || got[0].Meeting != "7" || got[0].TS == got[1].TS || got[0].TS == "" ||
		got[2].Prefix != "" || got[2].Meeting != "9" {
		t.Fatalf("reminders = %+v", got)
	}
	if n := api.Other(); n != 2 {
		t.Fatalf("other calls = %d, want 2", n)
	}
}
