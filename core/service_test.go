package core_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/meetbot/meetbot/core"
)

// TestServiceMethodSet guards the composition of Service. Its use cases
// are the methods of embedded parts, and Go drops a promoted method
// silently when two parts define one of the same name; an adapter calling
// it would then fail to build. This names every use case, so such a clash
// (or a use case lost in a move) fails here, in core.
func TestServiceMethodSet(t *testing.T) {
	want := []string{
		"CalendarCode", "CalendarURL", "Cancel", "CloseEndedRooms", "Config", "Current",
		"CurrentMeeting", "FlushCards", "HandleRoomEvent", "Info", "InfoURL", "Invite", "InviteHosts", "IsAdmin", "Join", "List", "Location", "LocationSource", "Move", "Now", "Observer", "OpenLink", "OpenRecording", "OpenWindows", "Plan", "PublicMeeting", "RSVP", "Recover", "Remove", "RoomHistory", "RoomIdentity", "RoomState", "RunJob", "Schedule", "SetCard", "SetMirror", "SetNotifier", "SetRoomInsight", "SetTimeZone", "SetWaker", "Settings", "Skip", "Summary", "SyncRoom", "TakeZoneHint", "UpdateSettings", "WindowOf",
	}
	typ := reflect.TypeFor[*core.Service]()
	var got []string
	for i := range typ.NumMethod() {
		got = append(got, typ.Method(i).Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("*core.Service methods = %v,\nwant %v", got, want)
	}
}
