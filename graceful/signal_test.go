package graceful

import (
	"context"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"
)

func TestSecondSignalForcesExit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		drain time.Duration
		// arm puts the service in the phase where the second signal arrives.
		arm func(t *testing.T, h *harness, slow *blocking)
	}{
		{"during drain", time.Hour, func(t *testing.T, h *harness, _ *blocking) {
			h.signal()
			h.reach(PhaseDraining)
		}},
		{"during shutdown with a request stuck", -1, func(t *testing.T, h *harness, slow *blocking) {
			c := h.dial()
			go func() { _, _ = c.c.Write([]byte("GET /slow HTTP/1.1\r\nHost: test\r\n\r\n")) }()
			recv(t, slow.entered, "request reaches handler")
			h.signal()
			h.reach(PhaseStopping)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			slow := newBlocking()
			mux := http.NewServeMux()
			mux.Handle("GET /slow", slow)
			hookRan := make(chan struct{}, 1)
			// Every budget is far longer than the test may take: only the force ends it.
			h := start(t, Options{
				DrainDelay:      tt.drain,
				ShutdownTimeout: time.Hour,
				HookTimeout:     time.Hour,
				Hooks:           []Hook{{Name: "h", Func: func(context.Context) error { hookRan <- struct{}{}; return nil }}},
			}, mux)
			tt.arm(t, h, slow)

			h.signal()
			if code := recv(t, h.exits, "exit call"); code != 1 {
				t.Errorf("exit code = %d, want 1", code)
			}
			if err := h.wait(); !errors.Is(err, ErrForcedExit) {
				t.Errorf("Run = %v, want ErrForcedExit", err)
			}
			select {
			case <-hookRan:
				t.Error("hook ran after a forced exit")
			default:
			}
			if p := h.svc.Phase(); p != PhaseStopped {
				t.Errorf("phase = %s, want stopped", p)
			}
		})
	}
}

func TestContextStartsDrainAndOneSignalDoesNotForce(t *testing.T) {
	t.Parallel()
	h := start(t, Options{DrainDelay: 200 * time.Millisecond}, nil)
	h.cancel()
	h.reach(PhaseDraining)
	if code, _, _ := h.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz after ctx end = %d, want 503", code)
	}
	h.signal() // the same SIGTERM a signal.NotifyContext caller would also see
	if err := h.wait(); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	select {
	case code := <-h.exits:
		t.Errorf("exit(%d) called after a single signal", code)
	default:
	}
}

func TestClosedSignalChannelIsNotASignal(t *testing.T) {
	t.Parallel()
	sigs := make(chan os.Signal)
	close(sigs)
	exits := make(chan int, 1)
	svc := New(Options{DrainDelay: -1, Signals: sigs, Exit: func(c int) { exits <- c }})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := svc.Run(ctx); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if p := svc.Phase(); p != PhaseStopped {
		t.Fatalf("phase after Run = %s, want stopped", p)
	}
	select {
	case code := <-exits:
		t.Errorf("exit(%d) on a closed channel", code)
	default:
	}
	// Run must have waited for ctx, not taken the closed channel as the first signal.
	if ctx.Err() == nil {
		t.Error("Run returned before its context ended")
	}
}
