//go:build !etcdstore

package testenv

import (
	"fmt"
	"runtime"
	"testing"
)

// fatalTB records the first Fatal of the code under test and ends its
// goroutine there, as testing.T does, without failing the real test.
type fatalTB struct {
	testing.TB
	fatal string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatal(args ...any) {
	f.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// newFails runs New on tb in a goroutine of its own and reports whether
// New returned (it must not: it should stop at a Fatal).
func newFails(tb *fatalTB, o Options) (returned bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		New(tb, o)
		returned = true
	}()
	<-done
	return returned
}

// TestStoreEnvEtcdNeedsTag checks that a build without the tag etcdstore
// refuses MEETBOT_TEST_STORE=etcd with one sentence naming the tag, for
// every kind of Env (a bubble Env is always on bbolt, yet the run asked
// for etcd and gets none), instead of running the test on bbolt.
func TestStoreEnvEtcdNeedsTag(t *testing.T) {
	t.Setenv(StoreEnv, Etcd)
	for name, o := range map[string]Options{"default": {}, "bubble": {Bubble: true}, "bolt asked": {Driver: Bolt}} {
		tb := &fatalTB{TB: t}
		if newFails(tb, o) {
			t.Fatalf("%s: New returned an Env under %s=etcd without -tags etcdstore", name, StoreEnv)
		}
		if tb.fatal != needsTag {
			t.Fatalf("%s: New failed with %q, want %q", name, tb.fatal, needsTag)
		}
	}
}

// TestDriverEtcdNeedsTag checks the same for an Env that asks for etcd in
// its Options, whatever the environment says.
func TestDriverEtcdNeedsTag(t *testing.T) {
	t.Setenv(StoreEnv, Bolt)
	tb := &fatalTB{TB: t}
	if newFails(tb, Options{Driver: Etcd}) {
		t.Fatal("New returned an Env with Options.Driver etcd without -tags etcdstore")
	}
	if want := "testenv: Options.Driver etcd needs -tags etcdstore"; tb.fatal != want {
		t.Fatalf("New failed with %q, want %q", tb.fatal, want)
	}
}
