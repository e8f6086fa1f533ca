package bolt

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/internal/record"
)

// The bulk loader below fills a store with many meetings and their jobs far
// faster than CreateMeeting and PlanJobs could (one transaction each), so
// benchmarks can run on a store of realistic size. It writes every key in
// ascending order, which lets bbolt append to full pages (FillPercent 1.0)
// instead of splitting them. TestBulkLoadMatchesAPI proves that what it
// writes is byte for byte what the store's own methods write.

// loadT0 is the loader's "now": every occurrence starts within the week
// after it, so nothing is due at loadT0.
var loadT0 = time.Date(2031, 3, 30, 0, 0, 0, 0, time.UTC)

// loadSet describes a generated store: perWS meetings (ids "1".."perWS") in
// each of the given number of workspaces, each meeting with the four jobs of
// one occurrence. A meeting's content depends only on (seed, workspace,
// number), so any generation order yields the same store.
type loadSet struct {
	workspaces, perWS int
	seed              uint64
}

func (s loadSet) ws(i int) core.WorkspaceKey {
	return core.WorkspaceKey{Platform: core.PlatformSlack, ID: fmt.Sprintf("T%05d", i)}
}

// meeting returns meeting num of workspace w and its planned jobs: remind
// 10m before, open 5m before, remind at the start, close 5m after the end.
func (s loadSet) meeting(w, num int) (*core.Meeting, []core.DueJob) {
	rng := rand.New(rand.NewPCG(s.seed, uint64(w)<<32|uint64(num)))
	ws, id := s.ws(w), strconv.Itoa(num)
	start := loadT0.Add(15*time.Minute + time.Duration(rng.Int64N(int64(7*24*time.Hour/time.Second)))*time.Second)
	m := &core.Meeting{
		Workspace: ws, ID: id, Channel: "C0123456789", Title: "Weekly planning " + id,
		Organizer: "U0123456789", OrganizerName: "Ada Lovelace", Start: start, TimeZone: "Europe/Berlin",
		Duration: 30 * time.Minute, Invitees: []string{"U1111111111", "U2222222222"},
		State: core.StateScheduled, RoomID: "bbb1c2d3-e4f5-6789-abcd-" + strconv.Itoa(w) + "-" + id, RoomTag: "mb-" + id,
		RoomStatus: core.RoomInactive, CreatedAt: loadT0, UpdatedAt: loadT0, Version: 1,
	}
	job := func(kind core.JobKind, lead time.Duration, due time.Time) core.DueJob {
		return core.DueJob{
			ID: core.JobID(ws, id, start, kind, lead), Due: due, Workspace: ws, Meeting: id,
			Occurrence: start, Kind: kind, Lead: lead,
		}
	}
	return m, []core.DueJob{
		job(core.JobRemind, 10*time.Minute, start.Add(-10*time.Minute)),
		job(core.JobOpen, 0, start.Add(-5*time.Minute)),
		job(core.JobRemind, 0, start),
		job(core.JobClose, 0, start.Add(m.Duration+5*time.Minute)),
	}
}

// appender writes keys in ascending order into buckets of a series of
// large transactions, committing every chunk puts. It checks the order, so
// a loader bug shows up as an error rather than as a slow, half-full file.
type appender struct {
	db    *bolt.DB
	tx    *bolt.Tx
	puts  int
	chunk int
	last  map[string][]byte
}

func newAppender(db *bolt.DB, chunk int) *appender {
	return &appender{db: db, chunk: chunk, last: map[string][]byte{}}
}

func (a *appender) put(bucket, k, v []byte) error {
	if a.tx == nil {
		tx, err := a.db.Begin(true)
		if err != nil {
			return err
		}
		a.tx = tx
	}
	if last, ok := a.last[string(bucket)]; ok && bytes.Compare(k, last) <= 0 {
		return fmt.Errorf("loader: %s key %q after %q is out of order", bucket, k, last)
	}
	a.last[string(bucket)] = k
	b := a.tx.Bucket(bucket)
	b.FillPercent = 1.0 // keys arrive in order: fill pages, never split half-empty ones
	if err := b.Put(k, v); err != nil {
		return err
	}
	if a.puts++; a.puts%a.chunk == 0 {
		return a.commit()
	}
	return nil
}

