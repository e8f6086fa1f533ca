package realtimekit_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/core"
)

func TestCreateRoom(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	r := e.room(core.RoomInactive)
	if r.ID == "" || r.Status != core.RoomInactive {
		t.Fatalf("room %+v", r)
	}
	info, ok := e.srv.Meeting(r.ID)
	if !ok || info.Status != sandbox.StatusInactive || info.Title != "Standup · tag-TestCreateRoom" {
		t.Fatalf("upstream %+v", info)
	}
	if e.srv.Calls(sandbox.OpCreateMeeting) != 1 || e.srv.Calls(sandbox.OpUpdateMeeting) != 1 {
		t.Fatalf("calls: create %d update %d", e.srv.Calls(sandbox.OpCreateMeeting), e.srv.Calls(sandbox.OpUpdateMeeting))
	}

	e.srv.ResetCalls()
	r = e.room(core.RoomActive)
	if r.Status != core.RoomActive || e.srv.TotalCalls() != 1 {
		t.Fatalf("active room %+v took %d calls", r, e.srv.TotalCalls())
	}
	if got := realtimekit.RoomTitle("", "t1"); got != "t1" {
		t.Fatalf("RoomTitle without title = %q", got)
	}
}

func TestCreateRoomStatusFailureKeepsID(t *testing.T) {
	e := setup(t, realtimekit.Config{MaxRetries: -1}, sandbox.Options{})
	e.srv.AddFault(sandbox.Fault{Op: sandbox.OpUpdateMeeting, Status: 503})
	r, err := e.client.CreateRoom(t.Context(), core.CreateRoomRequest{Title: "X", Tag: "t", Status: core.RoomInactive})
	wantCode(t, err, core.EUNAVAILABLE)
	if r.ID == "" || r.Status != core.RoomActive {
		t.Fatalf("room with failed status change = %+v; want its id and ACTIVE", r)
	}
}

func TestFindRoomByTag(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	// The sandbox's search is case-insensitive, the tag check is not: 120
	// near-misses push the real match to the second page.
	for i := range 120 {
		if _, err := e.client.CreateRoom(t.Context(), core.CreateRoomRequest{Title: fmt.Sprint("R", i), Tag: "TAG-x"}); err != nil {
			t.Fatal(err)
		}
	}
	want, err := e.client.CreateRoom(t.Context(), core.CreateRoomRequest{Title: "Real", Tag: "tag-x", Status: core.RoomInactive})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.ResetCalls()
	got, ok, err := e.client.FindRoomByTag(t.Context(), "tag-x")
	if err != nil || !ok {
		t.Fatalf("FindRoomByTag = %+v, %v, %v", got, ok, err)
	}
	if got != want {
		t.Fatalf("found %+v, want %+v", got, want)
	}
	if n := e.srv.Calls(sandbox.OpListMeetings); n != 2 {
		t.Fatalf("%d list calls, want 2 pages", n)
	}
	_, ok, err = e.client.FindRoomByTag(t.Context(), "absent")
	if err != nil || ok {
		t.Fatalf("absent tag: %v, %v", ok, err)
	}
	_, _, err = e.client.FindRoomByTag(t.Context(), " ")
	wantCode(t, err, core.EINTERNAL)
}

func TestSetRoomStatusAndKickAll(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	r := e.room(core.RoomInactive)
	p := e.participant(r.ID, "u1")
	if err := e.srv.Join(p.Token); err != sandbox.ErrMeetingInactive {
		t.Fatalf("join before open: %v", err)
	}
	if err := e.client.SetRoomStatus(t.Context(), r.ID, core.RoomActive); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Join(p.Token); err != nil {
		t.Fatal(err)
	}
	if err := e.client.KickAll(t.Context(), r.ID); err != nil {
		t.Fatal(err)
	}
	info, _ := e.srv.Meeting(r.ID)
	if info.Live != nil || info.KickAlls != 1 {
		t.Fatalf("after KickAll %+v", info)
	}
	// No live session: the sandbox answers 404, KickAll reports success.
	if err := e.client.KickAll(t.Context(), r.ID); err != nil {
		t.Fatalf("KickAll without session: %v", err)
	}
	if err := e.client.SetRoomStatus(t.Context(), r.ID, core.RoomInactive); err != nil {
		t.Fatal(err)
	}
	if info, _ := e.srv.Meeting(r.ID); info.Status != sandbox.StatusInactive {
		t.Fatalf("status %s", info.Status)
	}
	wantCode(t, e.client.SetRoomStatus(t.Context(), "00000000-0000-4000-8000-000000000000", core.RoomActive), core.ENOTFOUND)
	wantCode(t, e.client.SetRoomStatus(t.Context(), r.ID, "OPEN"), core.EINTERNAL)
	wantCode(t, e.client.SetRoomStatus(t.Context(), "../presets", core.RoomActive), core.EINTERNAL)
	if e.srv.Calls(sandbox.OpKickAll) != 2 || e.srv.Calls(sandbox.OpUpdateMeeting) != 4 {
		t.Fatalf("calls: kick-all %d update %d", e.srv.Calls(sandbox.OpKickAll), e.srv.Calls(sandbox.OpUpdateMeeting))
	}
}

