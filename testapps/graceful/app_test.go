package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shipsafe/shipsafe/graceful"
)

const testWait = 10 * time.Second

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: testWait, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

func TestAppDrainsAndStops(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	logs := &syncBuffer{}
	sigs := make(chan os.Signal, 1)
	draining := make(chan struct{})
	cfg := config{version: "v7", drainDelay: 100 * time.Millisecond, shutdownTimeout: testWait, hookTimeout: time.Second}
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), cfg, ln, env{
			getenv:  func(k string) string { return map[string]string{graceful.GracePeriodEnv: "5"}[k] },
			logger:  slog.New(slog.NewTextHandler(logs, nil)),
			signals: sigs,
			onPhase: func(p graceful.Phase) {
				if p == graceful.PhaseDraining {
					close(draining)
				}
			},
		})
	}()

	for path, want := range map[string]string{"/": "v7\n", "/readyz": "ok\n", "/livez": "ok\n"} {
		if code, body := get(t, base+path); code != http.StatusOK || body != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, code, body, want)
		}
	}
	if code, _ := get(t, base+"/sleep?d=forever"); code != http.StatusBadRequest {
		t.Errorf("GET /sleep?d=forever = %d, want 400", code)
	}

	// A slow request in flight when SIGTERM arrives still gets its answer.
	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/sleep?d=300ms")
		if err != nil {
			slow <- err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		slow <- string(b)
	}()
	sigs <- syscall.SIGTERM
	select {
	case <-draining:
	case <-time.After(testWait):
		t.Fatal("no drain")
	}
	if code, _ := get(t, base+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz while draining = %d, want 503", code)
	}
	if code, _ := get(t, base+"/livez"); code != http.StatusOK {
		t.Errorf("livez while draining = %d, want 200", code)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run = %v", err)
		}
	case <-time.After(testWait):
		t.Fatal("run did not return")
	}
	if got := <-slow; got != "v7\n" {
		t.Errorf("in-flight /sleep answered %q, want \"v7\\n\"", got)
	}
	out := logs.String()
	for _, want := range []string{"phase=draining", "phase=stopping", "phase=stopped", "cleanup: nothing to flush"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	// Budget 0.1s + 10s + 1s exceeds the 5s grace period from the environment.
	if !strings.Contains(out, "level=WARN msg=\"shutdown budget exceeds the grace period\"") {
		t.Errorf("no budget warning in logs:\n%s", out)
	}
}

func TestWarnBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		grace string
		want  string
	}{
		{"fits", "30", ""},
		{"too short", "10", "level=WARN msg=\"shutdown budget exceeds the grace period\""},
		{"unset", "", `annotation="shipsafe.io/shutdown-budget=12s"`},
		{"garbage", "thirty", "level=WARN msg=\"cannot check the shutdown budget\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			warnBudget(12*time.Second, 0, func(string) string { return tt.grace }, slog.New(slog.NewTextHandler(&buf, nil)))
			out := buf.String()
			if tt.want == "" && strings.Contains(out, "WARN") {
				t.Errorf("unexpected warning: %s", out)
			}
			if tt.want != "" && !strings.Contains(out, tt.want) {
				t.Errorf("log %q lacks %q", out, tt.want)
			}
		})
	}
}
