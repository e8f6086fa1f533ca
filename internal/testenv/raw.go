package testenv

import (
	"bytes"
	"context"
	"os"
	"path/filepath"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/storage"
)

// RawStore returns every byte the store holds as it sits at rest: the bbolt
// file, or every key and value under this Env's etcd prefix. Tests that
// check a secret never reaches storage in the clear (sealed tokens) search
// it, whichever driver they run on.
func (e *Env) RawStore() []byte {
	e.T.Helper()
	if e.Driver == storage.Etcd {
		resp, err := e.Backend.EtcdDB.Client().Get(context.Background(), e.etcdPrefix, clientv3.WithPrefix())
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
	raw, err := os.ReadFile(filepath.Join(e.Dir, "meetbot.db"))
	if err != nil {
		e.T.Fatalf("testenv: read the bbolt file: %v", err)
	}
	return raw
}
