package etcd

// Leadership: one replica runs the scheduler, elected through etcd, and
// every job write it makes is fenced on its election key.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/meetbot/meetbot/core"
)

// fence is the proof of leadership a Lead context carries: the election key
// this replica holds and the revision that created it. A job write made
// with it compares CreateRevision(key) == rev in its own Txn, so it applies
// only while that very key exists. A lease that ran out (the process was
// paused, partitioned or killed) deletes the key, and a new term of the
// same replica creates it again at a new revision: either way the old
// fence fails.
type fence struct {
	key string
	rev int64
}

type fenceCtxKey struct{}

// fenceFrom returns the fence ctx carries, if any. Contexts derived from a
// Lead context keep it, including context.WithoutCancel ones, which is how
// the scheduler records a run's outcome after its lead ended.
func fenceFrom(ctx context.Context) (fence, bool) {
	f, ok := ctx.Value(fenceCtxKey{}).(fence)
	return f, ok
}

// fenced returns the compare a Txn made under ctx must include, or nil when
// ctx carries no fence (a single-process use, tests).
func fenced(ctx context.Context) []clientv3.Cmp {
	f, ok := fenceFrom(ctx)
	if !ok {
		return nil
	}
	return []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(f.key), "=", f.rev)}
}

// errDeposed is what a fenced write gets once the fence no longer holds.
func errDeposed() error {
	return core.Errorf(core.ECONFLICT, "This replica is no longer leading; the new leader takes the job over.")
}

// Why a term ended, for context.Cause of a Lead context.
var (
	errSessionLost = errors.New("etcd: leader session lost (lease expired or revoked)")
	errKeyLost     = errors.New("etcd: leader key deleted or replaced")
	errResigned    = errors.New("etcd: leadership resigned")
)

// Leader is the core.Leader of a deployment with several replicas: an
// election (go.etcd.io/etcd/client/v3/concurrency) under the key
// prefix+"leader", on a session whose lease lasts Options.LeaderTTL. A
// replica that dies keeps the lead for at most that long; one that stops
// gracefully hands it over at once with Resign.
//
// Leader does not log gains and losses itself: the scheduler logs them,
// with its Owner, which the wiring sets to ID so the log names the replica.
type Leader struct {
	db  *DB
	id  string
	ttl int

	mu      sync.Mutex
	session *concurrency.Session
	term    *term

	leading atomic.Bool
}

// term is one continuous stretch of leadership.
type term struct {
	election *concurrency.Election
	cancel   context.CancelCauseFunc
	done     chan struct{} // closed when the term's observer has stopped
}

// NewLeader returns the Leader that campaigns through db's cluster under
// the name Options.ReplicaID (default host-pid).
func NewLeader(db *DB) *Leader {
	id := db.opts.ReplicaID
	if id == "" {
		host, _ := os.Hostname()
		id = host + "-" + strconv.Itoa(os.Getpid())
	}
	return &Leader{db: db, id: id, ttl: ttlSeconds(db.opts.LeaderTTL)}
}

// ttlSeconds is a lease TTL in whole seconds, rounded up, at least one:
// etcd leases count in seconds.
func ttlSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

var _ core.Leader = (*Leader)(nil)

// ID is the name this replica campaigns under; pass it to the scheduler as
// its Owner so claims and logs name the replica.
func (l *Leader) ID() string { return l.id }

// Leading reports whether this replica holds the lead now, for /readyz.
func (l *Leader) Leading() bool { return l.leading.Load() }

// Lead blocks until this replica is elected (or ctx ends) and returns a
// context that carries the fence and is cancelled the moment leadership is
// lost: the session's lease ran out, the election key was deleted, ctx
// ended, or Resign was called. context.Cause tells which.
//
// Ending ctx stops the term but does not give the key up: call Resign once
// the scheduler has stopped, so runs in flight can still record their
// outcome under the fence. Without Resign the key goes when the lease runs
// out.
func (l *Leader) Lead(ctx context.Context) (context.Context, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for tries := 1; ; tries++ {
		lctx, again, err := l.campaign(ctx)
		// A session whose lease was revoked or ran out while campaigning
		// (or before, without knowing it yet): campaign again at once on
		// a new one, rather than report a failure the caller backs off on.
		if err != nil && again && tries < 3 && ctx.Err() == nil {
			continue
		}
		return lctx, err
	}
}

// campaign is one campaign of Lead, on the current session. again says the
// session was found dead, so a campaign on a new one may succeed.
func (l *Leader) campaign(ctx context.Context) (lctx context.Context, again bool, err error) {
	sess, err := l.currentSession(ctx)
	if err != nil {
		return nil, false, err
	}
	el := concurrency.NewElection(sess, l.db.key("leader"))
	// A session that dies while campaigning must end the campaign: its key
	// is gone, and Campaign alone would go on waiting for older keys and
	// then report a lead it does not hold.
	cctx, stop := context.WithCancel(ctx)
	go func() {
		select {
		case <-sess.Done():
		case <-cctx.Done():
		}
		stop()
	}()
	err = el.Campaign(cctx, l.id)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		dead := errors.Is(err, rpctypes.ErrLeaseNotFound)
		select {
		case <-sess.Done():
			dead = true
		default:
		}
		if dead {
			l.dropSession(sess)
		}
		return nil, dead, storeErr(ctx, fmt.Errorf("etcd: campaign for leader: %w", err))
	}
	f := fence{key: el.Key(), rev: el.Rev()}
	lctx, cancel := context.WithCancelCause(context.WithValue(ctx, fenceCtxKey{}, f))
	t := &term{election: el, cancel: cancel, done: make(chan struct{})}
	l.mu.Lock()
	if l.term != nil {
		l.term.cancel(errResigned)
	}
	l.term = t
	l.leading.Store(true)
	l.mu.Unlock()
	go l.observe(lctx, t, sess, f)
	return lctx, false, nil
}