func (a *appender) commit() error {
	if a.tx == nil {
		return nil
	}
	tx := a.tx
	a.tx = nil
	return tx.Commit()
}

// bulkLoad writes set into the store at path (created with Open, so the
// buckets and schema are as usual) and returns the keys of the due index in
// order. Records, the per-meeting index and the counters are written in one
// pass in key order: meeting ids are visited in string order ("1" < "10" <
// "2"), which is also the order of job ids and meeting keys. The two time
// indexes are sorted in memory first.
//
// A million meetings (four million jobs, thirteen million keys, 2.1 GB) took
// 77 s with everything on one goroutine and 500,000 puts per transaction.
// What brought it down: no fsync when the file grows (see below); JSON
// encoding on a second goroutine ahead of the writer; the garbage collector
// running less often (the loader's garbage is short-lived, its live set is
// the sorted keys); 100,000 puts per transaction, since bbolt keeps a
// transaction's new keys in ever larger in-memory nodes until commit; and
// sorting the time indexes on fixed 16-byte prefixes held inline rather than
// by comparing scattered slices. It now takes 40-50 s on two cores; what is
// left is mostly bbolt's own per-key search and one write per 4 KB page.
func bulkLoad(tb testing.TB, path string, set loadSet) [][]byte {
	tb.Helper()
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	store, err := Open(path, Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer store.Close()
	// NoSync skips the fsync of each commit, but bbolt still fsyncs the file
	// every time it grows (by AllocSize, 16 MB by default): over 2 GB that
	// was a fifth of the load time. Neither matters for a file we throw away.
	store.db.NoGrowSync = true
	store.db.AllocSize = 256 << 20
	nums := make([]int, set.perWS)
	for i := range nums {
		nums[i] = i + 1
	}
	slices.SortFunc(nums, func(a, b int) int {
		return bytes.Compare([]byte(strconv.Itoa(a)), []byte(strconv.Itoa(b)))
	})

	// The producer encodes meetings in batches, in key order; the writer
	// below puts them.
	type kv struct{ bucket, k, v []byte }
	type batch struct {
		puts      []kv
		due, time [][]byte
		rooms     []kv
		kinds     map[core.JobKind]uint64
		err       error
	}
	batches := make(chan batch, 4)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(batches)
		var b batch
		flush := func() bool {
			select {
			case batches <- b:
				b = batch{}
				return true
			case <-stop:
				return false
			}
		}
		for w := range set.workspaces {
			prefix, err := wsPrefix(set.ws(w))
			if err != nil {
				b.err = err
				flush()
				return
			}
			for _, num := range nums {
				m, jobs := set.meeting(w, num)
				v, err := encodeMeeting(m)
				if err != nil {
					b.err = err
					flush()
					return
				}
				b.puts = append(b.puts, kv{bucketMeetings, meetingKey(prefix, m.ID), v})
				b.time = append(b.time, startKey(prefix, m.Start, m.ID))
				b.rooms = append(b.rooms, kv{bucketRooms, []byte(m.RoomID), record.EncodeRoomRef(m)})
				slices.SortFunc(jobs, func(a, b core.DueJob) int { return strings.Compare(a.ID, b.ID) })
				for i := range jobs {
					v, err := encodeJob(&jobs[i])
					if err != nil {
						b.err = err
						flush()
						return
					}
					b.puts = append(b.puts,
						kv{bucketJobs, []byte(jobs[i].ID), v},
						kv{bucketJobsByMeeting, join(jobMeetingPrefix(prefix, m.ID), []byte(jobs[i].ID)), nil})
					b.due = append(b.due, jobTimeKey(jobs[i].Due, jobs[i].ID))
					if b.kinds == nil {
						b.kinds = map[core.JobKind]uint64{}
					}
					b.kinds[jobs[i].Kind]++
				}
				if len(b.puts) >= 10_000 && !flush() {
					return
				}
			}
			b.puts = append(b.puts,
				kv{bucketCounters, join(prefix, suffixLastID), uint64Value(uint64(set.perWS))},
				kv{bucketCounters, join(prefix, suffixMaxDuration), uint64Value(uint64(30 * time.Minute))})
		}
		flush()
	}()

	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	ap := newAppender(store.db, 100_000)
	total := set.workspaces * set.perWS
	dueKeys := make([][]byte, 0, 4*total)
	startKeys := make([][]byte, 0, total)
	var rooms []kv
	pending := map[core.JobKind]uint64{}
	for b := range batches {
		rooms = append(rooms, b.rooms...)
		must(b.err)
		for _, p := range b.puts {
			must(ap.put(p.bucket, p.k, p.v))
		}
		dueKeys = append(dueKeys, b.due...)
		startKeys = append(startKeys, b.time...)
		for k, n := range b.kinds {
			pending[k] += n
		}
	}

	for _, idx := range []struct {
		bucket []byte
		keys   [][]byte
	}{{bucketMeetingsStart, startKeys}, {bucketJobsDue, dueKeys}} {
		sortKeys(idx.keys)
		for _, k := range idx.keys {
			must(ap.put(idx.bucket, k, nil))
		}
	}
	slices.SortFunc(rooms, func(a, b kv) int { return bytes.Compare(a.k, b.k) })
	for _, r := range rooms {
		must(ap.put(r.bucket, r.k, r.v))
	}
	must(ap.commit())
	// Every loaded job is pending: keep the counts the API would (pending.go).
	must(store.db.Update(func(tx *bolt.Tx) error {
		for _, k := range pendingKinds {
			if err := tx.Bucket(bucketMeta).Put(pendingKey(k), uint64Value(pending[k])); err != nil {
				return err
			}
		}
		return nil
	}))
	return dueKeys
}

