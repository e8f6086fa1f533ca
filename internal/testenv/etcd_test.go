//go:build etcdstore

package testenv

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/storage"
	"github.com/meetbot/meetbot/storage/etcd"
)

// TestStoreEnvEtcdRunsOnEtcd checks that with the tag etcdstore the switch
// works: MEETBOT_TEST_STORE=etcd gives an Env on the embedded etcd server
// (the backend's etcd store, not bbolt), whose writes land under its prefix
// and survive Restart, so the second pass of .ci/run really runs on etcd.
func TestStoreEnvEtcdRunsOnEtcd(t *testing.T) {
	t.Setenv(StoreEnv, Etcd)
	env := New(t, Options{})
	if _, ok := env.Store.(*etcd.DB); env.Driver != Etcd || !ok {
		t.Fatalf("Env.Driver %q, Store %T: want the etcd store", env.Driver, env.Store)
	}
	m := env.Schedule(Actor("ana"), "Etcd pass", T0.Add(time.Hour), 30*time.Minute)
	if !bytes.Contains(env.RawStore(), []byte("Etcd pass")) {
		t.Fatal("the meeting's title is not under the Env's etcd prefix")
	}
	env.Restart()
	if _, err := env.Store.FindMeetingByID(context.Background(), m.Workspace, m.ID); err != nil {
		t.Fatalf("meeting after Restart on etcd: %v", err)
	}
}

// TestDriverNamesAgree checks that testenv's driver names are the storage
// factory's, so Env.Driver compares equal to storage.Bolt and storage.Etcd.
func TestDriverNamesAgree(t *testing.T) {
	if Bolt != storage.Bolt || Etcd != storage.Etcd {
		t.Fatalf("testenv names %q and %q, storage %q and %q", Bolt, Etcd, storage.Bolt, storage.Etcd)
	}
}
