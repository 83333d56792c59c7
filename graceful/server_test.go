package graceful

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeGRPC has the shape of *grpc.Server. With hang set, GracefulStop waits for Stop, as
// grpc-go does while a stream never ends.
type fakeGRPC struct {
	hang    bool
	once    sync.Once
	stopped chan struct{}
	forced  atomic.Bool
}

func newFakeGRPC(hang bool) *fakeGRPC { return &fakeGRPC{hang: hang, stopped: make(chan struct{})} }

func (f *fakeGRPC) Serve(ln net.Listener) error {
	<-f.stopped
	ln.Close()
	return errors.New("grpc: the server has been stopped") // grpc.ErrServerStopped
}

func (f *fakeGRPC) GracefulStop() {
	if !f.hang {
		f.once.Do(func() { close(f.stopped) })
	}
	<-f.stopped
}

func (f *fakeGRPC) Stop() {
	f.forced.Store(true)
	f.once.Do(func() { close(f.stopped) })
}

var _ GracefulStopper = (*fakeGRPC)(nil)

func TestGRPCAdapter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		hang       bool
		wantForced bool
		wantErr    string
	}{
		{name: "graceful stop finishes"},
		{name: "graceful stop hangs and is forced at the deadline", hang: true, wantForced: true, wantErr: "grpc graceful stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			g := newFakeGRPC(tt.hang)
			svc := New(Options{DrainDelay: -1, ShutdownTimeout: 30 * time.Millisecond, Signals: make(chan os.Signal)})
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			err = svc.Run(ctx, GRPC(g, ln))
			if tt.wantErr == "" && err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), "shutdown grpc "+ln.Addr().String()+": "+tt.wantErr) || !errors.Is(err, context.DeadlineExceeded)) {
				t.Errorf("Run = %v, want %q and deadline exceeded", err, tt.wantErr)
			}
			if g.forced.Load() != tt.wantForced {
				t.Errorf("Stop called = %v, want %v", g.forced.Load(), tt.wantForced)
			}
		})
	}
}

func TestLastServerAnswersProbesUntilTheHooksAreDone(t *testing.T) {
	t.Parallel()
	probeLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	probeMux := http.NewServeMux()
	probeSrv := &http.Server{Handler: probeMux}
	type seen struct {
		livez   int
		mainErr error
	}
	inHook := make(chan seen, 1)
	var mainAddr atomic.Value
	h := start(t, Options{
		DrainDelay: -1,
		Hooks: []Hook{{Name: "probe-check", Func: func(context.Context) error {
			var s seen
			resp, err := http.Get("http://" + probeLn.Addr().String() + "/livez")
			if err != nil {
				return err
			}
			resp.Body.Close()
			s.livez = resp.StatusCode
			_, s.mainErr = net.Dial("tcp", mainAddr.Load().(string))
			inHook <- s
			return nil
		}}},
	}, nil, Last(HTTP(probeSrv, probeLn)))
	mainAddr.Store(h.addr)
	probeMux.Handle("GET /livez", h.svc.Liveness())

	h.signal()
	s := recv(t, inHook, "hook")
	if s.livez != http.StatusOK {
		t.Errorf("probe server during hooks: livez %d, want 200", s.livez)
	}
	if !errors.Is(s.mainErr, syscall.ECONNREFUSED) {
		t.Errorf("main server during hooks: dial %v, want refused", s.mainErr)
	}
	if err := h.wait(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if _, err := net.Dial("tcp", probeLn.Addr().String()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("probe server after Run: dial %v, want refused", err)
	}
}

// failing is a Server whose Serve fails at once.
type failing struct{ stopped chan struct{} }

func (f failing) Serve() error                   { return errors.New("bind: permission denied") }
func (f failing) Shutdown(context.Context) error { close(f.stopped); return nil }

func TestServerFailureStopsTheOthers(t *testing.T) {
	t.Parallel()
	f := failing{stopped: make(chan struct{})}
	h := start(t, Options{DrainDelay: -1}, nil, f)
	err := h.wait()
	if err == nil || !strings.Contains(err.Error(), "serve graceful.failing: bind: permission denied") {
		t.Fatalf("Run = %v, want the serve error", err)
	}
	recv(t, f.stopped, "failed server shut down")
	if _, err := net.Dial("tcp", h.addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("healthy server after failure: dial %v, want refused", err)
	}
}

func TestRunRejectsBadStarts(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    Options
		servers []Server
		wantErr string
	}{
		{"negative timeout", Options{ShutdownTimeout: -time.Second}, nil, "ShutdownTimeout is -1s"},
		{"hook without func", Options{Hooks: []Hook{{Name: "db"}}}, nil, `hook 0 ("db") has no Func`},
		{"address in use", Options{}, []Server{
			HTTP(&http.Server{}, free),
			HTTP(&http.Server{Addr: busy.Addr().String()}, nil),
		}, "graceful: prepare http " + busy.Addr().String() + ": listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := New(tt.opts)
			err := svc.Run(context.Background(), tt.servers...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Run = %v, want %q", err, tt.wantErr)
			}
			if p := svc.Phase(); p != PhaseServing {
				t.Errorf("phase after rejected Run = %s, want serving", p)
			}
		})
	}
	// The listener given to the server that was prepared has been released.
	if _, err := free.Accept(); err == nil {
		t.Error("listener of the prepared server still open after a failed start")
	}
}

func TestRunTwice(t *testing.T) {
	t.Parallel()
	svc := New(Options{DrainDelay: -1, Signals: make(chan os.Signal)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := svc.Run(ctx); err != nil {
		t.Fatalf("first Run = %v", err)
	}
	if err := svc.Run(ctx); err == nil || !strings.Contains(err.Error(), "run called twice") {
		t.Fatalf("second Run = %v, want an error", err)
	}
}

func TestPhaseString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    Phase
		want string
	}{
		{PhaseServing, "serving"}, {PhaseDraining, "draining"}, {PhaseStopping, "stopping"},
		{PhaseStopped, "stopped"}, {Phase(9), "unknown"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("Phase(%d).String() = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestDefaultHandlerIsDefaultServeMux(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{}
	h := HTTP(srv, ln)
	if err := h.prepare(func() bool { return true }); err != nil {
		t.Fatal(err)
	}
	defer h.closeListener()
	rec := newRecorder()
	srv.Handler.ServeHTTP(rec, mustRequest(t, "/no-such-path-registered"))
	if rec.code != http.StatusNotFound || rec.header.Get("Connection") != "close" {
		t.Errorf("got %d Connection=%q, want DefaultServeMux's 404 with Connection: close", rec.code, rec.header.Get("Connection"))
	}
}
