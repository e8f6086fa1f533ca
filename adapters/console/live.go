package console

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

// The console prints every room event (started, participant_joined,
// participant_left, ended, recording, summary) as its own line; with
// --json an object whose "event" is the kind, with the meeting and the
// room's state.
var _ core.RoomNotifier = (*Console)(nil)

// roomOut is the room's state in JSON. Field names are a scripting
// interface: add fields, never rename or remove them.
type roomOut struct {
	Occurrence string      `json:"occurrence"`
	Live       bool        `json:"live"`
	Ended      bool        `json:"ended"`
	Since      string      `json:"since,omitempty"`
	InRoom     int         `json:"in_room"`
	Attended   int         `json:"attended"`
	Minutes    int         `json:"minutes"`
	People     []personOut `json:"people"`
	// RSVP compares who came with the answers.
	RSVP rsvpOut `json:"rsvp"`
}

type personOut struct {
	CustomID     string `json:"custom_id"`
	User         string `json:"user,omitempty"`
	Name         string `json:"name,omitempty"`
	FirstJoin    string `json:"first_join"`
	TotalSeconds int64  `json:"total_seconds"`
	InRoom       bool   `json:"in_room"`
}

type rsvpOut struct {
	Yes        int `json:"yes"`
	YesCame    int `json:"yes_came"`
	Unanswered int `json:"came_without_answering"`
}

func roomJSON(m *core.Meeting, r core.RoomState) *roomOut {
	f := func(t time.Time) string { return inZone(m, t) }
	o := &roomOut{
		Occurrence: f(r.Occurrence.Start), Live: r.Live, Ended: r.Ended, InRoom: r.InRoom, Attended: len(r.People),
		Minutes: int(r.Length.Round(time.Minute) / time.Minute), People: []personOut{},
		RSVP: rsvpOut{Yes: r.RSVP.Yes, YesCame: r.RSVP.YesCame, Unanswered: r.RSVP.Unanswered},
	}
	if !r.Since.IsZero() {
		o.Since = f(r.Since)
	}
	for _, p := range r.People {
		o.People = append(o.People, personJSON(m, p))
	}
	return o
}

func personJSON(m *core.Meeting, p core.Attendee) personOut {
	return personOut{CustomID: p.CustomID, User: p.UserID, Name: p.Name, FirstJoin: inZone(m, p.FirstJoin),
		TotalSeconds: int64(p.Total / time.Second), InRoom: p.InRoom}
}

// RoomNotice prints n as an event line.
func (c *Console) RoomNotice(ctx context.Context, n core.RoomNotice) error {
	m := n.Meeting
	o := output{Event: string(n.Kind), OK: true, Meeting: c.meetingOut(ctx, m), Room: roomJSON(m, n.State)}
	if n.Person != nil {
		p := personJSON(m, *n.Person)
		o.Person = &p
	}
	zone := m.TimeZone
	now := c.opts.Service.Now()
	at := func(t time.Time) string { return core.ClockTime(t, zone, now) }
	card := strings.Join(n.State.CardLines(func(s string) string { return s }, at, len(m.RSVPs) > 0), " / ")
	who := "someone"
	if n.Person != nil && n.Person.Name != "" {
		who = n.Person.Name
	}
	switch n.Kind {
	case core.RoomStarted:
		o.Text = fmt.Sprintf("Meeting %s (%q) is live.", m.ID, m.Title)
	case core.ParticipantJoined:
		o.Text = fmt.Sprintf("%s joined meeting %s. %s", who, m.ID, card)
	case core.ParticipantLeft:
		o.Text = fmt.Sprintf("%s left meeting %s. %s", who, m.ID, card)
	case core.RoomEnded:
		o.Text = fmt.Sprintf("Meeting %s (%q) ended. %s", m.ID, m.Title, card)
	case core.RecordingReady:
		o.Text = fmt.Sprintf("A recording of meeting %s (%q) is ready.", m.ID, m.Title)
		if link, ok := n.Links[c.user]; ok {
			// The console is one person's terminal: their own link is
			// theirs to see, like a join link.
			o.RecordingLink = link
			o.Text += " Your link: " + link
		}
	case core.SummaryReady:
		o.Text = fmt.Sprintf("Summary of meeting %s (%q):\n%s", m.ID, m.Title, n.Summary)
		o.Summary = n.Summary
	}
	c.emit(o)
	return nil
}
