package sandbox_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
)

// openHarness serves a sandbox kept in the file at path.
func openHarness(t *testing.T, path string) *harness {
	t.Helper()
	srv, err := sandbox.Open(path, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &harness{t: t, srv: srv, url: ts.URL}
}

// TestStateFileSurvivesRestart: a sandbox opened on a state file finds
// after a restart the meetings, statuses and participants the previous one
// had, and the tokens it issued still join; a deleted participant stays
// deleted. A file that is not a state file is refused, not overwritten.
func TestStateFileSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	h := openHarness(t, path)
	m := h.createMeeting("Standup · tag1")
	h.want(h.do("PATCH", base+"/meetings/"+m.ID, `{"status":"INACTIVE"}`), http.StatusOK)
	ana := h.addParticipant(m.ID, "c-ana", "Ana")
	bo := h.addParticipant(m.ID, "c-bo", "Bo")
	h.want(h.do("DELETE", base+"/meetings/"+m.ID+"/participants/"+bo.ID, ""), http.StatusOK)

	h2 := openHarness(t, path)
	info, ok := h2.srv.Meeting(m.ID)
	if !ok || info.Status != sandbox.StatusInactive || info.Title != "Standup · tag1" || info.Participants != 1 ||
		info.Roster[0].ID != ana.ID || info.Roster[0].CustomID != "c-ana" || info.Roster[0].Tokens != 1 {
		t.Fatalf("after restart: %+v %v", info, ok)
	}
	h2.want(h2.do("PATCH", base+"/meetings/"+m.ID, `{"status":"ACTIVE"}`), http.StatusOK)
	if err := h2.srv.Join(ana.Token); err != nil {
		t.Fatalf("a token issued before the restart: %v", err)
	}
	// The same custom id is still taken: the participant was kept.
	h2.want(h2.do("POST", base+"/meetings/"+m.ID+"/participants", `{"custom_participant_id":"c-ana","preset_name":"group_call_participant","name":"Ana"}`), http.StatusConflict)

	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sandbox.Open(bad, sandbox.Options{}); err == nil {
		t.Fatal("a broken state file was accepted")
	}
	if b, _ := os.ReadFile(bad); string(b) != "not json" {
		t.Fatalf("the broken file was overwritten: %q", b)
	}
}
