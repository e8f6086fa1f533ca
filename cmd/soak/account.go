package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/bolt"
)

// Report is what a run counted.
type Report struct {
	Meetings int // meetings asked for
	Leads    int // reminders per meeting
	Acked    int // schedules answered with a meeting id
	Unacked  int // schedules without one
	Kills    int // SIGKILLs done
	// Rates are the bot's clock rates, in order: 1 (the wall clock) while
	// it schedules, then the faster one during the kills, and any slower
	// one a loaded machine made the harness go to (slowDown). Every time
	// below is on the bot's clock but Restarts.
	Rates []float64
	// Slot is the time between two kill slots' starts, and Restarts how
	// long each restart took from its SIGKILL to /readyz, in real time: a
	// restart longer than a slot pushes the next kill later.
	Slot     time.Duration
	Restarts []time.Duration

	Reminders int // reminder jobs stored for the acknowledged meetings
	Once      int // reminders posted exactly once
	// Twice counts reminders posted twice. Explained says how many of
	// those had a SIGKILL between the unrecorded post and the recorded one
	// (the life that sent the first was killed before the life that sent
	// the second): the process died between posting and recording, and a
	// later life posted again (at-least-once delivery).
	Twice, Explained int
	More             int // reminders posted more than twice (never acceptable)
	// Lost counts reminders never done, given up, or missing from the store.
	Lost int
	// Superseded counts reminders done without a post: after a restart a
	// later reminder of the same meeting was due already, and only the
	// latest is sent.
	Superseded int
	// Unmatched counts reminders recorded with a post reference the fake
	// Slack never handed out (would mean a record of a post that did not happen).
	Unmatched int
	Late      []time.Duration // done - planned, for each posted reminder

	RoomsUpstream int // rooms the sandbox holds at the end
	// Orphans are upstream rooms no meeting records (a second room for one
	// meeting, or one whose creation was never recorded).
	Orphans int
	// NoRoom counts acknowledged meetings without a recorded room.
	NoRoom int
	// OpenAfter counts rooms ACTIVE upstream, or recorded ACTIVE, once every
	// window has closed.
	OpenAfter int
	// NotEnded counts meetings not marked ended after their window.
	NotEnded int
}

