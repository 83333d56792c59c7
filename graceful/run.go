package graceful

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// serveReturnTimeout bounds the wait for Serve to return once Shutdown has.
const serveReturnTimeout = time.Second

// running is one server started by Run.
type running struct {
	srv  Server
	name string
	done chan struct{} // closed when Serve has returned
	err  error         // Serve's error; read after done
	seen bool          // err already reported
}

// Run serves every server until the first signal (or until ctx ends, or a server fails),
// then drains, stops and cleans up:
//
//  1. PhaseDraining: readiness answers 503, liveness 200; the servers keep serving for
//     DrainDelay and every response carries "Connection: close".
//  2. PhaseStopping: Shutdown of every server at once, bounded by ShutdownTimeout; hijacked
//     connections get HijackTimeout; then the Hooks, in order, within HookTimeout.
//  3. Servers wrapped by Last stop, then PhaseStopped.
//
// A second signal calls Exit(1). Run returns nil after a clean stop, or the errors of the
// servers, shutdowns and hooks joined. Call it once; it owns the servers and their
// listeners. Steps after the signal run under context.WithoutCancel(ctx).
func (s *Service) Run(ctx context.Context, servers ...Server) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("graceful: run called twice")
	}
	if err := s.raw.validate(); err != nil {
		return err
	}
	main, last, err := s.prepare(servers)
	if err != nil {
		return err
	}

	watch := s.watchSignals(context.WithoutCancel(ctx))
	defer watch.stop()
	exited := make(chan *running, len(main)+len(last))
	for _, r := range append(main[:len(main):len(main)], last...) {
		go func() {
			r.err = r.srv.Serve()
			close(r.done)
			exited <- r
		}()
	}

	var errs []error
	select {
	case <-ctx.Done():
		s.opts.Logger.Info("graceful: context done, draining", "cause", context.Cause(ctx).Error())
	case <-watch.first:
	case r := <-exited:
		r.seen = true
		errs = append(errs, fmt.Errorf("serve %s: %w", r.name, orStopped(r.err)))
		s.opts.Logger.Error("graceful: server stopped, draining the others", "server", r.name, "err", r.err)
	}

	s.setPhase(PhaseDraining)
	if d := s.opts.DrainDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-watch.force.Done():
		}
		t.Stop()
	}

	s.setPhase(PhaseStopping)
	errs = append(errs, s.stopServers(watch.force, main, s.opts.ShutdownTimeout, s.opts.HijackTimeout)...)
	if watch.force.Err() == nil {
		errs = append(errs, s.runHooks(watch.force)...)
	} else if len(s.opts.Hooks) > 0 {
		s.opts.Logger.Warn("graceful: cleanup hooks skipped after the forced exit")
	}
	errs = append(errs, s.stopServers(watch.force, last, LastTimeout, LastTimeout)...)
	if watch.force.Err() != nil {
		errs = append([]error{ErrForcedExit}, errs...)
	}
	s.setPhase(PhaseStopped)
	return errors.Join(errs...)
}

// prepare sorts the servers into main and last and prepares the HTTP ones. On error it
// releases every listener it opened.
func (s *Service) prepare(servers []Server) (main, last []*running, err error) {
	var prepared []*HTTPServer
	for _, srv := range servers {
		inner, isLast := srv, false
		if l, ok := srv.(lastServer); ok {
			inner, isLast = l.Server, true
		}
		if h, ok := inner.(*HTTPServer); ok {
			if err := h.prepare(s.draining); err != nil {
				for _, p := range prepared {
					p.closeListener()
				}
				return nil, nil, fmt.Errorf("graceful: prepare %s: %w", h, err)
			}
			prepared = append(prepared, h)
		}
		r := &running{srv: inner, name: serverName(inner), done: make(chan struct{})}
		if isLast {
			last = append(last, r)
		} else {
			main = append(main, r)
		}
	}
	return main, last, nil
}

// draining reports whether responses should close their connection.
func (s *Service) draining() bool { return s.Phase() != PhaseServing }

// stopServers shuts every server down at once under one timeout, waits for the hijacked
// connections of HTTP servers under another, and collects the errors of Serve.
func (s *Service) stopServers(base context.Context, rs []*running, timeout, hijackTimeout time.Duration) []error {
	shutCtx, cancel := context.WithTimeout(base, timeout)
	defer cancel()
	hijackCtx, cancelHijack := context.WithTimeout(base, hijackTimeout)
	defer cancelHijack()

	errs := make([][]error, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.stopOne(shutCtx, hijackCtx, r)
		}()
	}
	wg.Wait()
	var out []error
	for _, e := range errs {
		out = append(out, e...)
	}
	return out
}

func (s *Service) stopOne(shutCtx, hijackCtx context.Context, r *running) []error {
	var errs []error
	start := time.Now()
	if err := r.srv.Shutdown(shutCtx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown %s: %w", r.name, err))
	}
	if h, ok := r.srv.(*HTTPServer); ok {
		if n := h.tracker.open(); n > 0 {
			s.opts.Logger.Info("graceful: waiting for hijacked connections", "server", r.name, "open", n)
		}
		if err := h.waitHijacked(hijackCtx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown %s: %w", r.name, err))
		}
	}
	t := time.NewTimer(serveReturnTimeout)
	defer t.Stop()
	select {
	case <-r.done:
		if r.err != nil && !r.seen {
			errs = append(errs, fmt.Errorf("serve %s: %w", r.name, r.err))
		}
	case <-t.C:
		errs = append(errs, fmt.Errorf("serve %s: still running %s after shutdown", r.name, serveReturnTimeout))
	}
	s.opts.Logger.Info("graceful: server stopped", "server", r.name, "took", time.Since(start), "err", errors.Join(errs...))
	return errs
}

// orStopped turns the nil error of a server that stopped on its own into an error.
func orStopped(err error) error {
	if err == nil {
		return errors.New("stopped before any signal")
	}
	return err
}
