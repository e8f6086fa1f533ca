//go:build etcdstore

package testenv

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/meetbot/meetbot/storage"
)

// TestStoreEnvEtcdRunsOnEtcd checks that with the tag etcdstore the switch
// works: MEETBOT_TEST_STORE=etcd gives an Env on the embedded etcd server
// (the backend's etcd store, not bbolt), whose writes land under its prefix
// and survive Restart, so the second pass of .ci/run really runs on etcd.
func TestStoreEnvEtcdRunsOnEtcd(t *testing.T) {
	t.Setenv(StoreEnv, storage.Etcd)
	env := New(t, Options{})
	if env.Driver != storage.Etcd || env.Backend.Driver != storage.Etcd || env.Backend.EtcdDB == nil {
		t.Fatalf("Env.Driver %q, Backend.Driver %q, EtcdDB %v: want an etcd backend", env.Driver, env.Backend.Driver, env.Backend.EtcdDB)
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
