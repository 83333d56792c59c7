package graceful

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testWait bounds every wait of the tests on an event that should come at once; it only
// turns a hang into a failure.
const testWait = 10 * time.Second

// harness runs a Service with one real HTTP server on 127.0.0.1:0 that serves mux plus
// /readyz and /livez, with injected signals and exit.
type harness struct {
	t      *testing.T
	svc    *Service
	srv    *http.Server
	addr   string
	sigs   chan os.Signal
	exits  chan int
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Run's result; read after done

	mu     sync.Mutex
	phases map[Phase]time.Time
}

// start runs a harness; extra servers are passed to Run after the harness's own.
func start(t *testing.T, opts Options, mux *http.ServeMux, extra ...Server) *harness {
	t.Helper()
	h := &harness{
		t:      t,
		sigs:   make(chan os.Signal, 4),
		exits:  make(chan int, 4),
		done:   make(chan struct{}),
		phases: map[Phase]time.Time{},
	}
	opts.Signals = h.sigs
	opts.Exit = func(code int) { h.exits <- code }
	user := opts.OnPhase
	opts.OnPhase = func(p Phase) {
		h.mu.Lock()
		h.phases[p] = time.Now()
		h.mu.Unlock()
		if user != nil {
			user(p)
		}
	}
	h.svc = New(opts)
	if mux == nil {
		mux = http.NewServeMux()
	}
	mux.Handle("GET /readyz", h.svc.Readiness())
	mux.Handle("GET /livez", h.svc.Liveness())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	h.srv = &http.Server{Handler: mux, ReadHeaderTimeout: testWait}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.done)
		h.err = h.svc.Run(ctx, append([]Server{HTTP(h.srv, ln)}, extra...)...)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(testWait):
			t.Errorf("Run did not return within %s", testWait)
		}
	})
	return h
}

func (h *harness) url(path string) string { return "http://" + h.addr + path }

func (h *harness) signal() { h.sigs <- syscall.SIGTERM }

// reach waits until the service is in phase p.
func (h *harness) reach(p Phase) {
	h.t.Helper()
	select {
	case <-h.svc.Reached(p):
	case <-time.After(testWait):
		h.t.Fatalf("phase %s not reached within %s (now %s)", p, testWait, h.svc.Phase())
	}
}

// wait returns Run's error once it has returned.
func (h *harness) wait() error {
	h.t.Helper()
	select {
	case <-h.done:
		return h.err
	case <-time.After(testWait):
		h.t.Fatalf("Run did not return within %s", testWait)
		return nil
	}
}

func (h *harness) phaseAt(p Phase) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.phases[p]
}

// get does GET path on a fresh kept-alive HTTP/1.1 connection and returns the status,
// body and whether the server asked to close the connection.
func (h *harness) get(path string) (int, string, bool) {
	h.t.Helper()
	resp, body := h.dial().get(path)
	return resp.StatusCode, body, resp.Close
}

// rawConn is one kept-alive HTTP/1.1 client connection.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func (h *harness) dial() *rawConn {
	h.t.Helper()
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	h.t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(testWait))
	return &rawConn{t: h.t, c: c, r: bufio.NewReader(c)}
}

// get sends GET path on the connection and reads the whole response.
func (rc *rawConn) get(path string) (*http.Response, string) {
	rc.t.Helper()
	if _, err := fmt.Fprintf(rc.c, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path); err != nil {
		rc.t.Fatalf("write request: %v", err)
	}
	resp, err := http.ReadResponse(rc.r, nil)
	if err != nil {
		rc.t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		rc.t.Fatalf("read body: %v", err)
	}
	return resp, string(body)
}

// closedCleanly reports whether the server closed the connection with a FIN (EOF on read)
// rather than a reset or not at all.
func (rc *rawConn) closedCleanly() error {
	n, err := rc.r.Read(make([]byte, 1))
	if n > 0 {
		return errors.New("read a byte, want EOF")
	}
	if !errors.Is(err, io.EOF) {
		return fmt.Errorf("read: %v, want EOF", err)
	}
	return nil
}

// blocking is a handler that reports each request it receives and answers when released.
type blocking struct {
	entered  chan struct{}
	release  chan struct{}
	finished chan struct{}
}

func newBlocking() *blocking {
	return &blocking{entered: make(chan struct{}, 8), release: make(chan struct{}), finished: make(chan struct{}, 8)}
}

func (b *blocking) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.entered <- struct{}{}
	select {
	case <-b.release:
	case <-r.Context().Done():
		return
	}
	fmt.Fprint(w, "done")
	b.finished <- struct{}{}
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testWait):
		t.Fatalf("%s: nothing within %s", what, testWait)
		var zero T
		return zero
	}
}
