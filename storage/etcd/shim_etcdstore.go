package etcd

// Temporary copies of helpers that the etcdstore branch defines in keys.go
// and txn.go, so this branch builds before that work is merged. Deleted in
// the merge commit.

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/meetbot/meetbot/core"
)

const maxAttempts = 100

func errContended(what string) error {
	return core.Errorf(core.ECONFLICT, "Too many changes to %s at once. Please try again.", what)
}

func backoff(ctx context.Context, n int) error {
	limit := time.Millisecond << min(n, 6)
	t := time.NewTimer(rand.N(limit) + time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

var escaper = strings.NewReplacer("%", "%25", "/", "%2F")

func esc(s string) string { return escaper.Replace(s) }

var unescaper = strings.NewReplacer("%2F", "/", "%25", "%")

func unesc(s string) string { return unescaper.Replace(s) }

func validName(s string) bool { return s != "" && strings.IndexByte(s, 0) < 0 }

func wsPart(ws core.WorkspaceKey) (string, error) {
	if ws.Platform == "" || ws.ID == "" {
		return "", fmt.Errorf("etcd: incomplete workspace key %q", ws.String())
	}
	if !validName(string(ws.Platform)) || !validName(ws.ID) {
		return "", fmt.Errorf("etcd: workspace key %q contains a NUL byte", ws.String())
	}
	return esc(string(ws.Platform)) + "/" + esc(ws.ID), nil
}

const timeHexLen = 24

func timeHex(t time.Time) string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.Unix())^(1<<63))
	binary.BigEndian.PutUint32(b[8:], uint32(t.Nanosecond()))
	return hex.EncodeToString(b[:])
}

func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\x00"
}
