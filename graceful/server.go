package graceful

import (
	"context"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// Server is anything Run can start and stop: it serves until Shutdown is called.
//
// Serve blocks until the server stops; after a graceful stop it returns nil or
// http.ErrServerClosed, which Run ignores. Shutdown stops accepting new work, waits for the
// work in flight and returns nil; when ctx ends first it must cut the remaining work off
// (http.Server.Close, grpc.Server.Stop), return promptly and report ctx.Err().
type Server interface {
	Serve() error
	Shutdown(ctx context.Context) error
}

// LastTimeout bounds the Shutdown of servers wrapped by Last.
const LastTimeout = time.Second

// Last marks a server that must stop after everything else, hooks included: the server
// that carries the probe endpoints and metrics. It keeps answering the kubelet until the
// very end and gets LastTimeout to stop.
func Last(s Server) Server { return lastServer{s} }

type lastServer struct{ Server }

func (l lastServer) String() string { return serverName(l.Server) }

// GracefulStopper is the shape of *grpc.Server (google.golang.org/grpc): GRPC turns any
// such value into a Server without this module importing gRPC.
type GracefulStopper interface {
	Serve(net.Listener) error
	// GracefulStop stops accepting, waits for pending RPCs and streams, and returns.
	GracefulStop()
	// Stop closes every connection and listener at once.
	Stop()
}

// GRPC adapts a gRPC server listening on ln. Its Shutdown runs GracefulStop and, when ctx
// ends first (a stream that never finishes, grpc-go#2448), falls back to Stop. An error
// from Serve once Shutdown has begun (grpc.ErrServerStopped) is not reported.
func GRPC(s GracefulStopper, ln net.Listener) Server { return &grpcServer{s: s, ln: ln} }

type grpcServer struct {
	s        GracefulStopper
	ln       net.Listener
	stopping atomic.Bool
}

func (g *grpcServer) Serve() error {
	err := g.s.Serve(g.ln)
	if g.stopping.Load() {
		return nil
	}
	return err
}

func (g *grpcServer) Shutdown(ctx context.Context) error {
	g.stopping.Store(true)
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.s.GracefulStop()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		g.s.Stop() // makes a pending GracefulStop return
		return fmt.Errorf("grpc graceful stop: %w", ctx.Err())
	}
}

func (g *grpcServer) String() string {
	if g.ln == nil {
		return "grpc"
	}
	return "grpc " + g.ln.Addr().String()
}

// serverName names a server in logs and errors: its String method when it has one.
func serverName(s Server) string {
	if n, ok := s.(fmt.Stringer); ok {
		return n.String()
	}
	return fmt.Sprintf("%T", s)
}
