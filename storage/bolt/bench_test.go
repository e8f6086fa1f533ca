package bolt

import (
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/meetbot/meetbot/core"
)

// BenchmarkCreateMeetingParallel measures CreateMeeting from 64 concurrent
// writers with fsync on, next to raw db.Batch puts of same-size keys and
// values in the same run, so the cost of the store's own work (id counter,
// start and pending indexes, JSON) over bare bbolt is visible on whatever
// disk the benchmark runs on.
func BenchmarkCreateMeetingParallel(b *testing.B) {
	const writers = 64
	ws := core.WorkspaceKey{Platform: core.PlatformSlack, ID: "T0123456789"}
	start := time.Date(2031, 3, 30, 9, 30, 0, 0, time.UTC)
	sample := &core.Meeting{
		Workspace: ws, Channel: "C0123456789", Title: "Weekly planning", Organizer: "U0123456789",
		OrganizerName: "Ada Lovelace", Start: start, TimeZone: "Europe/Berlin", Duration: time.Hour,
		Invitees: []string{"U1111111111", "U2222222222"}, State: core.StateScheduled,
		RoomTag: "mb-7f3a9c", RoomStatus: core.RoomInactive, CreatedAt: start, UpdatedAt: start,
	}
	prefix, _ := wsPrefix(ws)

	b.Run("CreateMeeting", func(b *testing.B) {
		db := benchDB(b)
		ctx := b.Context()
		runWriters(b, writers, func(i int) error {
			m := sample.Clone()
			m.Start = start.Add(time.Duration(i%1000) * time.Minute)
			return db.CreateMeeting(ctx, m)
		})
	})

	b.Run("RawBatchPut", func(b *testing.B) {
		db := benchDB(b)
		s := sample.Clone()
		s.ID, s.Version = "12345", 1
		value, err := encodeMeeting(s)
		if err != nil {
			b.Fatal(err)
		}
		runWriters(b, writers, func(i int) error {
			key := meetingKey(prefix, strconv.Itoa(i))
			return db.db.Batch(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeetings).Put(key, value) })
		})
		b.ReportMetric(float64(len(value)), "value-bytes") // after runWriters: ResetTimer drops metrics
	})
}

func benchDB(b *testing.B) *DB {
	b.Helper()
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// runWriters shares b.N operations among n goroutines, as n chat users
// scheduling at once would.
func runWriters(b *testing.B, n int, op func(i int) error) {
	b.Helper()
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	b.ResetTimer()
	for range n {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				if err := op(int(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
