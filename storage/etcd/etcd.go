package etcd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	grpcbackoff "google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/meetbot/meetbot/core"
)

// UnavailableMessage is what a person sees when the cluster cannot be
// reached: the request changed nothing and can simply be repeated.
const UnavailableMessage = "meetbot cannot reach its store; try again in a minute."

// Defaults for Options.
const (
	DefaultPrefix         = "/meetbot/"
	DefaultLeaderTTL      = 3 * time.Second
	DefaultDialTimeout    = 5 * time.Second
	DefaultRequestTimeout = 5 * time.Second
	// MaxTxnOps is etcd's default --max-txn-ops. A cluster configured
	// higher still works; one configured lower does not.
	MaxTxnOps = 128
)

// Options configure Open. Endpoints is required; the rest have defaults.
type Options struct {
	// Endpoints are the cluster's client URLs (http://host:2379 or
	// https://…).
	Endpoints []string
	// Username and Password authenticate when the cluster has auth on.
	Username, Password string
	// TLS, when set, is used for every connection (client certificates,
	// a private CA).
	TLS *tls.Config
	// Prefix scopes every key, so several installs can share a cluster.
	// It must end in "/"; default DefaultPrefix.
	Prefix string
	// LeaderTTL is the lease of the leader's session: how long a dead
	// leader keeps the lead before another replica takes over. Default 3s.
	LeaderTTL time.Duration
	// DialTimeout bounds Open's first contact with the cluster; Open then
	// fails naming the endpoints it could not reach. Default 5s.
	DialTimeout time.Duration
	// RequestTimeout bounds each store call that has no earlier deadline,
	// so a cluster that went away answers EUNAVAILABLE instead of
	// hanging. Default 5s.
	RequestTimeout time.Duration
	// ReplicaID names this process in the election and in logs.
	ReplicaID string
	// Logger receives connection, election and watch events.
	Logger zerolog.Logger
	// NoReadCache turns the watch-fed cache of point reads off (see the
	// package doc and DB.Sync): every read then asks the cluster, which
	// costs a round trip per record but never returns one that another
	// replica changed a few milliseconds ago. For tests that need every
	// read linearizable, and for operators who prefer that trade.
	NoReadCache bool

	// reconnect, when set, is the pause between the client's attempts to
	// reach an endpoint it lost. Unset, gRPC's backoff applies (one
	// second, growing 1.6 times with jitter), capped at maxReconnect
	// instead of gRPC's two minutes. Tests set it (WithReconnectPause in
	// export_test.go) so that a client finds a restarted test server in
	// milliseconds instead of at its next backoff, which is what their
	// waits for recovery cost.
	reconnect time.Duration
}

// DB is a core.Store on an etcd cluster. It is safe for concurrent use, by
// any number of replicas at once.
type DB struct {
	cli    *clientv3.Client
	opts   Options
	prefix string
	log    zerolog.Logger
	// cache serves point reads without a round trip; nil with
	// Options.NoReadCache.
	cache *readCache
}

// Open connects to the cluster and checks that at least one endpoint
// answers within DialTimeout. A cluster that cannot be reached fails with an
// error naming every endpoint and why, so an operator sees at once which
// address is wrong.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if len(opts.Endpoints) == 0 {
		return nil, errors.New("etcd: no endpoints configured (storage.etcd.endpoints)")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if !strings.HasSuffix(opts.Prefix, "/") {
		return nil, fmt.Errorf("etcd: prefix %q must end in /", opts.Prefix)
	}
	if opts.LeaderTTL <= 0 {
		opts.LeaderTTL = DefaultLeaderTTL
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            opts.Endpoints,
		Username:             opts.Username,
		Password:             opts.Password,
		TLS:                  opts.TLS,
		DialTimeout:          opts.DialTimeout,
		DialKeepAliveTime:    10 * time.Second,
		DialKeepAliveTimeout: 3 * time.Second,
		// The client's own zap logging would bypass ours; its errors
		// reach us as return values.
		Logger:      zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(connectParams(opts.reconnect))},
	})
	if err != nil {
		return nil, fmt.Errorf("etcd: connect to %s: %w", strings.Join(opts.Endpoints, ", "), err)
	}
	if err := reach(ctx, cli, opts); err != nil {
		_ = cli.Close()
		return nil, err
	}
	db := &DB{cli: cli, opts: opts, prefix: opts.Prefix, log: opts.Logger}
	if !opts.NoReadCache {
		db.startCache()
	}
	return db, nil
}

