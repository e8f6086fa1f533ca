// Package dump is the driver-neutral shape of a whole store, record by
// record, so one backend can be copied into another (bot migrate): a
// driver's Export yields Items, another driver's Import writes them in its
// own key layout. Records travel as core's types; what core has no type
// for (id counters, secrets with their birth, delivery keys) is spelled out
// here.
package dump

import (
	"time"

	"github.com/meetbot/meetbot/core"
)

// Item is one stored record. Exactly one field is set.
type Item struct {
	Meeting      *core.Meeting
	Counter      *Counter
	Participant  *core.Participant
	User         *core.User
	Workspace    *core.Workspace
	Secret       *Secret
	Installation *core.Installation
	Once         *Once
	Job          *core.DueJob
	Attendance   *core.Attendance
}

// Counter is a workspace's meeting counters: the last id handed out (so
// the next meeting continues the sequence, never reusing an id) and the
// longest duration ever stored (FindMeetings' look-back).
type Counter struct {
	Workspace   core.WorkspaceKey
	LastID      uint64
	MaxDuration time.Duration
}

// Secret is a process-independent secret (the join-link key, the
// participant-id key, ...), kept byte for byte so links issued before a
// copy still verify after it.
type Secret struct {
	Name      string
	Value     []byte
	CreatedAt time.Time
}

// Once is a delivery key remembered until Expires.
type Once struct {
	Key     string
	Expires time.Time
}

// Counts tallies Items by kind, for a migration's report and its check.
type Counts struct {
	Meetings, Counters, Participants, Users, Workspaces, Secrets, Installations, Once, Jobs int
	// Attendance counts attendance records (one per occurrence).
	Attendance int
}

// Add counts it.
func (c *Counts) Add(it Item) {
	switch {
	case it.Meeting != nil:
		c.Meetings++
	case it.Counter != nil:
		c.Counters++
	case it.Participant != nil:
		c.Participants++
	case it.User != nil:
		c.Users++
	case it.Workspace != nil:
		c.Workspaces++
	case it.Secret != nil:
		c.Secrets++
	case it.Installation != nil:
		c.Installations++
	case it.Once != nil:
		c.Once++
	case it.Job != nil:
		c.Jobs++
	case it.Attendance != nil:
		c.Attendance++
	}
}