// account reads the bbolt file (the bot is stopped) and compares every
// acknowledged meeting's reminder jobs with the posts the fake Slack
// received, and every meeting's room with what the sandbox holds.
func (h *harness) account(ctx context.Context, rep *Report, starts map[string]time.Time) error {
	db, err := bolt.Open(h.dbPath, bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T1"}
	byMeeting := map[string][]post{}
	for _, p := range h.posts() {
		byMeeting[p.meeting] = append(byMeeting[p.meeting], p)
	}
	for id, start := range starts {
		jobs, err := db.FindJobs(ctx, ws, id)
		if err != nil {
			return err
		}
		var reminders []core.DueJob
		for _, j := range jobs {
			if j.Kind == core.JobRemind {
				reminders = append(reminders, j)
			}
		}
		rep.Reminders += len(reminders)
		rep.Lost += max(0, len(h.o.Leads)-len(reminders)) // a reminder never planned
		h.accountMeeting(rep, start, reminders, byMeeting[id])
	}
	return h.accountRooms(ctx, db, ws, rep, starts)
}

// accountMeeting matches one meeting's reminder jobs with its posts. A
// post no job recorded is a duplicate. It is charged to the reminder whose
// due time is the latest at or before the post (reminders of a meeting are
// 10 s apart and a post never precedes its due time), and it is explained
// when a SIGKILL came between it and that reminder's recorded post: the
// life that sent it was SIGKILLed, itself or a later one before the life
// that sent the recorded post (each life posts under its own path, so
// this is exact, whatever the moments the harness saw them at).
func (h *harness) accountMeeting(rep *Report, start time.Time, jobs []core.DueJob, posts []post) {
	recorded := map[string]bool{}
	deliveries := make([]int, len(jobs))
	explained := make([]int, len(jobs))
	recordedBy := make([]int, len(jobs)) // the life of the recorded post
	byLead := map[time.Duration]int{}
	for i, j := range jobs {
		byLead[j.Lead] = i
		recordedBy[i] = math.MaxInt // none: any kill after the post explains it
		switch {
		case j.DoneAt.IsZero(), j.Failed:
			rep.Lost++
			continue
		case j.PostRef == "":
			rep.Superseded++
			continue
		}
		k := slices.IndexFunc(posts, func(p post) bool { return strings.Contains(j.PostRef, p.ts) })
		if k < 0 {
			rep.Unmatched++
			continue
		}
		recorded[posts[k].ts] = true
		recordedBy[i] = posts[k].life
		deliveries[i]++
		rep.Late = append(rep.Late, j.DoneAt.Sub(start.Add(-j.Lead)))
	}
	for _, p := range posts {
		if recorded[p.ts] {
			continue
		}
		i, ok := byLead[h.slotOf(start, p.at)]
		if !ok {
			rep.Unmatched++ // a post of a reminder that was never stored
			continue
		}
		deliveries[i]++
		if h.killedBetween(p.life, recordedBy[i]) {
			explained[i]++
		}
	}
	for i, d := range deliveries {
		switch {
		case d == 1:
			rep.Once++
		case d == 2:
			rep.Twice++
			rep.Explained += explained[i]
		case d > 2:
			rep.More++
		}
	}
}

// slotOf is the lead of the reminder due latest at or before t.
func (h *harness) slotOf(start, t time.Time) time.Duration {
	best := h.o.Leads[0]
	for _, l := range h.o.Leads {
		if !start.Add(-l).After(t) && l < best {
			best = l
		}
	}
	return best
}

// killedBetween reports whether a SIGKILL ended one of the lives from
// (the one that posted) to before to (the one that recorded).
func (h *harness) killedBetween(from, to int) bool {
	for _, k := range h.kills {
		if from <= k.Life && k.Life < to {
			return true
		}
	}
	return false
}

// accountRooms checks that every acknowledged meeting has one recorded
// room, that no upstream room is unrecorded, and that no room is open now
// that every window has closed.
func (h *harness) accountRooms(ctx context.Context, db *bolt.DB, ws core.WorkspaceKey, rep *Report, starts map[string]time.Time) error {
	ms, err := db.FindMeetings(ctx, core.MeetingFilter{Workspace: ws})
	if err != nil {
		return err
	}
	rooms, err := h.upstreamRooms(ctx)
	if err != nil {
		return err
	}
	rep.RoomsUpstream = len(rooms)
	recorded := map[string]bool{}
	for _, m := range ms {
		if m.RoomID != "" {
			recorded[m.RoomID] = true
		}
		if _, ok := starts[m.ID]; !ok {
			continue
		}
		if m.RoomID == "" {
			rep.NoRoom++
		}
		if m.RoomStatus == core.RoomActive {
			rep.OpenAfter++
		}
		if m.State != core.StateEnded {
			rep.NotEnded++
		}
	}
	for _, r := range rooms {
		if !recorded[r.ID] {
			rep.Orphans++
		}
		if r.Status == string(core.RoomActive) {
			rep.OpenAfter++
		}
	}
	return nil
}

// String renders the report.
func (r *Report) String() string {
	return fmt.Sprintf(`meetings: %d asked, %d acknowledged, %d unanswered; SIGKILLs: %d
bot's clock rates: %v; kill slots %v apart, restarts (SIGKILL to ready, real time): %s
reminders: %d stored (%d per meeting); posted once: %d; posted twice: %d (a SIGKILL between the unrecorded post and the recorded one: %d); more than twice: %d
reminders lost: %d; superseded by a later one after a restart: %d; recorded posts Slack never saw or posts never recorded: %d
reminder lateness on the bot's clock (done - planned): %s
rooms upstream: %d; orphans: %d; meetings without a room: %d; rooms open after their window: %d; meetings not ended: %d
`, r.Meetings, r.Acked, r.Unacked, r.Kills, r.Rates, r.Slot.Round(time.Millisecond), summary(r.Restarts), r.Reminders, r.Leads, r.Once, r.Twice, r.Explained, r.More,
		r.Lost, r.Superseded, r.Unmatched, summary(r.Late), r.RoomsUpstream, r.Orphans, r.NoRoom, r.OpenAfter, r.NotEnded)
}

// OK reports whether the run met the bar: nothing lost, nothing posted
// more than twice, every second post explained by a kill, no orphan room,
// no room open after its window, every meeting with its room.
func (r *Report) OK() bool {
	return r.Lost == 0 && r.More == 0 && r.Twice == r.Explained && r.Unmatched == 0 &&
		r.Orphans == 0 && r.OpenAfter == 0 && r.NoRoom == 0 && r.Acked == r.Meetings
}

// summary renders min/median/max of ds.
func summary(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("min %v, median %v, p99 %v, max %v (n=%d)", r(s[0]), r(s[len(s)/2]), r(s[len(s)*99/100]), r(s[len(s)-1]), len(s))
}
