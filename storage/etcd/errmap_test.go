package etcd_test

import (
	"context"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// A request the cluster refuses as malformed (here one txn putting the same
// key twice, which the DeleteMeeting defect once built) is a bug of ours:
// it must come back EINTERNAL, not EUNAVAILABLE, whose "try again in a
// minute" would send users and the scheduler's retries after something
// that can never succeed.
func TestRefusedRequestIsInternal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	prefix := etcdtest.Prefix(t)
	db, err := etcd.Open(ctx, etcd.Options{Endpoints: etcdtest.Shared(t), Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	k := prefix + "dup"
	_, err = db.Client().Txn(ctx).Then(clientv3.OpPut(k, "a"), clientv3.OpPut(k, "b")).Commit()
	if err == nil {
		t.Fatal("the server accepted a txn with a duplicate key")
	}
	got := etcd.StoreErr(ctx, err)
	if core.ErrorCode(got) != core.EINTERNAL {
		t.Fatalf("duplicate key in a txn: %v (code %q), want EINTERNAL", got, core.ErrorCode(got))
	}
	if msg := core.ErrorMessage(got); msg == etcd.UnavailableMessage || msg == "" {
		t.Fatalf("message %q, want one naming a defect, not an outage", msg)
	}
	if r, err := db.Client().Get(ctx, k); err != nil || len(r.Kvs) != 0 {
		t.Fatalf("after the refused txn: %v, %d keys, want none written", err, len(r.Kvs))
	}
}
