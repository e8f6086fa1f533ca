// Package closedstore gives tests a real store that is down: a bbolt file
// opened and closed again, so every call fails the way a store that
// cannot be reached does, without a mock standing in for the backend.
package closedstore

import (
	"path/filepath"
	"testing"

	"github.com/meetbot/meetbot/storage/bolt"
)

// New returns a closed bbolt store in t's temporary directory. Every
// method of it returns an error, which is how adapters are tested for
// their behaviour when the store is down.
func New(t testing.TB) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "closed.db"), bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	return db
}
