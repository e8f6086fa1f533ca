package install

import (
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestClientAddr: the connection's address unless the proxy is trusted,
// and then the last X-Forwarded-For entry (the one the proxy appended).
func TestClientAddr(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.1:5555"
	r.Header.Add("X-Forwarded-For", "1.1.1.1, 2.2.2.2")
	r.Header.Add("X-Forwarded-For", "3.3.3.3,4.4.4.4")
	if got := clientAddr(r, false); got != "10.0.0.1" {
		t.Errorf("untrusted: %q", got)
	}
	if got := clientAddr(r, true); got != "4.4.4.4" {
		t.Errorf("trusted: %q", got)
	}
	r.Header.Set("X-Forwarded-For", "not-an-ip")
	if got := clientAddr(r, true); got != "10.0.0.1" {
		t.Errorf("trusted, junk header: %q", got)
	}
}

// TestAddrLimitsBounded: the map never grows past maxLimited; addresses
// beyond it share one bucket, and idle entries expire to make room.
func TestAddrLimitsBounded(t *testing.T) {
	l := newAddrLimits(time.Second, 2)
	now := time.Unix(1_800_000_000, 0)
	for i := range maxLimited + 50 {
		l.allow("a"+strconv.Itoa(i), now)
	}
	if n := len(l.buckets); n != maxLimited {
		t.Fatalf("%d buckets, want %d", n, maxLimited)
	}
	ok1, _ := l.allow("late-1", now)
	ok2, _ := l.allow("late-2", now)
	if ok1 || ok2 {
		t.Fatal("the shared overflow bucket (burst 2, used by 50 addresses) still allowed")
	}
	later := now.Add(2 * time.Second)
	if ok, _ := l.allow("fresh", later); !ok {
		t.Fatal("a new address after the idle time was refused")
	}
	if n := len(l.buckets); n > 1 {
		t.Fatalf("%d buckets after expiry, want the idle ones gone", n)
	}
}
