package storagetest

import (
	"sync"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
)

// runPlannedCreateTests checks CreatePlannedMeeting: the meeting is stored
// as CreateMeeting stores it, and the jobs the plan derives from the stored
// meeting (its id assigned) are planned under that id.
func runPlannedCreateTests(t *testing.T, open func(*testing.T) core.Store) {
	// Ensure the plan sees the assigned id and its jobs are stored under it, pending.
	t.Run("CreatePlannedMeetingStoresMeetingAndJobs", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		m := newMeeting(wsA, "C1", at(60), time.Hour)
		var seen []string
		var mu sync.Mutex
		err := s.CreatePlannedMeeting(t.Context(), m, func(c *core.Meeting) []core.DueJob {
			mu.Lock()
			seen = append(seen, c.ID)
			mu.Unlock()
			return occJobs(wsA, c.ID, at(60))
		})
		if err != nil {
			t.Fatalf("CreatePlannedMeeting: %v", err)
		}
		if m.ID == "" || m.Version != 1 {
			t.Fatalf("created meeting has id %q version %d, want an id and version 1", m.ID, m.Version)
		}
		for _, id := range seen {
			if id != m.ID {
				t.Fatalf("plan saw meeting id %q, the store assigned %q", id, m.ID)
			}
		}
		got := find(t, s, wsA, m.ID)
		if got.Title != m.Title || got.RoomAttempts != m.RoomAttempts {
			t.Fatalf("stored meeting %+v does not match the created one", got)
		}
		want := occJobs(wsA, m.ID, at(60))
		jobs := findJobs(t, s, wsA, m.ID)
		sameJobIDs(t, "after a planned create", jobs, want...)
		for _, j := range jobs {
			if !j.DoneAt.IsZero() || j.ClaimedBy != "" {
				t.Fatalf("job %s is not pending: %+v", j.ID, j)
			}
		}
	})

	// Ensure concurrent planned creates each get their own id and their own jobs.
	t.Run("ConcurrentPlannedCreates", func(t *testing.T) {
		t.Parallel()
		s := open(t)
		const n = 24
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				m := newMeeting(wsA, "C1", at(60), time.Hour)
				if err := s.CreatePlannedMeeting(t.Context(), m, func(c *core.Meeting) []core.DueJob {
					return occJobs(wsA, c.ID, at(60))
				}); err != nil {
					t.Errorf("CreatePlannedMeeting: %v", err)
					return
				}
				ids[i] = m.ID
			})
		}
		wg.Wait()
		seen := map[string]bool{}
		for _, id := range ids {
			if id == "" || seen[id] {
				t.Fatalf("ids %v: empty or repeated", ids)
			}
			seen[id] = true
			sameJobIDs(t, "jobs of "+id, findJobs(t, s, wsA, id), occJobs(wsA, id, at(60))...)
		}
	})
}
