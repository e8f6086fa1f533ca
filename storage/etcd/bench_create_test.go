package etcd_test

import (
	"testing"
	"time"

	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// BenchmarkCreateMeeting measures one CreateMeeting on the shared embedded
// server (loopback, no fsync: a lower bound for a real member), one client,
// one workspace, one at a time.
func BenchmarkCreateMeeting(b *testing.B) {
	db := open(b, etcdtest.Prefix(b))
	defer db.Close()
	start := time.Date(2031, 3, 30, 9, 0, 0, 0, time.UTC)
	for i := 0; b.Loop(); i++ {
		if err := db.CreateMeeting(b.Context(), plainMeeting(start.Add(time.Duration(i)*time.Minute))); err != nil {
			b.Fatal(err)
		}
	}
}
