package discord_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/gorilla/websocket"
)

// gwFrame is one gateway payload as the client sent it.
type gwFrame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
}

// gwConn is the server side of one gateway connection. A reader
// goroutine answers heartbeats (op 1 → op 11) and hands every other frame
// to the test; closed is closed when reading fails, with readErr set.
type gwConn struct {
	ws      *websocket.Conn
	query   url.Values
	wmu     sync.Mutex
	in      chan gwFrame
	beat    chan int64 // the sequence number of each heartbeat, while there is room
	closed  chan struct{}
	readErr error
}

// fakeGateway accepts websocket connections as Discord's gateway would
// and hands each to the test.
type fakeGateway struct {
	*httptest.Server
	conns chan *gwConn
}

func newFakeGateway(t *testing.T) *fakeGateway {
	g := &fakeGateway{conns: make(chan *gwConn, 4)}
	var up websocket.Upgrader
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered with an HTTP error
		}
		c := &gwConn{ws: ws, query: r.URL.Query(),
			in: make(chan gwFrame, 16), beat: make(chan int64, 16), closed: make(chan struct{})}
		go c.read()
		select {
		case g.conns <- c:
		default: // a reconnect storm; the test sees the full channel
			_ = ws.Close()
		}
	}))
	t.Cleanup(g.Close)
	return g
}

// wsURL is the gateway's address as GET /gateway gives it.
func (g *fakeGateway) wsURL() string {
	u, _ := url.Parse(g.URL) // httptest's own URL
	u.Scheme = "ws"
	return u.String()
}

func (c *gwConn) read() {
	defer close(c.closed)
	for {
		mt, b, err := c.ws.ReadMessage()
		if err != nil {
			c.readErr = err
			_ = c.ws.Close()
			return
		}
		var f gwFrame
		if mt != websocket.TextMessage || json.Unmarshal(b, &f) != nil {
			f = gwFrame{Op: -1, D: b} // not JSON text: the test reports it
		}
		if f.Op == 1 {
			var seq int64
			_ = json.Unmarshal(f.D, &seq)
			select {
			case c.beat <- seq:
			default:
			}
			_ = c.write(websocket.TextMessage, []byte(`{"op":11}`))
			continue
		}
		select {
		case c.in <- f:
		default: // more unexpected frames than room: the first are enough to fail on
		}
	}
}

func (c *gwConn) write(mt int, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.ws.WriteMessage(mt, b)
}

// send writes one payload as a text frame.
func (c *gwConn) send(t *testing.T, payload string) {
	t.Helper()
	if err := c.write(websocket.TextMessage, []byte(payload)); err != nil {
		t.Fatalf("gateway write: %v", err)
	}
}

// sendZlib writes one payload zlib-compressed in a binary frame, as
// Discord may once IDENTIFY asked for compress: true.
func (c *gwConn) sendZlib(t *testing.T, payload string) {
	t.Helper()
	var buf bytes.Buffer
	z := zlib.NewWriter(&buf)
	if _, err := z.Write([]byte(payload)); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.write(websocket.BinaryMessage, buf.Bytes()); err != nil {
		t.Fatalf("gateway write: %v", err)
	}
}

// await receives from ch or fails the test when ctx ends first.
func await[T any](ctx context.Context, t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