func TestAddParticipant(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	r := e.room(core.RoomActive)
	p := e.participant(r.ID, "slack:T1:U1")
	if p.ID == "" || p.Preset != "group_call_participant" {
		t.Fatalf("participant %+v", p)
	}
	c, err := e.srv.VerifyToken(p.Token)
	if err != nil {
		t.Fatal(err)
	}
	if c.MeetingID != r.ID || c.ParticipantID != p.ID || c.Name != "Mary" || c.CustomParticipantID != "slack:T1:U1" {
		t.Fatalf("claims %+v", c)
	}
	if e.srv.Calls(sandbox.OpAddParticipant) != 1 || e.srv.TotalCalls() != 2 {
		t.Fatalf("add took %d calls in total", e.srv.TotalCalls())
	}

	// A nameless request still gets a name upstream, so the token can join.
	q, err := e.client.AddParticipant(t.Context(), r.ID, core.AddParticipantRequest{CustomID: "u2", Preset: "group_call_host"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Join(q.Token); err != nil {
		t.Fatalf("join with defaulted name: %v", err)
	}

	_, err = e.client.AddParticipant(t.Context(), "00000000-0000-4000-8000-000000000000", core.AddParticipantRequest{CustomID: "u", Name: "n", Preset: "group_call_host"})
	wantCode(t, err, core.ENOTFOUND)
	_, err = e.client.AddParticipant(t.Context(), r.ID, core.AddParticipantRequest{Name: "n", Preset: "group_call_host"})
	wantCode(t, err, core.EINTERNAL)
}

func TestAddParticipantDuplicate(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	r := e.room(core.RoomActive)
	first := e.participant(r.ID, "slack:T1:U1")
	e.srv.ResetCalls()

	again := e.participant(r.ID, "slack:T1:U1")
	if again.ID != first.ID || again.Token == first.Token || again.Token == "" {
		t.Fatalf("duplicate add: %+v vs %+v", again.ID, first.ID)
	}
	if _, err := e.srv.VerifyToken(again.Token); err != nil {
		t.Fatal(err)
	}
	for op, want := range map[string]int{sandbox.OpAddParticipant: 1, sandbox.OpListParticipants: 1,
		sandbox.OpRefreshToken: 1, sandbox.OpEditParticipant: 0} {
		if got := e.srv.Calls(op); got != want {
			t.Errorf("Calls(%s) = %d, want %d", op, got, want)
		}
	}

	// The same person promoted to host: the existing participant moves preset.
	host, err := e.client.AddParticipant(t.Context(), r.ID, core.AddParticipantRequest{
		CustomID: "slack:T1:U1", Name: "Mary", Preset: "group_call_host"})
	if err != nil {
		t.Fatal(err)
	}
	info, _ := e.srv.Meeting(r.ID)
	if host.ID != first.ID || host.Preset != "group_call_host" || info.Participants != 1 || info.Roster[0].PresetName != "group_call_host" {
		t.Fatalf("promoted %+v, upstream %+v", host, info.Roster)
	}
}

func TestAddParticipantAfterAmbiguousFailure(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	r := e.room(core.RoomActive)
	// Created upstream, but the client sees a 503: it must not retry the
	// POST itself, and the caller's retry must reuse the participant.
	e.srv.AddFault(sandbox.Fault{Op: sandbox.OpAddParticipant, Status: 503, AfterApply: true, Times: 1})
	_, err := e.client.AddParticipant(t.Context(), r.ID, core.AddParticipantRequest{CustomID: "u1", Name: "M", Preset: "group_call_participant"})
	wantCode(t, err, core.EUNAVAILABLE)
	if n := e.srv.Calls(sandbox.OpAddParticipant); n != 1 {
		t.Fatalf("POST sent %d times", n)
	}
	p := e.participant(r.ID, "u1")
	info, _ := e.srv.Meeting(r.ID)
	if info.Participants != 1 || info.Roster[0].ID != p.ID {
		t.Fatalf("roster %+v, got %+v", info.Roster, p)
	}
}

func TestAddParticipantUnknownPreset(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	r := e.room(core.RoomActive)
	_, err := e.client.AddParticipant(t.Context(), r.ID, core.AddParticipantRequest{CustomID: "u1", Name: "M", Preset: "vip_lounge"})
	ce := wantCode(t, err, core.EINVALID)
	if !strings.Contains(ce.Message, `"vip_lounge"`) {
		t.Fatalf("message %q does not name the preset", ce.Message)
	}
}

func TestRefreshToken(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	r := e.room(core.RoomActive)
	p := e.participant(r.ID, "u1")
	tok, err := e.client.RefreshToken(t.Context(), r.ID, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tok == p.Token {
		t.Fatal("refresh returned the old token")
	}
	if c, err := e.srv.VerifyToken(tok); err != nil || c.ParticipantID != p.ID {
		t.Fatalf("refreshed token: %+v, %v", c, err)
	}
	_, err = e.client.RefreshToken(t.Context(), r.ID, "00000000-0000-4000-8000-000000000000")
	wantCode(t, err, core.ENOTFOUND)
	_, err = e.client.RefreshToken(t.Context(), r.ID, "")
	wantCode(t, err, core.EINTERNAL)
}

func TestRemoveParticipant(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	r := e.room(core.RoomActive)
	p := e.participant(r.ID, "u1")
	other := e.participant(r.ID, "u2")
	for _, tok := range []string{p.Token, other.Token} {
		if err := e.srv.Join(tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.client.RemoveParticipant(t.Context(), r.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	info, _ := e.srv.Meeting(r.ID)
	if info.Participants != 1 || len(info.Live) != 1 || info.Live[0] != other.ID {
		t.Fatalf("after remove: %+v", info)
	}
	if err := e.srv.Join(p.Token); err != sandbox.ErrParticipantGone {
		t.Fatalf("removed participant joined: %v", err)
	}
	// Gone already, and a room without a live session: both fine.
	if err := e.client.RemoveParticipant(t.Context(), r.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.client.KickAll(t.Context(), r.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.client.RemoveParticipant(t.Context(), r.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	if e.srv.Calls(sandbox.OpKick) != 3 || e.srv.Calls(sandbox.OpDeleteParticipant) != 3 {
		t.Fatalf("calls: kick %d delete %d", e.srv.Calls(sandbox.OpKick), e.srv.Calls(sandbox.OpDeleteParticipant))
	}
}

func TestListAndCheckPresets(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	names, err := e.client.ListPresets(t.Context())
	if err != nil || len(names) != 6 || names[0] != "group_call_host" {
		t.Fatalf("presets %v, %v", names, err)
	}
	if err := e.client.CheckPresets(t.Context(), "group_call_host", "group_call_participant"); err != nil {
		t.Fatal(err)
	}
	err = e.client.CheckPresets(t.Context(), "group_call_host", "host", "guest")
	ce := wantCode(t, err, core.EINVALID)
	for _, want := range []string{`"host", "guest"`, "webinar_viewer"} {
		if !strings.Contains(ce.Message, want) {
			t.Errorf("message %q lacks %q", ce.Message, want)
		}
	}

	many := make([]string, 250)
	for i := range many {
		many[i] = fmt.Sprintf("preset_%03d", i)
	}
	e = setup(t, realtimekit.Config{}, sandbox.Options{Presets: many})
	names, err = e.client.ListPresets(t.Context())
	if err != nil || len(names) != 250 || names[249] != "preset_249" {
		t.Fatalf("%d presets, %v", len(names), err)
	}
	if n := e.srv.Calls(sandbox.OpListPresets); n != 3 {
		t.Fatalf("%d pages read, want 3", n)
	}
}

func TestBothPathPrefixes(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{}) // base URL …/client/v4/
	bare, err := realtimekit.New(realtimekit.Config{BaseURL: e.url, AccountID: "a", AppID: "b", APIToken: apiToken}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bare.ListPresets(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.ListPresets(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.Calls(sandbox.OpListPresets); n != 2 {
		t.Fatalf("sandbox saw %d calls, want 2", n)
	}
}

func TestUnresolvableConflictAndFailedKick(t *testing.T) {
	e := setup(t, realtimekit.Config{}, sandbox.Options{})
	r := e.room(core.RoomActive)
	// A 409 for a custom id that the list does not show: nothing to reuse.
	e.srv.AddFault(sandbox.Fault{Op: sandbox.OpAddParticipant, Status: 409, Times: 1})
	_, err := e.client.AddParticipant(t.Context(), r.ID, core.AddParticipantRequest{CustomID: "u1", Name: "M", Preset: "group_call_host"})
	wantCode(t, err, core.ECONFLICT)

	// A busy kick stops the removal, so the caller retries it whole.
	p := e.participant(r.ID, "u1")
	e.srv.AddFault(sandbox.Fault{Op: sandbox.OpKick, Status: 503, Times: 1})
	wantCode(t, e.client.RemoveParticipant(t.Context(), r.ID, p.ID), core.EUNAVAILABLE)
	if e.srv.Calls(sandbox.OpDeleteParticipant) != 0 {
		t.Fatal("deleted although the kick failed")
	}
	if err := e.client.RemoveParticipant(t.Context(), r.ID, p.ID); err != nil {
		t.Fatal(err)
	}
}
