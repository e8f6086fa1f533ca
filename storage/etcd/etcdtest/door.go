package etcdtest

import (
	"io"
	"net"
	"sync"
)

// door is a cluster member's client address: a TCP relay in front of the
// server's own client listener. Stopping a member cuts every connection at
// the door first, which is what clients see when a server process dies.
// Without it, embed's Close stops its gRPC server gracefully and waits up to
// the server's request timeout (over five seconds) for the clients' watch
// and keep-alive streams to end, so every Stop with a client still
// connected cost that long and was no crash at all: the server went on
// answering the open streams while it waited.
type door struct {
	addr string // what clients dial (host:port)
	back string // the server's own client listener (host:port)

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

// newDoor reserves a client address for a server listening on back.
func newDoor(back string) (*door, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	return &door{addr: addr, back: back, conns: map[net.Conn]struct{}{}}, nil
}

// open starts accepting clients on the door's address (again, after cut).
func (d *door) open() error {
	ln, err := net.Listen("tcp", d.addr)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.ln = ln
	d.mu.Unlock()
	go d.serve(ln)
	return nil
}

// serve relays every connection accepted on ln until ln is closed.
func (d *door) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go d.relay(c)
	}
}

// relay copies c to a new connection to the server and back until either
// side ends or the door is cut.
func (d *door) relay(c net.Conn) {
	s, err := net.Dial("tcp", d.back)
	if err != nil {
		_ = c.Close()
		return
	}
	if !d.track(c, s) {
		_ = c.Close()
		_ = s.Close()
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(s, c)
	go pipe(c, s)
	<-done
	_ = c.Close()
	_ = s.Close()
	<-done
	d.mu.Lock()
	delete(d.conns, c)
	delete(d.conns, s)
	d.mu.Unlock()
}

// track records a relayed pair, unless the door was cut meanwhile.
func (d *door) track(c, s net.Conn) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ln == nil {
		return false
	}
	d.conns[c], d.conns[s] = struct{}{}, struct{}{}
	return true
}

// cut stops accepting and closes every relayed connection at once.
func (d *door) cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ln != nil {
		_ = d.ln.Close()
		d.ln = nil
	}
	for c := range d.conns {
		_ = c.Close()
		delete(d.conns, c)
	}
}
