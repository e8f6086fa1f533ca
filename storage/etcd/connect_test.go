package etcd

import (
	"testing"
	"time"
)

// TestReconnectIsCapped: a production client (no test pause) waits at
// most maxReconnect between attempts to reach a lost endpoint, not gRPC's
// two minutes, and starts from gRPC's one second; a test pause is used
// as it is.
func TestReconnectIsCapped(t *testing.T) {
	p := connectParams(0)
	if p.Backoff.MaxDelay != maxReconnect || maxReconnect > 5*time.Second {
		t.Errorf("production reconnect backoff caps at %v, want %v (at most 5 s)", p.Backoff.MaxDelay, maxReconnect)
	}
	if p.Backoff.BaseDelay != time.Second || p.Backoff.Multiplier <= 1 {
		t.Errorf("production reconnect backoff starts at %v growing %gx, want gRPC's 1 s growing", p.Backoff.BaseDelay, p.Backoff.Multiplier)
	}
	if p.MinConnectTimeout < 5*time.Second {
		t.Errorf("connect timeout %v: a slow handshake would count as a failure", p.MinConnectTimeout)
	}
	if q := connectParams(20 * time.Millisecond); q.Backoff.BaseDelay != 20*time.Millisecond || q.Backoff.MaxDelay != 20*time.Millisecond {
		t.Errorf("test pause: backoff %+v, want every 20ms", q.Backoff)
	}
}
