package graceful

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync"
)

// connTracker follows the connections a server hijacked (websockets, CONNECT tunnels),
// which http.Server.Shutdown neither waits for nor closes (golang/go#17721). It wraps the
// listener so it learns when such a connection is closed, whoever closes it.
type connTracker struct {
	mu       sync.Mutex
	hijacked map[*trackedConn]struct{}
	changed  chan struct{} // closed and replaced whenever a hijacked connection closes
}

func newConnTracker() *connTracker {
	return &connTracker{hijacked: map[*trackedConn]struct{}{}, changed: make(chan struct{})}
}

// listener wraps ln so every accepted connection reports its Close to t.
func (t *connTracker) listener(ln net.Listener) net.Listener { return trackedListener{ln, t} }

// markHijacked is a ConnState hook: it starts following c once it is hijacked. Under TLS
// the server sees the *tls.Conn wrapping our connection.
func (t *connTracker) markHijacked(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	tc, ok := c.(*trackedConn)
	if !ok {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !tc.closed {
		t.hijacked[tc] = struct{}{}
	}
}

func (t *connTracker) closed(c *trackedConn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c.closed = true
	if _, ok := t.hijacked[c]; ok {
		delete(t.hijacked, c)
		close(t.changed)
		t.changed = make(chan struct{})
	}
}

// open returns how many hijacked connections are still open.
func (t *connTracker) open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.hijacked)
}

// wait returns nil once no hijacked connection is open. When ctx ends first it closes the
// ones left and says how many.
func (t *connTracker) wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		n, changed := len(t.hijacked), t.changed
		t.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return t.closeAll(ctx.Err())
		}
	}
}

func (t *connTracker) closeAll(cause error) error {
	t.mu.Lock()
	left := make([]*trackedConn, 0, len(t.hijacked))
	for c := range t.hijacked {
		left = append(left, c)
	}
	t.mu.Unlock()
	if len(left) == 0 {
		return nil
	}
	for _, c := range left {
		_ = c.Close() // the error of a forced close tells nothing new
	}
	return fmt.Errorf("closed %d hijacked connections still open: %w", len(left), cause)
}

type trackedListener struct {
	net.Listener
	t *connTracker
}

func (l trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &trackedConn{Conn: c, t: l.t}, nil
}

// trackedConn reports its first Close to its tracker. It forwards CloseWrite and ReadFrom
// so net/http keeps its lingering close and sendfile paths.
type trackedConn struct {
	net.Conn
	t      *connTracker
	once   sync.Once
	closed bool // guarded by t.mu
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.t.closed(c) })
	return err
}

func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *trackedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}
