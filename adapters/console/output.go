package console

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/core/chat"
)

// output is one JSON line. Field names are a scripting interface: add
// fields, never rename or remove them.
type output struct {
	Event    string        `json:"event,omitempty"`
	OK       bool          `json:"ok"`
	Text     string        `json:"text"`
	Error    *errOut       `json:"error,omitempty"`
	Meeting  *meetingOut   `json:"meeting,omitempty"`
	Meetings []*meetingOut `json:"meetings,omitempty"`
	JoinURL  string        `json:"join_url,omitempty"`
	// Room is the room's state, on room events; Rooms the last
	// occurrences' rooms, newest first, on "/meet info".
	Room  *roomOut   `json:"room,omitempty"`
	Rooms []*roomOut `json:"rooms,omitempty"`
	// Person is who joined or left, on participant events.
	Person *personOut `json:"person,omitempty"`
	// RecordingLink is the typing person's own recording link, on a
	// recording event; Summary the summary text, on a summary event or
	// "/meet summary".
	RecordingLink string `json:"recording_link,omitempty"`
	Summary       string `json:"summary,omitempty"`
}

type errOut struct {
	Code        string `json:"code"`
	Message     string `json:"message"`
	OpensAt     string `json:"opens_at,omitempty"`
	EndedAt     string `json:"ended_at,omitempty"`
	CancelledBy string `json:"cancelled_by,omitempty"`
	RetryAfter  int    `json:"retry_after_seconds,omitempty"`
}

type meetingOut struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Status    string   `json:"status"`
	Start     string   `json:"start"`
	End       string   `json:"end"`
	TimeZone  string   `json:"timezone"`
	Organizer string   `json:"organizer"`
	Channel   string   `json:"channel"`
	Private   bool     `json:"private"`
	Invitees  []string `json:"invitees"`
	JoinOpens string   `json:"join_opens"`
	JoinClose string   `json:"join_closes"`
	// Repeats is the series' RRULE body; empty for a one-off meeting.
	Repeats string `json:"repeats,omitempty"`
}

func (c *Console) meetingOut(ctx context.Context, m *core.Meeting) *meetingOut {
	if m == nil {
		return nil
	}
	loc, err := core.LoadZone(m.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	// Start and end are the current occurrence's, so a series reads like
	// the meeting that matters now (status and join_* describe the same).
	occ, w := c.opts.Service.Current(ctx, m)
	inv := m.Invitees
	if inv == nil {
		inv = []string{}
	}
	return &meetingOut{
		ID:        m.ID,
		Title:     m.Title,
		Status:    chat.Status(m, w, c.opts.Service.Now()),
		Start:     occ.Start.In(loc).Format(time.RFC3339),
		End:       occ.End.In(loc).Format(time.RFC3339),
		Repeats:   m.Recurrence,
		TimeZone:  m.TimeZone,
		Organizer: m.Organizer,
		Channel:   m.Channel,
		Private:   m.Private,
		Invitees:  inv,
		JoinOpens: w.Opens.In(loc).Format(time.RFC3339),
		JoinClose: w.Closes.In(loc).Format(time.RFC3339),
	}
}

func (c *Console) toOutput(ctx context.Context, r chat.Reply) output {
	o := output{OK: r.OK, Text: r.Text, JoinURL: r.JoinURL, Meeting: c.meetingOut(ctx, r.Meeting), Summary: r.Summary}
	for _, rs := range r.Rooms {
		o.Rooms = append(o.Rooms, roomJSON(r.Meeting, rs))
	}
	for _, m := range r.Meetings {
		o.Meetings = append(o.Meetings, c.meetingOut(ctx, m))
	}
	if r.Meetings != nil && o.Meetings == nil {
		o.Meetings = []*meetingOut{}
	}
	if e := r.Err; e != nil {
		eo := &errOut{Code: string(e.Code), Message: e.Message, CancelledBy: e.CancelledBy}
		if !e.OpensAt.IsZero() {
			eo.OpensAt = inZone(r.Meeting, e.OpensAt)
		}
		if !e.EndedAt.IsZero() {
			eo.EndedAt = inZone(r.Meeting, e.EndedAt)
		}
		if e.RetryAfter > 0 {
			eo.RetryAfter = int(e.RetryAfter.Round(time.Second) / time.Second)
		}
		o.Error = eo
	}
	return o
}

// inZone formats t as RFC 3339 with the meeting zone's offset, so every
// time in one JSON object reads alike; UTC when there is no meeting.
func inZone(m *core.Meeting, t time.Time) string {
	if m != nil {
		if loc, err := core.LoadZone(m.TimeZone); err == nil {
			return t.In(loc).Format(time.RFC3339)
		}
	}
	return t.UTC().Format(time.RFC3339)
}

// emit prints one reply or event.
func (c *Console) emit(o output) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.opts.JSON {
		b, err := json.Marshal(o)
		if err != nil {
			b = []byte(`{"ok":false,"text":"internal error encoding the reply"}`)
		}
		fmt.Fprintf(c.opts.Out, "%s\n", b)
		return
	}
	if o.Text != "" {
		fmt.Fprintln(c.opts.Out, o.Text)
	}
}

func (c *Console) printText(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintln(c.opts.Out, s)
}

// Event prints an unprompted message (a reminder, later) as its own object
// with an "event" field, never merged into a reply.
func (c *Console) Event(ctx context.Context, kind, text string, m *core.Meeting) {
	c.emit(output{Event: kind, OK: true, Text: text, Meeting: c.meetingOut(ctx, m)})
}
