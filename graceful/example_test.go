package graceful_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/shipsafe/shipsafe/graceful"
)

// A service with one HTTP server that carries the probes, a database readiness check and
// a cleanup hook. Kubernetes pairs it with readinessProbe GET /readyz, livenessProbe
// GET /livez and terminationGracePeriodSeconds >= preStop + Budget.
func Example() {
	db := fakeDB{} // e.g. a *sql.DB
	opts := graceful.Options{
		DrainDelay:      5 * time.Second,
		ShutdownTimeout: 10 * time.Second,
		HookTimeout:     3 * time.Second,
		Checks:          []graceful.Check{{Name: "db", Func: db.PingContext, Timeout: 300 * time.Millisecond, TTL: time.Second}},
		Hooks:           []graceful.Hook{{Name: "db", Func: func(context.Context) error { return db.Close() }}},
		Logger:          slog.Default(),
	}
	if grace, ok, err := graceful.GraceFromEnv(os.Getenv); err != nil {
		slog.Warn("grace period", "err", err)
	} else if ok {
		if err := graceful.CheckGrace(opts.Budget(), 0, grace); err != nil {
			slog.Warn("shutdown may be cut off", "err", err)
		}
	}
	svc := graceful.New(opts)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hello") })
	mux.Handle("GET /readyz", svc.Readiness())
	mux.Handle("GET /livez", svc.Liveness())
	srv := &http.Server{Addr: ":8080", Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	// Run handles SIGTERM and SIGINT itself; a second signal exits at once.
	if err := svc.Run(context.Background(), graceful.HTTP(srv, nil)); err != nil {
		slog.Error("shutdown", "err", err)
		os.Exit(1)
	}
}

// Probes on their own port stay up until everything else, hooks included, has stopped.
func ExampleLast() {
	svc := graceful.New(graceful.Options{})
	api := &http.Server{Addr: ":8080", Handler: http.NotFoundHandler()}

	probes := http.NewServeMux()
	probes.Handle("GET /readyz", svc.Readiness())
	probes.Handle("GET /livez", svc.Liveness())
	admin := &http.Server{Addr: ":9090", Handler: probes}

	_ = svc.Run(context.Background(), graceful.HTTP(api, nil), graceful.Last(graceful.HTTP(admin, nil)))
}

// fakeGRPCServer stands for *grpc.Server from google.golang.org/grpc, which has the same
// three methods; with the real thing, pass the *grpc.Server to graceful.GRPC directly.
type fakeGRPCServer struct{}

func (fakeGRPCServer) Serve(net.Listener) error { return nil }
func (fakeGRPCServer) GracefulStop()            {}
func (fakeGRPCServer) Stop()                    {}

// fakeHealthServer stands for *health.Server from google.golang.org/grpc/health.
type fakeHealthServer struct{}

func (fakeHealthServer) Shutdown() {}

// gRPC and HTTP in one lifecycle: both drain together and stop at once. Set the gRPC
// health service to NOT_SERVING in OnPhase(PhaseDraining) so gRPC-aware balancers move away.
func ExampleGRPC() {
	var grpcServer graceful.GracefulStopper = fakeGRPCServer{} // grpc.NewServer(...)
	healthServer := fakeHealthServer{}                         // health.NewServer()
	ln, err := net.Listen("tcp", ":9000")
	if err != nil {
		panic(err)
	}
	svc := graceful.New(graceful.Options{
		OnPhase: func(p graceful.Phase) {
			if p == graceful.PhaseDraining {
				healthServer.Shutdown() // every gRPC service answers NOT_SERVING
			}
		},
	})
	web := &http.Server{Addr: ":8080", Handler: http.NotFoundHandler()}
	_ = svc.Run(context.Background(), graceful.HTTP(web, nil), graceful.GRPC(grpcServer, ln))
}

// A websocket handler says goodbye when stopping begins, within HijackTimeout.
func ExampleService_Reached() {
	svc := graceful.New(graceful.Options{HijackTimeout: 5 * time.Second})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack() // or a websocket library's Upgrade
		if err != nil {
			return
		}
		defer conn.Close()
		select {
		case <-svc.Reached(graceful.PhaseStopping):
			// send a close frame with status 1001 (going away), then return
		case <-r.Context().Done():
		}
	})
	_ = svc.Run(context.Background(), graceful.HTTP(&http.Server{Addr: ":8080", Handler: mux}, nil))
}

func ExampleOptions_Budget() {
	opts := graceful.Options{DrainDelay: 5 * time.Second, ShutdownTimeout: 10 * time.Second, HookTimeout: 3 * time.Second}
	fmt.Println(opts.Budget())
	fmt.Println(graceful.CheckGrace(opts.Budget(), 5*time.Second, 30*time.Second))
	fmt.Println(graceful.CheckGrace(opts.Budget(), 15*time.Second, 30*time.Second))
	// Output:
	// 18s
	// <nil>
	// shutdown budget 33s (preStop 15s + drain/shutdown/hooks 18s) exceeds terminationGracePeriodSeconds 30: raise terminationGracePeriodSeconds to at least 33 or shorten the drain delay and timeouts
}

type fakeDB struct{}

func (fakeDB) PingContext(context.Context) error { return nil }
func (fakeDB) Close() error                      { return nil }
