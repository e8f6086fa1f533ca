package etcd_test

import (
	"sync"
	"testing"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
	"github.com/meetbot/meetbot/storage/storagetest"
)

// open connects a new client to the shared test server under prefix.
func open(t testing.TB, prefix string) *etcd.DB {
	t.Helper()
	db, err := etcd.Open(t.Context(), etcd.Options{Endpoints: etcdtest.Shared(t), Prefix: prefix})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return db
}

// Ensure the etcd store passes the conformance suite, each test on a fresh
// prefix of the shared embedded server.
func TestConformance(t *testing.T) {
	t.Parallel()
	storagetest.Run(t, func(t *testing.T) core.Store { return open(t, etcdtest.Prefix(t)) })
}

// Ensure everything survives a restart: "the same directory" is the same
// prefix, reopened with a new client after the first one closed.
func TestPersistence(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	prefixes := map[string]string{}
	storagetest.RunPersistence(t, func(t *testing.T, dir string) core.Store {
		mu.Lock()
		p, ok := prefixes[dir]
		if !ok {
			p = etcdtest.Prefix(t)
			prefixes[dir] = p
		}
		mu.Unlock()
		return open(t, p)
	})
}

// Ensure two clients on one prefix, as two replicas are, race each other
// safely: dense ids, no lost updates, one claim of a key, one secret.
func TestShared(t *testing.T) {
	t.Parallel()
	storagetest.RunShared(t, func(t *testing.T) (core.Store, core.Store) {
		p := etcdtest.Prefix(t)
		return open(t, p), open(t, p)
	})
}
