package cluster

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/meetbot/meetbot/adapters/realtimekit"
	"github.com/meetbot/meetbot/adapters/realtimekit/sandbox"
	"github.com/meetbot/meetbot/adapters/web"
	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/storage/bolt"
	"github.com/meetbot/meetbot/storage/etcd"
	"github.com/meetbot/meetbot/storage/etcd/etcdtest"
)

// BenchmarkBoltVsEtcd runs the two paths people wait on, a /meet schedule
// through core.Service and opening a warm personal join link (GET /j/{code}
// through adapters/web over loopback HTTP, the participant made already;
// store-reads/op counts its reads of the store), on bbolt
// (one file, fsync on) and on etcd (one local member, fsync on: a member of
// its own, not the shared test server, which skips fsync), with RealtimeKit
// as the sandbox behind the real SDK in both. The etcd sub-benchmark
// reports its speed as a fraction of bbolt's measured in the same run
// (x-bolt: 1 is as fast; the targets are 0.5 for schedule and 0.8 for a
// warm join).
//
//	go test -run '^$' -bench BoltVsEtcd -benchtime 2s ./internal/cluster
func BenchmarkBoltVsEtcd(b *testing.B) {
	ratios := newRatios()
	b.Run("schedule", func(b *testing.B) {
		for _, driver := range []string{"bolt", "etcd"} {
			b.Run(driver, func(b *testing.B) {
				svc, _ := benchService(b, driver)
				ctx := context.Background()
				start := time.Now().Add(24 * time.Hour)
				b.SetParallelism(8)
				ratios.run(b, "schedule", driver, func() error {
					_, err := svc.Schedule(ctx, actor(ws, "ana"), core.ScheduleRequest{Title: "Bench", Start: start, Duration: 30 * time.Minute})
					return err
				})
			})
		}
	})
	b.Run("joinwarm", func(b *testing.B) {
		for _, driver := range []string{"bolt", "etcd"} {
			b.Run(driver, func(b *testing.B) {
				svc, reads := benchService(b, driver)
				ctx := context.Background()
				ana := actor(ws, "ana")
				m, err := svc.Schedule(ctx, ana, core.ScheduleRequest{Title: "Standup", Start: time.Now().Add(time.Minute), Duration: time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				link, err := svc.Join(ctx, ana, m.ID)
				if err != nil {
					b.Fatal(err)
				}
				srv := httptest.NewServer(web.New(web.Options{Service: svc, Logger: zerolog.Nop(), Sandbox: true}))
				b.Cleanup(srv.Close)
				target := srv.URL + link.URL[strings.Index(link.URL, "/j/"):]
				tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}
				b.Cleanup(tr.CloseIdleConnections)
				client := &http.Client{Transport: tr}
				get := func() error {
					resp, err := client.Get(target)
					if err != nil {
						return err
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						return fmt.Errorf("GET /j/…: status %d", resp.StatusCode)
					}
					return nil
				}
				if err := get(); err != nil { // warm: the participant exists now
					b.Fatal(err)
				}
				before := reads.Load()
				b.SetParallelism(8)
				ratios.run(b, "joinwarm", driver, get)
				b.ReportMetric(float64(reads.Load()-before)/float64(b.N), "store-reads/op")
			})
		}
	})
}

// ratios keeps each driver's last ns/op per path, so the etcd run can
// report itself against the bbolt run of the same process.
type ratios struct {
	mu sync.Mutex
	ns map[string]float64
}

func newRatios() *ratios { return &ratios{ns: map[string]float64{}} }

// run times op over b.N parallel calls and, for etcd, reports bbolt's
// ns/op divided by its own.
func (r *ratios) run(b *testing.B, path, driver string, op func() error) {
	b.ReportAllocs()
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	ns := float64(time.Since(t0).Nanoseconds()) / float64(b.N)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ns[path+"/"+driver] = ns
	if bolt, ok := r.ns[path+"/bolt"]; ok && driver == "etcd" {
		b.ReportMetric(bolt/ns, "x-bolt")
	}
}

// benchService builds a service on driver with the sandbox behind the
// real SDK and the wall clock. reads counts the store's read calls.
func benchService(b *testing.B, driver string) (*core.Service, *atomic.Int64) {
	b.Helper()
	var store core.Store
	reads := &atomic.Int64{}
	switch driver {
	case "bolt":
		db, err := bolt.Open(filepath.Join(b.TempDir(), "meetbot.db"), bolt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		store = db
	case "etcd":
		db, err := etcd.Open(context.Background(), etcd.Options{Endpoints: []string{fsyncMember(b)}, Prefix: etcdtest.Prefix(b), Logger: zerolog.Nop()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = db.Close() })
		store = db
	}
	sb := sandbox.New(sandbox.Options{APIToken: "test-token"})
	srv := httptest.NewServer(sb)
	b.Cleanup(srv.Close)
	conf, err := realtimekit.New(realtimekit.Config{
		BaseURL: srv.URL + "/client/v4/", AccountID: "acc", AppID: "app", APIToken: "test-token",
		CallTimeout: 10 * time.Second, Budget: 1 << 30, BudgetWindow: 5 * time.Minute,
	}, zerolog.New(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	svc, err := core.NewService(context.Background(), core.Config{DefaultTimeZone: "America/New_York", PublicURL: "http://meet.test"},
		core.Deps{Store: readCounter{store, reads}, Conference: conf, Logger: zerolog.New(io.Discard)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return svc, reads
}

// readCounter counts the reads a join link makes of the store: the
// meeting, the workspace's settings, the participant, the user.
type readCounter struct {
	core.Store
	n *atomic.Int64
}

func (c readCounter) FindMeetingByID(ctx context.Context, ws core.WorkspaceKey, id string) (*core.Meeting, error) {
	c.n.Add(1)
	return c.Store.FindMeetingByID(ctx, ws, id)
}

func (c readCounter) FindWorkspace(ctx context.Context, key core.WorkspaceKey) (*core.Workspace, error) {
	c.n.Add(1)
	return c.Store.FindWorkspace(ctx, key)
}

func (c readCounter) FindParticipant(ctx context.Context, ws core.WorkspaceKey, meetingID, userID string) (*core.Participant, error) {
	c.n.Add(1)
	return c.Store.FindParticipant(ctx, ws, meetingID, userID)
}

func (c readCounter) FindUser(ctx context.Context, key core.UserKey) (*core.User, error) {
	c.n.Add(1)
	return c.Store.FindUser(ctx, key)
}

var (
	memberOnce sync.Once
	memberURL  string
	memberErr  error
)

// fsyncMember starts, once per test binary, a single etcd member with
// etcd's production settings (fsync on every commit, default heartbeat and
// election timing) on a temporary directory and free loopback ports, and
// returns its client URL. A fresh prefix per benchmark keeps runs apart.
func fsyncMember(b *testing.B) string {
	b.Helper()
	memberOnce.Do(func() {
		dir, err := os.MkdirTemp("", "meetbot-bench-etcd-")
		if err != nil {
			memberErr = err
			return
		}
		cfg := embed.NewConfig()
		cfg.Name, cfg.Dir = "bench", filepath.Join(dir, "bench")
		cu, pu := loopbackURL(), loopbackURL()
		if cu == nil || pu == nil {
			memberErr = fmt.Errorf("no free loopback port")
			return
		}
		cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
		cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
		cfg.InitialCluster = "bench=" + pu.String()
		cfg.LogLevel = "error"
		cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			memberErr = err
			return
		}
		select {
		case <-e.Server.ReadyNotify():
			memberURL = cu.String()
		case <-time.After(time.Minute):
			e.Close()
			memberErr = fmt.Errorf("etcd member did not become ready")
		}
	})
	if memberErr != nil {
		b.Fatal(memberErr)
	}
	return memberURL
}

// loopbackURL reserves a free loopback port and returns it as an http URL.
func loopbackURL() *url.URL {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil
	}
	defer l.Close()
	return &url.URL{Scheme: "http", Host: l.Addr().String()}
}
