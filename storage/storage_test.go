package storage_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage"
	"github.com/meetbot/meetbot/storage/bolt"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

func TestOpenBolt(t *testing.T) {
	b, err := storage.Open(t.Context(), storage.Config{BoltPath: filepath.Join(t.TempDir(), "m.db"), Bolt: bolt.Options{NoSync: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Driver != storage.Bolt || b.BoltDB == nil || b.EtcdDB != nil {
		t.Fatalf("driver %q, bolt %v, etcd %v", b.Driver, b.BoltDB != nil, b.EtcdDB != nil)
	}
	if b.Watch != nil {
		t.Error("bolt has a Watch; only one process writes a bbolt file")
	}
	if err := b.Store.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	lctx, err := b.Leader.Lead(t.Context())
	if err != nil || lctx.Err() != nil {
		t.Fatalf("bolt Lead = %v", err)
	}
	if _, err := b.Pruner.PruneJobs(t.Context(), time.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenEtcd(t *testing.T) {
	b, err := storage.Open(t.Context(), storage.Config{Driver: storage.Etcd, Etcd: etcd.Options{Endpoints: etcdtest.Shared(t), Prefix: etcdtest.Prefix(t)}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Driver != storage.Etcd || b.EtcdDB == nil || b.BoltDB != nil || b.Watch == nil || b.Leader == nil || b.Pruner == nil {
		t.Fatalf("etcd backend incomplete: %+v", b)
	}
	if err := b.Store.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesUnknownDriverAndMissingPath(t *testing.T) {
	if _, err := storage.Open(t.Context(), storage.Config{Driver: "postgres"}); core.ErrorCode(err) != core.EINVALID || !strings.Contains(err.Error(), "postgres") {
		t.Errorf("unknown driver: %v", err)
	}
	if _, err := storage.Open(t.Context(), storage.Config{Driver: storage.Bolt}); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("bolt without a path: %v", err)
	}
}

func TestOpenEtcdUnreachableNamesEndpoint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	_, err := storage.Open(ctx, storage.Config{Driver: storage.Etcd, Etcd: etcd.Options{Endpoints: []string{"http://127.0.0.1:1"}, DialTimeout: 500 * time.Millisecond}})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("unreachable etcd: %v", err)
	}
	t.Logf("failed after %s: %v", time.Since(start).Round(time.Millisecond), err)
}
