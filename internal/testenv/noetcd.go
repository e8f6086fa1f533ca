//go:build !etcdstore

package testenv

import (
	"testing"

	"github.com/meetbot/meetbot/core"
)

// etcdBuilt says this build has no etcd backend: without the build tag
// etcdstore neither the embedded etcd server nor the etcd client is linked,
// which keeps every test binary that imports testenv about 340 packages
// smaller. New then fails a test that asks for etcd (needsTag) before it
// could run on bbolt instead.
const etcdBuilt = false

// newEtcdPrefix is never reached: New fails first (needsTag).
func newEtcdPrefix(t testing.TB) string {
	t.Helper()
	t.Fatal(needsTag)
	return ""
}

// openEtcd is never reached: New fails first (needsTag).
func (e *Env) openEtcd() (core.Store, core.Leader) {
	e.T.Helper()
	e.T.Fatal(needsTag)
	return nil, nil
}

// rawEtcd is never reached: New fails first (needsTag).
func (e *Env) rawEtcd() []byte {
	e.T.Helper()
	e.T.Fatal(needsTag)
	return nil
}
