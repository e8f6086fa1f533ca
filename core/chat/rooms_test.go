package chat_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// summaryInsight answers Summary for one session only.
type summaryInsight struct{ session, text string }

func (summaryInsight) ActiveSession(context.Context, string) (core.LiveSession, bool, error) {
	return core.LiveSession{}, false, nil
}
func (summaryInsight) RecordingURL(context.Context, string) (string, time.Time, error) {
	return "", time.Time{}, core.Errorf(core.ENOTFOUND, "no recording")
}
func (s summaryInsight) Summary(_ context.Context, session string) (string, error) {
	if session == s.session {
		return s.text, nil
	}
	return "", core.Errorf(core.ENOTFOUND, "no summary")
}
func (s summaryInsight) FetchSummary(context.Context, string) (string, error) { return s.text, nil }

// TestSummaryCommand: "/meet summary" needs the setting (admins turn it
// on), says why there is none (no session; transcription off), shows the
// summary of the last session, and keeps a private meeting's to its
// invitees and hosts.
func TestSummaryCommand(t *testing.T) {
	t.Parallel()
	env := testenv.New(t, testenv.Options{})
	env.Service.SetRoomInsight(summaryInsight{session: "s2", text: "Decided: ship on Friday."})
	mustOK(t, handle(t, env, "ana", "/meet now standup"))
	if r := handle(t, env, "ana", "/meet summary 1"); r.OK || !strings.Contains(r.Text, "summaries on") {
		t.Fatalf("summary with the setting off = %+v", r)
	}
	if r := handle(t, env, "ana", "/meet settings summaries on"); r.OK {
		t.Fatalf("a non-admin turned summaries on: %+v", r)
	}
	r := mustOK(t, handleAs(t, env, platformAdmin("zed"), "/meet settings summaries on"))
	if !strings.Contains(r.Text, "AI summaries are now posted") {
		t.Fatalf("settings reply = %q", r.Text)
	}
	if r := mustOK(t, handle(t, env, "bo", "/meet settings")); !strings.Contains(r.Text, "AI summaries posted after meetings: on") {
		t.Fatalf("settings = %q", r.Text)
	}
	if r := handle(t, env, "ana", "/meet summary 1"); r.OK || !strings.Contains(r.Text, "no session yet") || !strings.Contains(r.Text, "transcription") {
		t.Fatalf("summary before any session = %+v", r)
	}
	m, _ := env.Store.FindMeetingByID(context.Background(), testenv.Workspace, "1")
	for _, s := range []string{"s1"} {
		if err := env.Service.HandleRoomEvent(context.Background(), core.RoomEvent{Kind: core.RoomStarted, RoomID: m.RoomID, SessionID: s, At: env.Clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if r := handle(t, env, "ana", "/meet summary 1"); r.OK || !strings.Contains(r.Text, "There is no summary of meeting 1") || !strings.Contains(r.Text, "transcription") {
		t.Fatalf("summary of a session without one = %+v", r)
	}
	if err := env.Service.HandleRoomEvent(context.Background(), core.RoomEvent{Kind: core.RoomStarted, RoomID: m.RoomID, SessionID: "s2", At: env.Clock.Now()}); err != nil {
		t.Fatal(err)
	}
	r = mustOK(t, handle(t, env, "bo", "/meet summary 1"))
	if !r.Private || r.Summary != "Decided: ship on Friday." || !strings.Contains(r.Text, "Decided: ship on Friday.") {
		t.Fatalf("summary = %+v", r)
	}

	mustOK(t, handle(t, env, "ana", "/meet now 1:1 with @bo private"))
	if r := handle(t, env, "bo", "/meet summary 2"); r.OK || r.Err.Code != core.ENOTFOUND {
		t.Fatalf("invitee's summary of a private meeting with no session = %+v", r)
	}
	if r := handleAs(t, env, platformAdmin("zed"), "/meet summary 2"); r.OK || r.Err.Code != core.EFORBIDDEN {
		t.Fatalf("an admin who is not invited read a private summary: %+v", r)
	}
}
