package graceful

import (
	"sync"
	"sync/atomic"
)

// Phase is one step of a service's life. Phases only move forward:
// PhaseServing, PhaseDraining, PhaseStopping, PhaseStopped.
type Phase int32

const (
	// PhaseServing is normal operation: readiness runs its checks, liveness answers 200.
	PhaseServing Phase = iota
	// PhaseDraining starts at the first signal: readiness answers 503, liveness 200, the
	// servers keep serving and every response carries "Connection: close".
	PhaseDraining
	// PhaseStopping starts after the drain delay: every server is shut down at once,
	// hijacked connections get their own budget, then the cleanup hooks run.
	PhaseStopping
	// PhaseStopped is reached when Run is about to return.
	PhaseStopped
)

// String returns the lowercase name of the phase, as used in logs.
func (p Phase) String() string {
	switch p {
	case PhaseServing:
		return "serving"
	case PhaseDraining:
		return "draining"
	case PhaseStopping:
		return "stopping"
	case PhaseStopped:
		return "stopped"
	default:
		return "unknown"
	}
}

// phaseState holds the current phase and one channel per phase that is closed once that
// phase has been reached.
type phaseState struct {
	current atomic.Int32
	mu      sync.Mutex
	reached [PhaseStopped + 1]chan struct{}
}

func newPhaseState() *phaseState {
	s := &phaseState{}
	for i := range s.reached {
		s.reached[i] = make(chan struct{})
	}
	close(s.reached[PhaseServing])
	return s
}

func (s *phaseState) get() Phase { return Phase(s.current.Load()) }

// set moves to p and closes the channels of every phase up to p. It reports whether the
// phase changed; moving backwards or to the same phase is a no-op.
func (s *phaseState) set(p Phase) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p <= s.get() {
		return false
	}
	from := s.get()
	s.current.Store(int32(p))
	for i := from + 1; i <= p; i++ {
		close(s.reached[i])
	}
	return true
}

func (s *phaseState) wait(p Phase) <-chan struct{} {
	if p < PhaseServing || p > PhaseStopped {
		p = PhaseStopped
	}
	return s.reached[p]
}
