package cluster

import (
	"os"
	"sync"
	"testing"

	"github.com/meetbot/meetbot/internal/testmain"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// shared is the one 3-member cluster of the package's tests, each on its
// own prefix (newHarness), so the package pays one cluster start-up and
// shut-down. No test stops or restarts its members: a kill is a replica's
// (its client, or its session's lease, which lives under its own prefix),
// so all the tests run on it in parallel; the failover test's gaps are
// then measured under the others' load, and only logged.
var shared struct {
	once sync.Once
	dir  string
	c    *etcdtest.Cluster
	err  error
}

// sharedCluster returns the endpoints of the shared cluster, started on
// first use.
func sharedCluster(t testing.TB) []string {
	t.Helper()
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "meetbot-cluster-"); shared.err != nil {
			return
		}
		shared.c, shared.err = etcdtest.NewCluster(shared.dir, 3)
	})
	if shared.err != nil {
		t.Fatalf("start the shared etcd cluster: %v", shared.err)
	}
	return shared.c.Endpoints()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.c != nil {
		shared.c.Stop()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	testmain.Exit(code)
}