// sortKeys sorts keys bytewise. Comparing the first 16 bytes as two
// integers kept next to each other in one array avoids chasing a pointer per
// comparison; only ties on those bytes compare the keys themselves.
func sortKeys(keys [][]byte) {
	type entry struct {
		hi, lo uint64
		k      []byte
	}
	es := make([]entry, len(keys))
	for i, k := range keys {
		var p [16]byte
		copy(p[:], k)
		es[i] = entry{binary.BigEndian.Uint64(p[:8]), binary.BigEndian.Uint64(p[8:]), k}
	}
	slices.SortFunc(es, func(a, b entry) int {
		if c := cmp.Compare(a.hi, b.hi); c != 0 {
			return c
		}
		if c := cmp.Compare(a.lo, b.lo); c != 0 {
			return c
		}
		return bytes.Compare(a.k, b.k)
	})
	for i := range es {
		keys[i] = es[i].k
	}
}

// Ensure the bulk loader writes exactly what CreateMeeting and PlanJobs
// write, bucket by bucket, so benchmarks on a loaded file measure the real
// layout. perWS is above 9 so that string order of ids matters.
func TestBulkLoadMatchesAPI(t *testing.T) {
	set := loadSet{workspaces: 3, perWS: 12, seed: 7}
	dir := t.TempDir()
	bulkLoad(t, filepath.Join(dir, "bulk.db"), set)

	api, err := Open(filepath.Join(dir, "api.db"), Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	for w := range set.workspaces {
		for num := 1; num <= set.perWS; num++ {
			m, jobs := set.meeting(w, num)
			c := m.Clone()
			c.ID, c.Version = "", 0
			if err := api.CreateMeeting(t.Context(), c); err != nil || c.ID != m.ID {
				t.Fatalf("CreateMeeting = id %q, %v; want id %q", c.ID, err, m.ID)
			}
			if err := api.PlanJobs(t.Context(), m.Workspace, m.ID, jobs); err != nil {
				t.Fatal(err)
			}
		}
	}
	api.Close()

	dump := func(name string) map[string]map[string]string {
		db, err := Open(filepath.Join(dir, name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		out := map[string]map[string]string{}
		if err := db.db.View(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				kv := map[string]string{}
				out[string(name)] = kv
				return b.ForEach(func(k, v []byte) error { kv[string(k)] = string(v); return nil })
			})
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	bulk, want := dump("bulk.db"), dump("api.db")
	if len(bulk) != len(want) {
		t.Fatalf("bulk store has %d buckets, api store %d", len(bulk), len(want))
	}
	for name, kv := range want {
		if fmt.Sprint(bulk[name]) != fmt.Sprint(kv) {
			t.Errorf("bucket %s differs:\nbulk %d keys\n api %d keys", name, len(bulk[name]), len(kv))
		}
	}
	if len(want[string(bucketJobsDue)]) != 4*set.workspaces*set.perWS {
		t.Fatalf("api store has %d due entries", len(want[string(bucketJobsDue)]))
	}
}
