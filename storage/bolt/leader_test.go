package bolt

import (
	"testing"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/storagetest"
)

// Ensure bbolt's Leader passes the leader conformance cases that a single
// process can: it leads at once, for as long as its caller's context, and
// job writes under its context need no fence.
func TestLeaderConformance(t *testing.T) {
	storagetest.RunLeader(t, func(t *testing.T) storagetest.LeaderBackend {
		db := openTemp(t, t.TempDir())
		return storagetest.LeaderBackend{
			Store:     db,
			NewLeader: func(*testing.T) core.Leader { return NewLeader(db) },
			Single:    true,
		}
	})
}
