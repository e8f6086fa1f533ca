package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/meetbot/meetbot/internal/proctest"
)

// The child processes of a run: etcd, the sandbox and the replicas, with
// their logs in Options.Dir, and the HTTP probes that find which replica
// is ready and which leads.

// proc is one child process with its log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

// startEtcd runs one etcd member on free ports, fsync on.
func (c *cluster) startEtcd() error {
	client, err := proctest.FreeAddr()
	if err != nil {
		return err
	}
	peer, err := proctest.FreeAddr()
	if err != nil {
		return err
	}
	c.etcdURL = "http://" + client
	p, err := c.spawn("etcd", c.o.Etcd, []string{
		"--name", "failover", "--data-dir", filepath.Join(c.o.Dir, "etcd"),
		"--listen-client-urls", c.etcdURL, "--advertise-client-urls", c.etcdURL,
		"--listen-peer-urls", "http://" + peer, "--initial-advertise-peer-urls", "http://" + peer,
		"--initial-cluster", "failover=http://" + peer, "--log-level", "error",
	}, nil)
	if err != nil {
		return err
	}
	c.others = append(c.others, p)
	return proctest.WaitHTTP(context.Background(), c.etcdURL+"/health", http.StatusOK, 30*time.Second, nil)
}

// startBot starts replica i (again) and waits until its /readyz answers.
func (c *cluster) startBot(ctx context.Context, i int) error {
	name := "r" + strconv.Itoa(i)
	p, err := c.spawn(name, c.o.Bot, []string{"serve", "--config", c.config}, []string{"MEETBOT_LISTEN=" + c.listen[i], "MEETBOT_REPLICA=" + name})
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.bots[i] = p
	c.mu.Unlock()
	if err := proctest.WaitHTTP(ctx, "http://"+c.listen[i]+"/readyz", http.StatusOK, 30*time.Second, nil); err != nil {
		return fmt.Errorf("replica %s did not get ready (log: %s): %w", name, c.logPath(name), err)
	}
	return nil
}

// spawn starts a child whose output goes to a log file in Dir, appending
// across restarts.
func (c *cluster) spawn(name, bin string, args, env []string) (*proc, error) {
	logf, err := os.OpenFile(c.logPath(name), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = c.o.Dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

func (c *cluster) logPath(name string) string { return filepath.Join(c.o.Dir, name+".log") }

// stopAll stops the replicas gracefully, then the sandbox and etcd.
func (c *cluster) stopAll() {
	c.mu.Lock()
	procs := append(append([]*proc(nil), c.bots...), c.others...)
	c.mu.Unlock()
	for _, p := range procs {
		if p == nil {
			continue
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// nextLeader asks the replicas other than old, every 10 ms, until one
// says on /readyz that it leads, and returns it with when it first said so.
func (c *cluster) nextLeader(ctx context.Context, old int) (int, time.Time, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for i, addr := range c.listen {
			var body struct {
				Leading bool `json:"leading"`
			}
			if i != old && getJSON(ctx, "http://"+addr+"/readyz", &body) == nil && body.Leading {
				return i, time.Now(), nil
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0, time.Time{}, errors.New("no other replica said it leads within 30 s")
}

// leader asks every replica's /readyz and returns the one index leading.
// Right after a start or a handover there may be none for a moment, so it
// asks again for a while.
func (c *cluster) leader(ctx context.Context) (int, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var leading []int
		for i, addr := range c.listen {
			var body struct {
				Leading bool `json:"leading"`
			}
			if err := getJSON(ctx, "http://"+addr+"/readyz", &body); err == nil && body.Leading {
				leading = append(leading, i)
			}
		}
		if len(leading) == 1 {
			return leading[0], nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, errors.New("no single replica says it leads on /readyz")
}

func getJSON(ctx context.Context, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
