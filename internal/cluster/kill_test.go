package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// admin is a raw client on the harness's cluster, for what no replica
// would do: revoking another process's lease.
func (h *harness) admin() *clientv3.Client {
	h.t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: h.endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = cli.Close() })
	return cli
}

// revokeSession ends owner's election session on the server, as a network
// partition that outlasts the lease would: the lease and the keys on it
// are gone at once, while the process itself keeps running and only learns
// of it through its keep-alive. It finds the lease by the campaign value,
// which is the replica id (etcd.Options.ReplicaID).
func (h *harness) revokeSession(cli *clientv3.Client, owner string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	leases, err := cli.Leases(ctx)
	if err != nil {
		return err
	}
	for _, l := range leases.Leases {
		ttl, err := cli.TimeToLive(ctx, l.ID, clientv3.WithAttachedKeys())
		if err != nil {
			continue // expired between the list and now
		}
		for _, k := range ttl.Keys {
			if !strings.HasPrefix(string(k), h.prefix) {
				continue
			}
			resp, err := cli.Get(ctx, string(k))
			if err != nil {
				return err
			}
			if len(resp.Kvs) == 1 && string(resp.Kvs[0].Value) == owner {
				_, err := cli.Revoke(ctx, l.ID)
				if errors.Is(err, rpctypes.ErrLeaseNotFound) {
					// It ran out by itself since the Get (a keep-alive
					// late under load): the same as no session at all.
					return fmt.Errorf("%w: the lease of %s ran out before the revoke", errNoSession, owner)
				}
				return err
			}
		}
	}
	return fmt.Errorf("%w: none under %s carries the campaign of %s", errNoSession, h.prefix, owner)
}

// errNoSession is revokeSession's answer when owner holds no lease: its
// session ran out by itself (a keep-alive late under load) after the
// events last said it led, and it is about to learn so.
var errNoSession = errors.New("no session to revoke")

// byOwner returns the live incarnation whose owner id is owner, or nil.
func (h *harness) byOwner(owner string) *replica {
	for _, r := range h.all() {
		if r.owner == owner {
			return r
		}
	}
	return nil
}

// waitLeader waits until some replica other than not leads and returns
// it with its term.
func (h *harness) waitLeader(t testing.TB, not string) (string, int) {
	t.Helper()
	var owner string
	var term int
	if err := h.ev.wait(time.Minute, func() bool {
		owner, term = h.ev.leader, h.ev.term
		return owner != "" && owner != not
	}); err != nil {
		t.Fatalf("no replica took the lead (after %q): %v", not, err)
	}
	return owner, term
}
