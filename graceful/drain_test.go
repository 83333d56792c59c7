package graceful

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestInFlightRequestFinishesDuringShutdown(t *testing.T) {
	t.Parallel()
	slow := newBlocking()
	mux := http.NewServeMux()
	mux.Handle("GET /slow", slow)
	var hookSawFinished bool
	h := start(t, Options{
		DrainDelay:      20 * time.Millisecond,
		ShutdownTimeout: testWait,
		Hooks: []Hook{{Name: "check-order", Func: func(context.Context) error {
			select {
			case <-slow.finished:
				hookSawFinished = true
			default:
			}
			return nil
		}}},
	}, mux)

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get(h.url("/slow"))
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{resp.StatusCode, string(b), err}
	}()
	recv(t, slow.entered, "request reaches handler")

	h.signal()
	h.reach(PhaseStopping)
	select {
	case <-h.done:
		t.Fatal("Run returned while a request was in flight")
	default:
	}
	close(slow.release)

	r := recv(t, got, "in-flight response")
	if r.err != nil || r.status != http.StatusOK || r.body != "done" {
		t.Fatalf("in-flight request: status %d body %q err %v, want 200 \"done\"", r.status, r.body, r.err)
	}
	if err := h.wait(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !hookSawFinished {
		t.Error("hook ran before the in-flight request finished")
	}
	if p := h.svc.Phase(); p != PhaseStopped {
		t.Errorf("phase after Run = %s, want stopped", p)
	}
}

func TestDrainKeepsServingUntilDelayThenRefuses(t *testing.T) {
	t.Parallel()
	const delay = 100 * time.Millisecond
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "v1") })
	h := start(t, Options{DrainDelay: delay, ShutdownTimeout: testWait}, mux)
	listenerClosed := make(chan struct{})
	h.srv.RegisterOnShutdown(func() { close(listenerClosed) })

	for _, path := range []string{"/readyz", "/livez", "/"} {
		if code, _, closing := h.get(path); code != http.StatusOK || closing {
			t.Fatalf("before signal GET %s = %d (close %v), want 200 kept alive", path, code, closing)
		}
	}

	h.signal()
	h.reach(PhaseDraining)
	tests := []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{"/readyz", http.StatusServiceUnavailable, "draining"},
		{"/livez", http.StatusOK, "ok"},
		{"/", http.StatusOK, "v1"},
	}
	for _, tt := range tests {
		code, body, closing := h.get(tt.path)
		if code != tt.wantCode || !strings.Contains(body, tt.wantBody) {
			t.Errorf("draining GET %s = %d %q, want %d containing %q", tt.path, code, body, tt.wantCode, tt.wantBody)
		}
		if !closing {
			t.Errorf("draining GET %s: no Connection: close", tt.path)
		}
	}

	recv(t, listenerClosed, "listener closed")
	if drained := time.Since(h.phaseAt(PhaseDraining)); drained < delay {
		t.Errorf("listener closed %s after readiness failed, want >= %s", drained, delay)
	}
	if _, err := net.Dial("tcp", h.addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after drain: %v, want connection refused", err)
	}
	if err := h.wait(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestKeptAliveConnectionsAreMovedAndClosedCleanly(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "v1") })
	h := start(t, Options{DrainDelay: 50 * time.Millisecond, ShutdownTimeout: testWait}, mux)

	busy, idle := h.dial(), h.dial()
	for name, c := range map[string]*rawConn{"busy": busy, "idle": idle} {
		if resp, body := c.get("/"); resp.Close || body != "v1" {
			t.Fatalf("%s conn before signal: close=%v body %q, want kept alive \"v1\"", name, resp.Close, body)
		}
	}

	h.signal()
	h.reach(PhaseDraining)
	resp, body := busy.get("/")
	// net/http's client reports "Connection: close" as resp.Close and drops the header.
	if !resp.Close || body != "v1" {
		t.Errorf("kept-alive request while draining: close=%v body %q, want Connection: close and \"v1\"", resp.Close, body)
	}
	if err := busy.closedCleanly(); err != nil {
		t.Errorf("busy conn after Connection: close: %v", err)
	}

	if err := h.wait(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The idle connection never sent another request: Shutdown closed it with a FIN.
	if err := idle.closedCleanly(); err != nil {
		t.Errorf("idle kept-alive conn after shutdown: %v", err)
	}
}

func TestShutdownTimeoutCutsRequestsOff(t *testing.T) {
	t.Parallel()
	slow := newBlocking()
	mux := http.NewServeMux()
	mux.Handle("GET /slow", slow)
	const timeout = 50 * time.Millisecond
	h := start(t, Options{DrainDelay: -1, ShutdownTimeout: timeout}, mux)
	c := h.dial()
	go func() { _, _ = c.c.Write([]byte("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")) }()
	recv(t, slow.entered, "request reaches handler")

	h.signal()
	err := h.wait()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "shutdown http "+h.addr) {
		t.Fatalf("Run = %v, want shutdown http %s: deadline exceeded", err, h.addr)
	}
	if took := h.phaseAt(PhaseStopped).Sub(h.phaseAt(PhaseStopping)); took < timeout {
		t.Errorf("stopping took %s, want >= %s", took, timeout)
	}
	if _, err := c.r.ReadByte(); err == nil {
		t.Error("connection of the cut-off request still answers")
	}
}
