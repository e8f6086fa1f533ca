package etcd_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

func TestOpenPingsTheSharedServer(t *testing.T) {
	t.Parallel()
	db, err := etcd.Open(t.Context(), etcd.Options{Endpoints: etcdtest.Shared(t), Prefix: etcdtest.Prefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func TestOpenNamesTheUnreachableEndpoint(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := etcd.Open(ctx, etcd.Options{Endpoints: []string{"http://127.0.0.1:1"}, DialTimeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("Open of a dead endpoint = %v, want an error naming it", err)
	}
	if core.ErrorCode(err) == "" {
		t.Fatal("no code")
	}
}
