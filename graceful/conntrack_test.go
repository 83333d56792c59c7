package graceful

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection, the server end tracked.
func tcpPair(t *testing.T, tr *connTracker) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	tl := tr.listener(ln)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := tl.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = recv(t, accepted, "accept")
	t.Cleanup(func() { server.Close(); client.Close() })
	_ = client.SetDeadline(time.Now().Add(testWait))
	return server, client
}

func TestTrackedConnKeepsFastPaths(t *testing.T) {
	t.Parallel()
	tr := newConnTracker()
	server, client := tcpPair(t, tr)
	if _, ok := server.(*trackedConn); !ok {
		t.Fatalf("accepted %T, want *trackedConn", server)
	}

	// ReadFrom forwards to the TCP connection (splice/sendfile paths of net/http).
	n, err := server.(io.ReaderFrom).ReadFrom(strings.NewReader("payload"))
	if err != nil || n != 7 {
		t.Fatalf("ReadFrom = %d, %v", n, err)
	}
	// CloseWrite half-closes: the client reads EOF after the data, and can still write.
	if err := server.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	got, err := io.ReadAll(client)
	if err != nil || string(got) != "payload" {
		t.Fatalf("client read %q, %v; want \"payload\" then EOF", got, err)
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Errorf("client write after half-close: %v", err)
	}
}

func TestTrackedConnWithoutFastPaths(t *testing.T) {
	t.Parallel()
	a, b := net.Pipe() // has neither CloseWrite nor ReadFrom
	defer b.Close()
	c := &trackedConn{Conn: a, t: newConnTracker()}
	if err := c.CloseWrite(); err != nil {
		t.Errorf("CloseWrite on a pipe = %v, want nil", err)
	}
	read := make(chan string, 1)
	go func() {
		buf := make([]byte, 4)
		n, _ := io.ReadFull(b, buf)
		read <- string(buf[:n])
	}()
	if n, err := c.ReadFrom(strings.NewReader("data")); err != nil || n != 4 {
		t.Errorf("ReadFrom = %d, %v", n, err)
	}
	if got := recv(t, read, "pipe read"); got != "data" {
		t.Errorf("peer read %q, want \"data\"", got)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestTrackerWaitsForHijackedOnly(t *testing.T) {
	t.Parallel()
	tr := newConnTracker()
	plain, _ := tcpPair(t, tr)
	hijacked, _ := tcpPair(t, tr)
	tr.markHijacked(hijacked)
	tr.markHijacked(&net.TCPConn{}) // not ours: ignored
	if n := tr.open(); n != 1 {
		t.Fatalf("open = %d, want 1", n)
	}
	done := make(chan error, 1)
	go func() { done <- tr.wait(t.Context()) }()
	plain.Close() // not hijacked: the wait goes on
	select {
	case err := <-done:
		t.Fatalf("wait returned %v with a hijacked connection open", err)
	default:
	}
	hijacked.Close()
	if err := recv(t, done, "wait"); err != nil {
		t.Errorf("wait = %v, want nil", err)
	}
	// Marking a closed connection does not resurrect it.
	tr.markHijacked(hijacked)
	if n := tr.open(); n != 0 {
		t.Errorf("open after close = %d, want 0", n)
	}
}