// dropSession forgets the session (sess, or whichever is current when sess
// is nil) so the next campaign makes a new one. Its keepalive stops; its
// lease, if it still exists, runs out by itself.
func (l *Leader) dropSession(sess *concurrency.Session) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.session != nil && (sess == nil || l.session == sess) {
		l.session.Orphan()
		l.session = nil
	}
}

// currentSession returns the live session, making a new one when there is
// none or the last one ended (its lease is gone for good). The lease is
// granted under ctx, so an unreachable cluster does not outlast the
// caller's patience.
func (l *Leader) currentSession(ctx context.Context) (*concurrency.Session, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.session != nil {
		select {
		case <-l.session.Done():
			l.session = nil
		default:
			return l.session, nil
		}
	}
	gctx, cancel := l.db.bounded(ctx)
	lease, err := l.db.cli.Grant(gctx, int64(l.ttl))
	cancel()
	if err != nil {
		return nil, storeErr(ctx, fmt.Errorf("etcd: grant leader lease: %w", err))
	}
	sess, err := concurrency.NewSession(l.db.cli, concurrency.WithTTL(l.ttl), concurrency.WithLease(lease.ID))
	if err != nil {
		return nil, storeErr(ctx, fmt.Errorf("etcd: leader session: %w", err))
	}
	l.session = sess
	return sess, nil
}

// observe ends the term as soon as the session dies or the election key
// stops being the one this term created. It watches the key from its
// creation on, and after a broken watch (compaction, a member without a
// raft leader) checks the key with a Get before watching again.
func (l *Leader) observe(ctx context.Context, t *term, sess *concurrency.Session, f fence) {
	defer func() {
		l.mu.Lock()
		if l.term == t {
			l.term = nil
			l.leading.Store(false)
		}
		l.mu.Unlock()
		close(t.done)
	}()
	from := f.rev + 1
	for ctx.Err() == nil {
		wctx, stop := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wch := l.db.cli.Watch(wctx, f.key, clientv3.WithRev(from))
		lost, err := l.follow(ctx, wch, sess, f)
		stop()
		if lost != nil {
			// The key went while the session looked alive: its lease was
			// revoked or ran out, so the next term needs a new session.
			l.dropSession(sess)
			t.cancel(lost)
			return
		}
		if ctx.Err() != nil {
			return
		}
		_ = err // the watch broke: check the key itself, then watch again
		rev, lost := l.check(ctx, sess, f)
		if lost != nil {
			l.dropSession(sess)
			t.cancel(lost)
			return
		}
		if rev > 0 {
			from = rev + 1
		}
	}
	t.cancel(context.Cause(ctx))
}

// follow reads the watch until it breaks or shows the term is over.
func (l *Leader) follow(ctx context.Context, wch clientv3.WatchChan, sess *concurrency.Session, f fence) (lost, broken error) {
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-sess.Done():
			return errSessionLost, nil
		case resp, ok := <-wch:
			if !ok {
				return nil, errors.New("watch closed")
			}
			if err := resp.Err(); err != nil {
				return nil, err
			}
			for _, ev := range resp.Events {
				if ev.Type == clientv3.EventTypeDelete || ev.Kv.CreateRevision != f.rev {
					return errKeyLost, nil
				}
			}
		}
	}
}

// check reads the election key when the watch broke. It returns the
// revision read, or why the term is over. A read that fails (the cluster is
// unreachable) is retried after a pause; if the cluster stays away the
// session ends on its own, within the lease TTL.
func (l *Leader) check(ctx context.Context, sess *concurrency.Session, f fence) (int64, error) {
	pause := 50 * time.Millisecond
	for {
		gctx, cancel := l.db.bounded(ctx)
		resp, err := l.db.cli.Get(gctx, f.key)
		cancel()
		if err == nil {
			if len(resp.Kvs) == 0 || resp.Kvs[0].CreateRevision != f.rev {
				return 0, errKeyLost
			}
			return resp.Header.Revision, nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, nil
		case <-sess.Done():
			t.Stop()
			return 0, errSessionLost
		case <-t.C:
		}
		pause = min(2*pause, time.Second)
	}
}

// Resign gives the lead up at once, so another replica takes over without
// waiting for the lease to run out: the current term's context is
// cancelled first, then the election key is deleted. Call it on a graceful
// stop after the scheduler's Run has returned (its runs in flight then have
// recorded their outcomes under the fence). Resigning when not leading does
// nothing.
func (l *Leader) Resign(ctx context.Context) error {
	l.mu.Lock()
	t := l.term
	l.term = nil
	l.leading.Store(false)
	l.mu.Unlock()
	if t == nil {
		return nil
	}
	t.cancel(errResigned)
	<-t.done
	rctx, cancel := l.db.bounded(ctx)
	defer cancel()
	if err := t.election.Resign(rctx); err != nil {
		return storeErr(ctx, fmt.Errorf("etcd: resign: %w", err))
	}
	return nil
}

// Close resigns and revokes the session's lease. Call it before the DB's
// Close on shutdown.
func (l *Leader) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), l.db.opts.RequestTimeout)
	defer cancel()
	err := l.Resign(ctx)
	l.mu.Lock()
	sess := l.session
	l.session = nil
	l.mu.Unlock()
	if sess != nil {
		if cerr := sess.Close(); cerr != nil && err == nil {
			err = storeErr(ctx, cerr)
		}
	}
	return err
}
