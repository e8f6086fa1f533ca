package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/meetbot/meetbot/core"
	"github.com/meetbot/meetbot/internal/proctest"
)

// The child processes of a run (the sandbox and the bot), their logs in
// Options.Dir, and the HTTP calls the harness makes to them.

// proc is one child process; done closes when it has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// spawn starts bin with args and the harness's environment plus env, its
// output appended to Dir/name.log (kept across restarts, so a run's log
// shows every life of the bot).
func (h *harness) spawn(name string, env []string, bin string, args ...string) (*proc, error) {
	logf, err := os.OpenFile(filepath.Join(h.o.Dir, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = h.o.Dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM and waits for the exit, killing after limit.
func (p *proc) stop(limit time.Duration) {
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// startBot starts the bot's next life, `bot serve` on the run's config and
// clock, and waits until /readyz answers 200.
func (h *harness) startBot(ctx context.Context) error {
	if h.bot != nil {
		h.life++
	}
	if err := h.writeConfig(); err != nil {
		return err
	}
	p, err := h.spawn("bot", h.tl.env(), h.o.Bot, "serve", "--config", h.config)
	if err != nil {
		return err
	}
	h.bot = p
	if err := proctest.WaitHTTP(ctx, "http://"+h.listen+"/readyz", http.StatusOK, 60*time.Second, p.done); err != nil {
		return fmt.Errorf("bot did not get ready (log: %s): %w", filepath.Join(h.o.Dir, "bot.log"), err)
	}
	return nil
}

// command sends one signed /meet command in channel C<n> and returns the
// answer's text.
func (h *harness) command(n int, text string) (string, error) {
	raw, err := proctest.Command{Addr: h.listen, Secret: signingSecret, Domain: "soak", Channel: n, Text: text,
		ResponseURL: "http://" + h.slackAddr + "/hooks/" + strconv.Itoa(n)}.Send()
	return string(raw), err
}

// upstreamRoom is a RealtimeKit meeting as the sandbox lists it.
type upstreamRoom struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
}

// upstreamRooms lists every room the sandbox holds, page by page, through
// its REST API (what the bot itself talks to).
func (h *harness) upstreamRooms(ctx context.Context) ([]upstreamRoom, error) {
	var all []upstreamRoom
	for page := 1; page < 1000; page++ {
		u := fmt.Sprintf("http://%s/client/v4/accounts/soak-account/realtime/kit/soak-app/meetings?page_no=%d&per_page=100", h.sandboxAddr, page)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+apiToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		var body struct {
			Success bool           `json:"success"`
			Data    []upstreamRoom `json:"data"`
			Paging  struct {
				TotalCount int `json:"total_count"`
			} `json:"paging"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if err != nil || !body.Success {
			return nil, fmt.Errorf("list sandbox rooms (page %d): %v", page, err)
		}
		all = append(all, body.Data...)
		if len(body.Data) == 0 || len(all) >= body.Paging.TotalCount {
			return all, nil
		}
	}
	return all, nil
}

// waitClosed asks the sandbox, every 100 ms, until it holds at least rooms
// rooms and none is active (every window closed), or until limit (real
// time); the
// accounting then says what is missing. The sandbox is another process
// and gives no other signal, so this polls, as proctest.WaitHTTP does.
func (h *harness) waitClosed(ctx context.Context, rooms int, limit time.Time) error {
	for {
		all, err := h.upstreamRooms(ctx)
		open := 0
		for _, r := range all {
			if r.Status == string(core.RoomActive) {
				open++
			}
		}
		if err == nil && len(all) >= rooms && open == 0 {
			return nil
		}
		if !time.Now().Before(limit) {
			return fmt.Errorf("%d rooms upstream, %d still active, want %d closed (last error: %v)", len(all), open, rooms, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