// maxReconnect caps the pause between a client's attempts to reach an
// endpoint it lost. gRPC's own cap is two minutes, which after a long
// outage left a replica up to two minutes behind a cluster that was back
// (no leader, no jobs, commands refused); an attempt every few seconds
// per endpoint costs the cluster nothing.
const maxReconnect = 5 * time.Second

// connectParams is how the client reconnects to a lost endpoint: every d
// when d is set (tests), else gRPC's default backoff capped at
// maxReconnect. A refused connection fails at once, so the connect
// timeout stays generous: a handshake on a loaded machine must not count
// as a failure.
func connectParams(d time.Duration) grpc.ConnectParams {
	if d <= 0 {
		b := grpcbackoff.DefaultConfig
		b.MaxDelay = maxReconnect
		return grpc.ConnectParams{Backoff: b, MinConnectTimeout: 20 * time.Second}
	}
	return grpc.ConnectParams{
		Backoff:           grpcbackoff.Config{BaseDelay: d, Multiplier: 1, MaxDelay: d},
		MinConnectTimeout: 5 * time.Second,
	}
}

// reach asks every endpoint for its status and succeeds when one answers.
// Otherwise the error names each endpoint with its failure.
func reach(ctx context.Context, cli *clientv3.Client, opts Options) error {
	var fails []string
	for _, ep := range opts.Endpoints {
		sctx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
		_, err := cli.Status(sctx, ep)
		cancel()
		if err == nil {
			return nil
		}
		fails = append(fails, fmt.Sprintf("%s (%v)", ep, plain(err)))
	}
	return fmt.Errorf("etcd: cannot reach any endpoint: %s", strings.Join(fails, "; "))
}

// plain turns a gRPC deadline into words an operator reads.
func plain(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer"
	}
	return err.Error()
}

// Client is the underlying client, for the election and for tools (migrate)
// that need the raw keyspace.
func (db *DB) Client() *clientv3.Client { return db.cli }

// Prefix is the key prefix every record of this install lives under.
func (db *DB) Prefix() string { return db.prefix }

// Close stops the read cache's watch and releases the client. Sessions
// made from it end with it.
func (db *DB) Close() error {
	db.stopCache()
	return db.cli.Close()
}

// key joins parts under the prefix with "/".
func (db *DB) key(parts ...string) string {
	return db.prefix + strings.Join(parts, "/")
}

// bounded gives ctx the request timeout when it has no earlier deadline.
func (db *DB) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= db.opts.RequestTimeout {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, db.opts.RequestTimeout)
}

// storeErr maps a client error to core's codes: anything that means the
// cluster could not answer is EUNAVAILABLE with UnavailableMessage; a
// request the cluster refused as malformed is EINTERNAL (telling the user
// to try again later would be wrong); a caller's own cancellation stays as
// it is.
func storeErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return err
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, rpctypes.ErrPermissionDenied) || errors.Is(err, rpctypes.ErrAuthFailed) {
		return core.Wrap(core.EINTERNAL, err, "meetbot's store refused its credentials; ask the operator to check storage.etcd.")
	}
	var refused rpctypes.EtcdError
	if status.Code(err) == codes.InvalidArgument || (errors.As(err, &refused) && refused.Code() == codes.InvalidArgument) {
		// The cluster answered and refused the request itself (a duplicate
		// key in one txn, too many operations, a request over its size
		// limit): retrying cannot help and the operator cannot fix it, so
		// it is a defect of this process, not an outage.
		return core.Wrap(core.EINTERNAL, err, "meetbot's store refused a request it built wrongly; this is a bug, please report it.")
	}
	if ctx.Err() == nil && status.Code(err) == codes.Canceled {
		// Nobody cancelled the call, so the client itself is closing: a
		// store used after Close is a bug of this process, not an outage
		// worth a retry (bbolt answers the same way).
		return core.Wrap(core.EINTERNAL, err, "etcd store is closed")
	}
	return core.Wrap(core.EUNAVAILABLE, err, UnavailableMessage)
}

// Ping reports whether the cluster answers a linearizable read, for
// /readyz.
func (db *DB) Ping(ctx context.Context) error {
	bctx, cancel := db.bounded(ctx)
	defer cancel()
	_, err := db.cli.Get(bctx, db.key("ready_probe"), clientv3.WithCountOnly())
	// Mapped against the caller's ctx: the request timeout running out
	// means the cluster did not answer, not that the caller gave up.
	return storeErr(ctx, err)
}
