//go:build tamago

package checks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
)

// memStack is an in-memory net.Stack serving TCP on the loopback
// addresses, connecting dialers to listeners with net.Pipe.
type memStack struct {
	mu       sync.Mutex
	nextPort int
	lns      map[int]*memListener
}

func newMemStack() *memStack {
	return &memStack{nextPort: 40000, lns: map[int]*memListener{}}
}

// LookupHost makes memStack a net.StackResolver.
func (s *memStack) LookupHost(ctx context.Context, host string) ([]string, error) {
	if host == "fake.test" {
		return []string{"127.0.0.1"}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (s *memStack) allocPort() int {
	for {
		s.nextPort++
		if _, used := s.lns[s.nextPort]; !used {
			return s.nextPort
		}
	}
}

func isTCP(network string) bool {
	return network == "tcp" || network == "tcp4" || network == "tcp6"
}

var errRefused = errors.New("connection refused")

func (s *memStack) Dial(ctx context.Context, network string, laddr, raddr net.Addr) (net.Conn, error) {
	if !isTCP(network) {
		return nil, net.UnknownNetworkError(network)
	}
	ra, ok := raddr.(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("unexpected address type %T", raddr)
	}
	if !ra.IP.IsLoopback() {
		return nil, errors.New("network unreachable")
	}
	s.mu.Lock()
	ln := s.lns[ra.Port]
	local := &net.TCPAddr{IP: ra.IP, Port: s.allocPort()}
	s.mu.Unlock()
	if ln == nil {
		return nil, errRefused
	}
	c1, c2 := net.Pipe()
	client := &memConn{Conn: c1, local: local, remote: ra}
	server := &memConn{Conn: c2, local: ln.addr, remote: local}
	select {
	case ln.queue <- server:
		return client, nil
	case <-ln.done:
		c1.Close()
		c2.Close()
		return nil, errRefused
	case <-ctx.Done():
		c1.Close()
		c2.Close()
		return nil, ctx.Err()
	}
}

func (s *memStack) Listen(ctx context.Context, network string, laddr net.Addr) (net.Listener, error) {
	if !isTCP(network) {
		return nil, net.UnknownNetworkError(network)
	}
	la, ok := laddr.(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("unexpected address type %T", laddr)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	port := la.Port
	if port == 0 {
		port = s.allocPort()
	} else if _, used := s.lns[port]; used {
		return nil, errors.New("address already in use")
	}
	ln := &memListener{
		s:     s,
		addr:  &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port},
		queue: make(chan net.Conn, 16),
		done:  make(chan struct{}),
	}
	s.lns[port] = ln
	return ln, nil
}

func (s *memStack) ListenPacket(ctx context.Context, network string, laddr net.Addr) (net.PacketConn, error) {
	return nil, net.UnknownNetworkError(network)
}

type memListener struct {
	s     *memStack
	addr  *net.TCPAddr
	queue chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.queue:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() {
		close(l.done)
		l.s.mu.Lock()
		delete(l.s.lns, l.addr.Port)
		l.s.mu.Unlock()
	})
	return nil
}

func (l *memListener) Addr() net.Addr { return l.addr }

// memConn is one end of a net.Pipe with TCP addresses.
type memConn struct {
	net.Conn
	local, remote net.Addr
}

func (c *memConn) LocalAddr() net.Addr  { return c.local }
func (c *memConn) RemoteAddr() net.Addr { return c.remote }
