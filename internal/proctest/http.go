package proctest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/meetbot/meetbot/adapters/slack/signature"
)

// FreeAddr reserves a loopback port and releases it for a child to take.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// WaitHTTP asks u until it answers (with status want, when not 0), limit
// passes, or exited closes (the child died; nil means never). A child
// process gives no other signal that it is ready, so this polls.
func WaitHTTP(ctx context.Context, u string, want int, limit time.Duration, exited <-chan struct{}) error {
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

// commandClient sends the commands; a bot that hangs counts as not
// answering.
var commandClient = &http.Client{Timeout: 10 * time.Second}

// Command is one /meet slash command from user U1 of team T1 in channel
// C<Channel>, signed with Secret the way Slack signs.
type Command struct {
	Addr        string // the bot's listen address
	Secret      string // slack.signing_secret
	Domain      string // team_domain
	Channel     int
	Text        string
	ResponseURL string
}

// Send posts c to the bot's /slack/commands and returns the answer's body;
// a status other than 200 is an error.
func (c Command) Send() ([]byte, error) {
	n := strconv.Itoa(c.Channel)
	form := url.Values{
		"team_id": {"T1"}, "team_domain": {c.Domain}, "channel_id": {"C" + n}, "channel_name": {"c" + n},
		"user_id": {"U1"}, "user_name": {"u1"}, "command": {"/meet"}, "text": {c.Text},
		"response_url": {c.ResponseURL}, "trigger_id": {"t" + n}, "api_app_id": {"A1"},
	}
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, "http://"+c.Addr+"/slack/commands", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(signature.HeaderTimestamp, ts)
	req.Header.Set(signature.HeaderSignature, signature.Sign(c.Secret, ts, []byte(body)))
	resp, err := commandClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	return raw, nil
}
