package graceful

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrDraining is the readiness error from the first signal on.
var ErrDraining = errors.New("draining: shutting down")

// ErrForcedExit is wrapped by Run's error when a second signal cut the shutdown short.
var ErrForcedExit = errors.New("forced exit on second signal")

// Service runs servers through the phases serving, draining, stopping and stopped, and
// serves the readiness and liveness probes that match those phases. Make one with New,
// mount Readiness and Liveness on a server, and call Run once.
type Service struct {
	opts     Options // defaults applied
	raw      Options // as given, for validation in Run
	phase    *phaseState
	checkers []*checker
	started  atomic.Bool
	onPhase  sync.Mutex // serialises OnPhase calls
}

// New returns a Service in PhaseServing. Invalid options are reported by Run.
func New(opts Options) *Service {
	o := opts.withDefaults()
	s := &Service{opts: o, raw: opts, phase: newPhaseState()}
	for _, c := range o.Checks {
		s.checkers = append(s.checkers, newChecker(c, o.Now))
	}
	return s
}

// Phase returns the current phase.
func (s *Service) Phase() Phase { return s.phase.get() }

// Reached returns a channel that is closed once the service has reached phase p (or a
// later one). Handlers of websockets and other long-lived streams select on
// Reached(PhaseStopping) to say goodbye to their clients (a close frame with code 1001)
// before the HijackTimeout runs out; tests use it to wait for a phase without sleeping.
func (s *Service) Reached(p Phase) <-chan struct{} { return s.phase.wait(p) }

// Ready returns nil when the service should receive traffic: it is serving and every
// Check passes. From the first signal on it returns ErrDraining without running checks.
// Failing checks are joined into one error.
func (s *Service) Ready(ctx context.Context) error {
	if s.Phase() != PhaseServing {
		return ErrDraining
	}
	errs := make([]error, len(s.checkers))
	var wg sync.WaitGroup
	for i, k := range s.checkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = k.run(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// setPhase moves to p, logs it and calls OnPhase.
func (s *Service) setPhase(p Phase) {
	s.onPhase.Lock()
	defer s.onPhase.Unlock()
	if !s.phase.set(p) {
		return
	}
	s.opts.Logger.Info("graceful: phase "+p.String(), "phase", p.String())
	if s.opts.OnPhase != nil {
		s.opts.OnPhase(p)
	}
}
