//go:build etcdstore

package testenv

import (
	"bytes"
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// etcdBuilt says this build has the etcd backend: the build tag etcdstore
// links the embedded etcd server of storage/etcd/etcdtest.
const etcdBuilt = true

// newEtcdPrefix returns a fresh keyspace on the shared embedded server, so
// Envs of one test binary share one server without seeing each other. It
// logs the prefix, so `go test -v` shows which tests ran on etcd.
func newEtcdPrefix(t testing.TB) string {
	t.Helper()
	p := etcdtest.Prefix(t)
	t.Logf("testenv: store etcd (embedded server, prefix %s)", p)
	return p
}

// openEtcd opens this Env's prefix on the shared embedded server through
// the storage factory, as cmd/bot opens etcd.
func (e *Env) openEtcd() (core.Store, core.Leader) {
	e.T.Helper()
	b, err := storage.Open(context.Background(), storage.Config{
		Driver: storage.Etcd,
		Etcd:   storage.EtcdOptions{Endpoints: etcdtest.Shared(e.T), Prefix: e.etcdPrefix, Logger: e.logger()},
	})
	if err != nil {
		e.T.Fatal(err)
	}
	return b.Store, b.Leader
}

// rawEtcd returns every key and value under this Env's prefix, each
// followed by a zero byte (RawStore on etcd).
func (e *Env) rawEtcd() []byte {
	e.T.Helper()
	resp, err := e.Store.(*etcd.DB).Client().Get(context.Background(), e.etcdPrefix, clientv3.WithPrefix())
	if err != nil {
		e.T.Fatalf("testenv: read the etcd prefix: %v", err)
	}
	var all bytes.Buffer
	for _, kv := range resp.Kvs {
		all.Write(kv.Key)
		all.WriteByte(0)
		all.Write(kv.Value)
		all.WriteByte(0)
	}
	return all.Bytes()
}
