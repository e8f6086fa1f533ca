package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/meetbot/meetbot/adapters/slack/signature"
)

// The child processes of a run (the sandbox and the bot), their logs in
// Options.Dir, and the HTTP calls the harness makes to them.

// proc is one child process; done closes when it has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// spawn starts bin with args, its output appended to Dir/name.log (kept
// across restarts, so a run's log shows every life of the bot).
func (h *harness) spawn(name, bin string, args ...string) (*proc, error) {
	logf, err := os.OpenFile(filepath.Join(h.o.Dir, name+".log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = h.o.Dir
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

// startBot starts `bot serve` on the run's config and waits until /readyz
// answers 200.
func (h *harness) startBot(ctx context.Context) error {
	p, err := h.spawn("bot", h.o.Bot, "serve", "--config", h.config)
	if err != nil {
		return err
	}
	h.bot = p
	if err := waitHTTP(ctx, "http://"+h.listen+"/readyz", http.StatusOK, 60*time.Second, p.done); err != nil {
		return fmt.Errorf("bot did not get ready (log: %s): %w", filepath.Join(h.o.Dir, "bot.log"), err)
	}
	return nil
}

// waitHTTP asks u until it answers (with status want, when not 0), the
// limit passes, or exited closes (the process died).
func waitHTTP(ctx context.Context, u string, want int, limit time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if want == 0 || resp.StatusCode == want {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return fmt.Errorf("the process exited: %v", last)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: %w", u, last)
}

// freeAddr reserves a loopback port and releases it for a child to take.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// commandClient sends the slash commands; a bot that hangs counts as not
// answering.
var commandClient = &http.Client{Timeout: 10 * time.Second}

// command sends one signed /meet command in channel C<n> and returns the
// answer's text.
func (h *harness) command(n int, text string) (string, error) {
	form := url.Values{
		"team_id": {"T1"}, "team_domain": {"soak"}, "channel_id": {"C" + strconv.Itoa(n)}, "channel_name": {"c" + strconv.Itoa(n)},
		"user_id": {"U1"}, "user_name": {"u1"}, "command": {"/meet"}, "text": {text},
		"response_url": {"http://" + h.slackAddr + "/hooks/" + strconv.Itoa(n)}, "trigger_id": {"t" + strconv.Itoa(n)}, "api_app_id": {"A1"},
	}
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, "http://"+h.listen+"/slack/commands", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(signature.HeaderTimestamp, ts)
	req.Header.Set(signature.HeaderSignature, signature.Sign(signingSecret, ts, []byte(body)))
	resp, err := commandClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	return string(raw), nil
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
