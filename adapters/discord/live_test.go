package discord_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	dg "github.com/bwmarrin/discordgo"

	"github.com/meetbot/meetbot/adapters/discord"
	"github.com/meetbot/meetbot/core"
)

// TestLiveCardText: a live card says how many are in the room, since when
// and who (escaped, at most ten names then "+N") and keeps its Join
// button; an ended card gives length, attendance and the RSVP comparison.
func TestLiveCardText(t *testing.T) {
	start := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	m := &core.Meeting{ID: "7", Title: "Sync", Organizer: "111111111111111111", Start: start, Duration: time.Hour,
		TimeZone: "UTC", State: core.StateScheduled, RSVPs: map[string]core.RSVP{"2": core.RSVPYes}}
	occ := core.Occurrence{Start: start, End: start.Add(time.Hour), Original: start}
	w := core.WindowOf(occ, 5*time.Minute, 5*time.Minute)
	var people []core.Attendee
	people = append(people, core.Attendee{Name: "@everyone **bold** <@&1>", InRoom: true, FirstJoin: start})
	for i := range 11 {
		people = append(people, core.Attendee{Name: fmt.Sprintf("P%d", i), InRoom: true, FirstJoin: start.Add(time.Duration(i+1) * time.Second)})
	}
	live := core.RoomState{Occurrence: occ, AttendanceSummary: core.AttendanceSummary{Live: true, Since: start, InRoom: 12, People: people}}
	e, buttons := discord.CardWithRoom(m, occ, w, start.Add(10*time.Minute), &live)
	d := e.Description
	for _, want := range []string{"Live · 12 in the room · since <t:", `@` + "\u200b" + `everyone \*\*bold\*\* \<@` + "\u200b" + `&1\>`, "P8 +2"} {
		if !strings.Contains(d, want) {
			t.Fatalf("description lacks %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, "P9") || strings.Contains(d, "@everyone") {
		t.Fatalf("description lists an eleventh name or a live mention:\n%s", d)
	}
	row, ok := buttons[0].(dg.ActionsRow)
	if !ok || len(row.Components) == 0 || row.Components[0].(dg.Button).Label != "Join" {
		t.Fatalf("buttons = %+v", buttons)
	}

	ended := core.RoomState{Occurrence: occ, AttendanceSummary: core.AttendanceSummary{Ended: true, Length: 34 * time.Minute,
		People: people[:7]}, RSVP: core.RSVPTally{Yes: 6, YesCame: 5, Unanswered: 2}}
	e, _ = discord.CardWithRoom(m, occ, w, start.Add(40*time.Minute), &ended)
	if !strings.Contains(e.Description, "Ended · 34 min · 7 attended\n5 of 6 \"yes\" came, 2 came without answering") {
		t.Fatalf("ended description:\n%s", e.Description)
	}
}
