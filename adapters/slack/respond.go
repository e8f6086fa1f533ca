package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	slackapi "github.com/slack-go/slack"
)

// jsonMarshal encodes a message as Slack expects it.
// It does not escape <, > and & as \u003c and friends (encoding/json's
// default, meant for JSON inside HTML): Slack reads the same string either
// way, and mrkdwn is full of them (<!date^…>, &lt;), so the body is
// smaller and quicker to write, and holdsLink sees a link as it is.
func jsonMarshal(msg slackapi.Msg) ([]byte, error) {
	if b, ok := textOnlyJSON(msg); ok {
		return b, nil
	}
	return marshalNoHTML(msg)
}

// replyBufs recycles the buffers writeMsg encodes text-only replies into:
// a list reply is a few kilobytes, written once and dropped.
var replyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// writeMsg answers the request itself with msg as JSON.
func (a *Adapter) writeMsg(w http.ResponseWriter, msg slackapi.Msg) {
	bp := replyBufs.Get().(*[]byte)
	if b, ok := appendTextOnlyJSON((*bp)[:0], &msg); ok {
		writeJSON(w, b)
		if cap(b) <= 64<<10 {
			*bp = b[:0]
			replyBufs.Put(bp)
		}
		return
	}
	replyBufs.Put(bp)
	b, err := jsonMarshal(msg)
	if err != nil {
		a.opts.Logger.Error().Err(err).Msg("could not encode a slack reply")
		b = []byte(`{"response_type":"ephemeral","text":"Something went wrong on our side. Please try again."}`)
	}
	writeJSON(w, b)
}

// writeJSON sends b as the 200 JSON answer.
func writeJSON(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// ResponseURLBaseFor is where Slack's response_urls point when its Web
// API is at apiURL: the "hooks." host beside the API's host, as
// hooks.slack.com is beside slack.com and hooks.slack-gov.com beside
// GovSlack's slack-gov.com. An API at an IP address or localhost (a test
// server, a local stand-in) serves its response_urls itself, so the base
// is its own scheme and host. An unparsable apiURL yields
// DefaultResponseURLBase.
func ResponseURLBaseFor(apiURL string) string {
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || u.Scheme == "" {
		return DefaultResponseURLBase
	}
	host := u.Hostname()
	if host == "localhost" || net.ParseIP(host) != nil {
		return u.Scheme + "://" + u.Host + "/"
	}
	hooks := "hooks." + host
	if p := u.Port(); p != "" {
		hooks = net.JoinHostPort(hooks, p)
	}
	return u.Scheme + "://" + hooks + "/"
}

// allowedResponseURL reports whether raw is a response_url we may post to:
// https (or the configured base's scheme) under ResponseURLBase, with no
// user info, so a forged payload cannot make us post elsewhere.
func (a *Adapter) allowedResponseURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Host == "" {
		return false
	}
	base, err := url.Parse(a.opts.ResponseURLBase)
	if err != nil {
		return false
	}
	return u.Scheme == base.Scheme && u.Host == base.Host && strings.HasPrefix(u.Path, base.Path)
}

// respond posts msg to a response_url. Slack takes up to five posts per
// response_url within 30 minutes.
func (a *Adapter) respond(ctx context.Context, responseURL string, msg slackapi.Msg) error {
	if !a.allowedResponseURL(responseURL) {
		return fmt.Errorf("response_url is not under %s", a.opts.ResponseURLBase)
	}
	b, err := jsonMarshal(msg)
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("build response_url request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.opts.HTTPClient.Do(req)
	if err != nil {
		// The URL is a credential for 30 minutes: keep it out of logs.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post to response_url: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post to response_url: status %d", resp.StatusCode)
	}
	return nil
}
