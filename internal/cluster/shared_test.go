package cluster

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/testenv"
)

// TestSharedConcurrentSchedules runs /meet schedule from three replicas at
// once, in two workspaces: each workspace's short ids must come out unique
// and dense (1..n, none skipped, none taken twice), and every acknowledged
// meeting must be stored.
func TestSharedConcurrentSchedules(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sharedCluster(t), options{NoScheduler: true})
	per := 12
	if testing.Short() || raceEnabled {
		per = 5
	}
	spaces := []core.WorkspaceKey{ws, {Platform: core.PlatformDiscord, ID: "G1"}}
	type made struct {
		ws    core.WorkspaceKey
		id    string
		title string
	}
	var (
		mu  sync.Mutex
		got []made
		wg  sync.WaitGroup
	)
	start := testenv.T0.Add(24 * time.Hour)
	for r := range 3 {
		for g := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range per {
					w := spaces[(g+i)%len(spaces)]
					title := "R" + strconv.Itoa(r) + " G" + strconv.Itoa(g) + " #" + strconv.Itoa(i)
					m, err := h.replica(r).svc.Schedule(context.Background(), actor(w, "u"+strconv.Itoa(g)), core.ScheduleRequest{Title: title, Start: start, Duration: 30 * time.Minute})
					if err != nil {
						t.Errorf("replica %d: schedule %q: %v", r, title, err)
						return
					}
					mu.Lock()
					got = append(got, made{w, m.ID, title})
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, w := range spaces {
		var ids []int
		titles := map[string]string{}
		for _, m := range got {
			if m.ws != w {
				continue
			}
			n, err := strconv.Atoi(m.id)
			if err != nil {
				t.Fatalf("id %q is not a short number", m.id)
			}
			ids = append(ids, n)
			titles[m.id] = m.title
		}
		slices.Sort(ids)
		for i, n := range ids {
			if n != i+1 {
				t.Fatalf("%s: ids %v are not 1..%d, unique and dense", w, ids, len(ids))
			}
		}
		// Read back through another replica than most writers used.
		stored, err := h.replica(2).db.FindMeetings(context.Background(), core.MeetingFilter{Workspace: w})
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != len(ids) {
			t.Fatalf("%s: %d meetings stored, %d acknowledged", w, len(stored), len(ids))
		}
		for _, m := range stored {
			if titles[m.ID] != m.Title {
				t.Errorf("%s: meeting %s is %q, acknowledged as %q", w, m.ID, m.Title, titles[m.ID])
			}
		}
	}
}

// TestSharedJoinLink issues personal join links on one replica and opens
// them on the others, also after the issuing replica restarted: the
// join-link key lives in the store, created once by whichever replica came
// first, not in one process's memory. The person keeps one participant
// whichever replica serves them.
func TestSharedJoinLink(t *testing.T) {
	t.Parallel()
	clock := testenv.NewClock(testenv.T0)
	h := newHarness(t, sharedCluster(t), options{Clock: clock, NoScheduler: true})
	ctx := context.Background()
	ana := actor(ws, "ana")
	m, err := h.replica(0).svc.Schedule(ctx, ana, core.ScheduleRequest{Title: "Standup", Start: testenv.T0.Add(2 * time.Minute), Duration: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	code := func(link *core.JoinLink) string {
		c, err := url.PathUnescape(strings.TrimPrefix(link.URL, "http://meet.test/j/"))
		if err != nil || c == link.URL {
			t.Fatalf("join link %q is not under the public URL", link.URL)
		}
		return c
	}
	var tokens []string
	for from := range 3 {
		link, err := h.replica(from).svc.Join(ctx, ana, m.ID)
		if err != nil {
			t.Fatalf("join on replica %d: %v", from, err)
		}
		for to := range 3 {
			page, err := h.replica(to).svc.OpenLink(ctx, code(link))
			if err != nil {
				t.Fatalf("a link from replica %d does not open on replica %d: %v", from, to, err)
			}
			if page.Token == "" || page.Meeting.ID != m.ID || page.User != ana.User {
				t.Fatalf("replica %d opened a link of replica %d as %+v", to, from, page)
			}
			tokens = append(tokens, page.Token)
		}
	}
	link, err := h.replica(0).svc.Join(ctx, ana, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.crash(h.replica(0))
	if _, err := h.replica(0).svc.OpenLink(ctx, code(link)); err != nil {
		t.Fatalf("a link from before the restart does not open after it: %v", err)
	}
	parts, err := h.replica(1).db.ListParticipants(ctx, ws, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1 {
		t.Errorf("ana has %d participants across replicas, want 1", len(parts))
	}
	if len(tokens) != 9 {
		t.Fatalf("opened %d links, want 9", len(tokens))
	}
}

// TestSharedDeliveryKeys replays a delivery key (a Slack retry's
// X-Slack-Retry of one event, a Discord interaction id) on every replica:
// only the first sighting anywhere is new, also when all three race for it,
// and the key is new again only after its time ran out.
func TestSharedDeliveryKeys(t *testing.T) {
	t.Parallel()
	h := newHarness(t, sharedCluster(t), options{NoScheduler: true})
	ctx := context.Background()
	now, ttl := testenv.T0, 10*time.Minute
	key := "slack:T1:Ev0123ABCD"
	fresh, err := h.replica(0).db.Once(ctx, key, now, ttl)
	if err != nil || !fresh {
		t.Fatalf("first sighting on A: %v, %v", fresh, err)
	}
	for r := 1; r < 3; r++ {
		fresh, err := h.replica(r).db.Once(ctx, key, now.Add(time.Minute), ttl)
		if err != nil || fresh {
			t.Fatalf("a key seen on A is new on replica %d: %v, %v", r, fresh, err)
		}
	}
	if fresh, err := h.replica(1).db.Once(ctx, key, now.Add(ttl+time.Second), ttl); err != nil || !fresh {
		t.Fatalf("a key whose time ran out is not new again: %v, %v", fresh, err)
	}

	// Three replicas race for each of 40 keys, four tries each: exactly one
	// wins every key.
	keys := 40
	if testing.Short() {
		keys = 10
	}
	wins := make([]atomic.Int32, keys)
	var wg sync.WaitGroup
	for r := range 3 {
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range keys {
					fresh, err := h.replica(r).db.Once(ctx, "discord:G1:"+strconv.Itoa(k), now, ttl)
					if err != nil {
						t.Errorf("replica %d, try %d: %v", r, g, err)
						return
					}
					if fresh {
						wins[k].Add(1)
					}
				}
			}()
		}
	}
	wg.Wait()
	for k := range keys {
		if n := wins[k].Load(); n != 1 {
			t.Errorf("key %d was new %d times across replicas, want once", k, n)
		}
	}
}
