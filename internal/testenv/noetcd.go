//go:build !etcdstore

package testenv

import (
	"testing"

	"github.com/meetbot/meetbot/storage"
)

// etcdBuilt says this build has no etcd backend: without the build tag
// etcdstore the embedded etcd server is not linked, which keeps every test
// binary that imports testenv about 600 packages smaller. New then fails a
// test that asks for etcd (needsTag) before it could run on bbolt instead.
const etcdBuilt = false

// newEtcdPrefix is never reached: New fails first (needsTag).
func newEtcdPrefix(t testing.TB) string {
	t.Helper()
	t.Fatal(needsTag)
	return ""
}

// etcdOptions is never reached: New fails first (needsTag).
func (e *Env) etcdOptions() storage.EtcdOptions {
	e.T.Helper()
	e.T.Fatal(needsTag)
	return storage.EtcdOptions{}
}

// rawEtcd is never reached: New fails first (needsTag).
func (e *Env) rawEtcd() []byte {
	e.T.Helper()
	e.T.Fatal(needsTag)
	return nil
}
