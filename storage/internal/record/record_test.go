package record

import (
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// Ensure the stored bytes stay exactly what bbolt files and etcd keyspaces
// already hold: both drivers and bot migrate depend on this one format, so
// a renamed field or tag must fail here, not in a user's store.
func TestFormatIsStable(t *testing.T) {
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	start := time.Date(2031, 3, 30, 9, 30, 0, 5, time.FixedZone("X", 3600))
	m := &core.Meeting{Workspace: ws, ID: "7", Channel: "C1", Title: "sync", Start: start, TimeZone: "Europe/Berlin",
		Duration: time.Hour, State: core.StateScheduled, RSVPs: map[string]core.RSVP{"U1": core.RSVPYes}, Version: 3}
	const wantMeeting = `{"platform":"slack","workspace":"T1","id":"7","channel":"C1","title":"sync","start":"2031-03-30T08:30:00.000000005Z","time_zone":"Europe/Berlin","duration_ns":3600000000000,"rsvps":{"U1":"yes"},"state":"scheduled","version":3}`
	v, err := EncodeMeeting(m)
	if err != nil || string(v) != wantMeeting {
		t.Fatalf("EncodeMeeting = %s, %v\nwant %s", v, err, wantMeeting)
	}
	back, err := DecodeMeeting(ws, "7", v)
	if err != nil || !back.Start.Equal(start) || back.RSVPs["U1"] != core.RSVPYes || back.Version != 3 {
		t.Fatalf("DecodeMeeting = %+v, %v", back, err)
	}
	if _, err := DecodeMeeting(core.WorkspaceKey{Platform: core.PlatformDiscord, ID: "T1"}, "7", v); err == nil {
		t.Fatal("a record decoded under another platform's key")
	}

	j := &core.DueJob{ID: "j1", Workspace: ws, Meeting: "7", Due: start, Occurrence: start, Kind: core.JobOpen}
	const wantJob = `{"id":"j1","platform":"slack","workspace":"T1","meeting":"7","due":"2031-03-30T08:30:00.000000005Z","occurrence":"2031-03-30T08:30:00.000000005Z","kind":"open"}`
	if v, err := EncodeJob(j); err != nil || string(v) != wantJob {
		t.Fatalf("EncodeJob = %s, %v\nwant %s", v, err, wantJob)
	}
	if _, err := DecodeJob("j2", []byte(wantJob)); err == nil {
		t.Fatal("a job record decoded under another id")
	}
	none := []time.Duration{}
	w := &core.Workspace{Key: ws, Reminders: none}
	v, err = EncodeWorkspace(w)
	if err != nil || string(v) != `{"platform":"slack","workspace":"T1","reminders_ns":[]}` {
		t.Fatalf("EncodeWorkspace with no reminders = %s, %v", v, err)
	}
	if back, err := DecodeWorkspace(ws, v); err != nil || back.Reminders == nil || len(back.Reminders) != 0 {
		t.Fatalf("no reminders came back as %#v, %v; want empty, not nil", back.Reminders, err)
	}
}
