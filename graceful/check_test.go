package graceful

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for the readiness cache.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestCheckResultIsCachedForTTL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		result  error
		wantErr string
	}{
		{"passing", nil, ""},
		{"failing", errors.New("dial tcp 10.0.0.5:5432: connection refused"), "check db: dial tcp 10.0.0.5:5432: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: time.Unix(1000, 0)}
			var calls atomic.Int32
			svc := New(Options{Now: clock.Now, Checks: []Check{{
				Name: "db", TTL: time.Second,
				Func: func(context.Context) error { calls.Add(1); return tt.result },
			}}})
			ctx := context.Background()
			for i := range 20 {
				err := svc.Ready(ctx)
				if got := errString(err); got != tt.wantErr {
					t.Fatalf("Ready #%d = %q, want %q", i, got, tt.wantErr)
				}
				if i%5 == 4 {
					clock.advance(200 * time.Millisecond) // 4 advances: 800ms < TTL
				}
			}
			if n := calls.Load(); n != 1 {
				t.Errorf("check called %d times within the TTL, want 1", n)
			}
			clock.advance(200 * time.Millisecond)
			_ = svc.Ready(ctx)
			if n := calls.Load(); n != 2 {
				t.Errorf("check called %d times once the TTL passed, want 2", n)
			}
		})
	}
}

func TestProbeStormSharesOneCall(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Unix(1000, 0)}
	var calls atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	svc := New(Options{Now: clock.Now, Checks: []Check{{
		Name: "db", Timeout: testWait,
		Func: func(context.Context) error {
			if calls.Add(1) == 1 {
				close(entered)
			}
			<-release
			return nil
		},
	}}})
	errs := make(chan error, 50)
	for range 50 {
		go func() { errs <- svc.Ready(context.Background()) }()
	}
	recv(t, entered, "first check call")
	close(release)
	for range 50 {
		if err := recv(t, errs, "Ready"); err != nil {
			t.Errorf("Ready = %v", err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("50 concurrent probes made %d check calls, want 1", n)
	}
}

func TestCheckTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 30 * time.Millisecond
	var calls atomic.Int32
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	svc := New(Options{Checks: []Check{{
		Name: "db", Timeout: timeout,
		Func: func(context.Context) error { calls.Add(1); <-stuck; return nil }, // ignores ctx
	}}})
	begin := time.Now()
	err := svc.Ready(context.Background())
	if took := time.Since(begin); took < timeout || took > testWait {
		t.Errorf("Ready took %s, want about %s", took, timeout)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "check db: no answer within 30ms") {
		t.Errorf("Ready = %v, want check db timeout", err)
	}
	// The stuck call is still running: the next probe fails at once without a new call.
	if err := svc.Ready(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Ready = %v, want deadline exceeded", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("check called %d times while stuck, want 1", n)
	}
}

func TestCheckGetsDeadlineContext(t *testing.T) {
	t.Parallel()
	svc := New(Options{Checks: []Check{{
		Name: "db", Timeout: 20 * time.Millisecond,
		Func: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() },
	}}})
	// The probe's own context is cancelled: the check still runs to its own deadline.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := svc.Ready(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ready = %v, want deadline exceeded", err)
	}
}

func TestReadinessHandler(t *testing.T) {
	t.Parallel()
	failing := errors.New("ping: connection refused")
	tests := []struct {
		name      string
		checks    []Check
		drain     bool
		wantCode  int
		wantLines []string
	}{
		{"no checks", nil, false, http.StatusOK, []string{"ok"}},
		{"passing check", []Check{{Name: "db", Func: func(context.Context) error { return nil }}}, false, http.StatusOK, []string{"ok"}},
		{"failing checks listed", []Check{
			{Name: "db", Func: func(context.Context) error { return failing }},
			{Name: "cache", Func: func(context.Context) error { return errors.New("timeout") }},
		}, false, http.StatusServiceUnavailable, []string{"not ready", "- check db: ping: connection refused", "- check cache: timeout"}},
		{"check without Func", []Check{{Name: "x"}}, false, http.StatusServiceUnavailable, []string{"- check x: check has no Func"}},
		{"draining skips checks", []Check{{Name: "db", Func: func(context.Context) error { panic("called") }}}, true, http.StatusServiceUnavailable, []string{"not ready", "- draining: shutting down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := New(Options{Checks: tt.checks})
			if tt.drain {
				svc.setPhase(PhaseDraining)
			}
			rec := newRecorder()
			svc.Readiness().ServeHTTP(rec, mustRequest(t, "/readyz"))
			if rec.code != tt.wantCode {
				t.Errorf("status = %d, want %d", rec.code, tt.wantCode)
			}
			for _, line := range tt.wantLines {
				if !strings.Contains(rec.body.String(), line+"\n") {
					t.Errorf("body %q lacks line %q", rec.body.String(), line)
				}
			}
			if rec.wroteBodyFirst {
				t.Error("body written before the status")
			}
		})
	}
}

func TestLivenessStays200InEveryPhase(t *testing.T) {
	t.Parallel()
	for _, p := range []Phase{PhaseServing, PhaseDraining, PhaseStopping, PhaseStopped} {
		svc := New(Options{Checks: []Check{{Name: "db", Func: func(context.Context) error { return errors.New("down") }}}})
		svc.setPhase(p)
		rec := newRecorder()
		svc.Liveness().ServeHTTP(rec, mustRequest(t, "/livez"))
		if rec.code != http.StatusOK || rec.body.String() != "ok\n" {
			t.Errorf("liveness in %s = %d %q, want 200 ok", p, rec.code, rec.body.String())
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
