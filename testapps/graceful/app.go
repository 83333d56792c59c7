package main

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

// maxSleep caps GET /sleep so a typo cannot hold a pod for hours.
const maxSleep = 5 * time.Minute

// env is what run takes from its surroundings.
type env struct {
	getenv  func(string) string
	logger  *slog.Logger
	signals <-chan os.Signal     // nil: the process's own SIGTERM and SIGINT
	onPhase func(graceful.Phase) // optional, for tests
}

// run serves on ln until the shutdown sequence ends.
func run(ctx context.Context, cfg config, ln net.Listener, e env) error {
	logger := e.logger
	opts := graceful.Options{
		DrainDelay:      cfg.drainDelay,
		ShutdownTimeout: cfg.shutdownTimeout,
		HookTimeout:     cfg.hookTimeout,
		Signals:         e.signals,
		OnPhase:         e.onPhase,
		Logger:          logger,
		Hooks: []graceful.Hook{{Name: "flush", Func: func(context.Context) error {
			logger.Info("cleanup: nothing to flush")
			return nil
		}}},
	}
	warnBudget(opts.Budget(), cfg.preStop, e.getenv, logger)
	svc := graceful.New(opts)
	srv := &http.Server{Handler: newMux(svc, cfg.version), ReadHeaderTimeout: 10 * time.Second}
	logger.Info("graceful listening", "addr", ln.Addr().String(), "version", cfg.version,
		"drain", max(cfg.drainDelay, 0), "shutdown_timeout", cfg.shutdownTimeout, "budget", opts.Budget())
	return svc.Run(ctx, graceful.HTTP(srv, ln))
}

// warnBudget logs a warning when preStop plus the budget exceeds the grace period given in
// the environment, and says what the pod template should carry.
func warnBudget(budget, preStop time.Duration, getenv func(string) string, logger *slog.Logger) {
	grace, ok, err := graceful.GraceFromEnv(getenv)
	switch {
	case err != nil:
		logger.Warn("cannot check the shutdown budget", "err", err)
	case !ok:
		logger.Info("shutdown budget not checked: "+graceful.GracePeriodEnv+" unset",
			"budget", budget, "annotation", graceful.BudgetAnnotation+"="+budget.String())
	default:
		if err := graceful.CheckGrace(budget, preStop, grace); err != nil {
			logger.Warn("shutdown budget exceeds the grace period", "err", err)
		}
	}
}

func newMux(svc *graceful.Service, version string) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, version)
	})
	mux.HandleFunc("GET /sleep", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.URL.Query().Get("d"))
		if err != nil || d < 0 || d > maxSleep {
			http.Error(w, "want ?d=<duration> between 0 and "+maxSleep.String(), http.StatusBadRequest)
			return
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			fmt.Fprintln(w, version)
		case <-r.Context().Done():
		}
	})
	mux.Handle("GET /readyz", svc.Readiness())
	mux.Handle("GET /livez", svc.Liveness())
	return mux
}
