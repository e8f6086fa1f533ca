// Package etcdtest starts real etcd servers for tests: the embedded server
// of go.etcd.io/etcd/server/v3/embed (the same minor version as the client),
// on a temporary directory and free loopback ports. No mocks: the tests of
// storage/etcd and of everything above it talk to etcd over gRPC exactly as
// production does.
package etcdtest

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Member is one running embedded etcd server.
type Member struct {
	Name      string
	Dir       string
	ClientURL string
	PeerURL   string
	cfg       *embed.Config
	door      *door // nil for the Shared server, which never stops
	mu        sync.Mutex
	etcd      *embed.Etcd
}

var (
	sharedOnce sync.Once
	shared     *Member
	sharedErr  error
	prefixSeq  atomic.Int64
)

// Shared returns the client endpoints of one single-member server shared by
// every test of the test binary, started on first use. It lives until the
// process exits: tests isolate themselves with Prefix, not with a server of
// their own, so a package pays one start-up.
func Shared(tb testing.TB) []string {
	tb.Helper()
	sharedOnce.Do(func() {
		dir, err := sharedDir(os.TempDir())
		if err != nil {
			sharedErr = err
			return
		}
		cfgs, err := configs("shared", dir, 1)
		if err != nil {
			sharedErr = err
			return
		}
		shared = &Member{Name: cfgs[0].Name, Dir: cfgs[0].Dir, cfg: cfgs[0], ClientURL: cfgs[0].ListenClientUrls[0].String(), PeerURL: cfgs[0].ListenPeerUrls[0].String()}
		sharedErr = startAll([]*Member{shared})
	})
	if sharedErr != nil {
		tb.Fatalf("start embedded etcd: %v", sharedErr)
	}
	return []string{shared.ClientURL}
}

// Prefix returns a key prefix no other test of this process uses, so tests
// on the shared server never see each other's keys.
func Prefix(tb testing.TB) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name())
	return fmt.Sprintf("/test/%s-%d/", name, prefixSeq.Add(1))
}

// Cluster is an n-member cluster of embedded servers, for failover tests.
type Cluster struct {
	Members []*Member
}

// StartCluster starts n members on t.TempDir and stops them when the test
// ends.
func StartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c, err := NewCluster(tb.TempDir(), n)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Stop)
	return c
}

// NewCluster starts n members under dir, for a cluster that outlives one
// test (several tests of a package sharing it, each under its own Prefix);
// the caller stops it with Stop and removes dir. StartCluster is the usual
// way, tied to one test.
//
// Clients reach each member through a door of its own (a loopback relay),
// so that Member.Stop drops them at once, as a dying process does.
func NewCluster(dir string, n int) (*Cluster, error) {
	cfgs, err := configs(fmt.Sprintf("c%d", prefixSeq.Add(1)), dir, n)
	if err != nil {
		return nil, err
	}
	c := &Cluster{}
	for _, cfg := range cfgs {
		d, err := newDoor(cfg.ListenClientUrls[0].Host)
		if err != nil {
			return nil, err
		}
		if err := d.open(); err != nil {
			return nil, err
		}
		u := url.URL{Scheme: "http", Host: d.addr}
		cfg.AdvertiseClientUrls = []url.URL{u}
		c.Members = append(c.Members, &Member{Name: cfg.Name, Dir: cfg.Dir, cfg: cfg, door: d, ClientURL: u.String(), PeerURL: cfg.ListenPeerUrls[0].String()})
	}
	if err := startAll(c.Members); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// Stop stops every member: the followers together, then the leader. A
// leader that stops while its followers run hands the lead to one of them
// first, and one whose followers are stopping with it waits out the
// server's request timeout (over five seconds) for a transfer that cannot
// happen; a follower's stop waits up to a second for its peers' streams.
// Followers first costs that second once.
func (c *Cluster) Stop() {
	var leaders []*Member
	var wg sync.WaitGroup
	for _, m := range c.Members {
		m.door.cut()
		if m.leads() {
			leaders = append(leaders, m)
			continue
		}
		wg.Go(m.Stop)
	}
	wg.Wait()
	for _, m := range leaders {
		wg.Go(m.Stop)
	}
	wg.Wait()
}

// leads reports whether the member is running and its raft leader.
func (m *Member) leads() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.etcd != nil && m.etcd.Server.Leader() == m.etcd.Server.MemberID()
}

// Endpoints lists every member's client URL.
func (c *Cluster) Endpoints() []string {
	var eps []string
	for _, m := range c.Members {
		eps = append(eps, m.ClientURL)
	}
	return eps
}

// Stop stops the member as a crash would, from the clients' view: their
// connections drop at once. It can be started again with Restart.
func (m *Member) Stop() {
	if m.door != nil {
		m.door.cut()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.etcd != nil {
		m.etcd.Close()
		m.etcd = nil
	}
}

// Restart starts a stopped member again on the same directory and ports.
func (m *Member) Restart() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.etcd != nil {
		return nil
	}
	m.cfg.ClusterState = embed.ClusterStateFlagExisting
	e, err := embed.StartEtcd(m.cfg)
	if err != nil {
		return err
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		return fmt.Errorf("etcd member %s did not become ready", m.Name)
	}
	m.etcd = e
	if m.door != nil {
		return m.door.open()
	}
	return nil
}

// startAll starts the members one after the other and then waits until
// each is ready (a cluster's members become ready together, once they
// elect a leader). One after the other is what keeps a cluster's start
// short: a new member first asks each peer whether it is already a member,
// waiting up to a second for an answer; a peer not started yet refuses the
// connection at once, while one that is starting at the same moment has
// its port bound but does not answer yet, which cost a second per peer.
// StartEtcd returns as soon as the member serves its peers, before it is
// ready.
func startAll(ms []*Member) error {
	var started []*embed.Etcd
	for _, m := range ms {
		e, err := embed.StartEtcd(m.cfg)
		if err != nil {
			for _, e := range started {
				e.Close()
			}
			return err
		}
		started = append(started, e)
	}
	timeout := time.After(60 * time.Second)
	for i, e := range started {
		select {
		case <-e.Server.ReadyNotify():
		case <-timeout:
			for _, e := range started {
				e.Close()
			}
			return fmt.Errorf("etcd member %s did not become ready", ms[i].Name)
		}
	}
	for i, m := range ms {
		m.mu.Lock()
		m.etcd = started[i]
		m.mu.Unlock()
	}
	return nil
}

// configs builds n member configs on free loopback ports under dir.
func configs(name, dir string, n int) ([]*embed.Config, error) {
	var cfgs []*embed.Config
	var initial []string
	for i := range n {
		cport, err := freePort()
		if err != nil {
			return nil, err
		}
		pport, err := freePort()
		if err != nil {
			return nil, err
		}
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("%s-%d", name, i)
		cfg.Dir = fmt.Sprintf("%s/%s", dir, cfg.Name)
		cu, _ := url.Parse("http://" + cport)
		pu, _ := url.Parse("http://" + pport)
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
		cfg.InitialClusterToken = name
		cfg.LogLevel = "error"
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		// Tests need fast elections and no fsync cost beyond the real one.
		cfg.TickMs = 20
		cfg.ElectionMs = 200
		cfg.UnsafeNoFsync = true
		initial = append(initial, fmt.Sprintf("%s=%s", cfg.Name, pu.String()))
		cfgs = append(cfgs, cfg)
	}
	for _, cfg := range cfgs {
		cfg.InitialCluster = strings.Join(initial, ",")
	}
	return cfgs, nil
}

// freePort reserves a loopback port and releases it for the server to take.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
