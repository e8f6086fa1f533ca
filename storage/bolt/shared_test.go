package bolt

import (
	"testing"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/storagetest"
)

// Ensure one bbolt store handed to many goroutines at once keeps the
// guarantees replicas need: it is the same *DB twice, so this checks the
// batching and transactions, not a network.
func TestShared(t *testing.T) {
	storagetest.RunShared(t, func(t *testing.T) (core.Store, core.Store) {
		db := openTemp(t, t.TempDir())
		return db, db
	})
}
