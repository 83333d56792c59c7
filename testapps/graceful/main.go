// Command graceful is the well-behaved test app: it serves GET / (its VERSION), GET
// /sleep?d=<duration> (a slow request, for in-flight tests), GET /readyz and GET /livez
// on :8080 through the graceful library. On SIGTERM readiness fails, the server keeps
// serving for DRAIN_DELAY with "Connection: close", then shuts down within
// SHUTDOWN_TIMEOUT; each phase change is logged. At start it warns when its shutdown
// budget does not fit TERMINATION_GRACE_PERIOD_SECONDS.
package main

import (
	"context"
	"log/slog"
	"net"
	"os"
)

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if err != nil {
		logger.Error("bad configuration", "err", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		logger.Error("listen", "err", err)
		os.Exit(1)
	}
	if err := run(context.Background(), cfg, ln, env{getenv: os.Getenv, logger: logger}); err != nil {
		logger.Error("unclean shutdown", "err", err)
		os.Exit(1)
	}
	logger.Info("exited cleanly")
}
