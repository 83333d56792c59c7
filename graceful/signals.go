package graceful

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// signalWatch follows the termination signals for one Run.
type signalWatch struct {
	first <-chan struct{} // closed on the first signal
	force context.Context // cancelled once the second signal's Exit has returned
	stop  func()          // ends the watch and unsubscribes
}

// watchSignals reads Options.Signals, or subscribes to SIGTERM and SIGINT when it is nil.
// The first signal closes first; the second calls Exit(1) and then cancels force, which
// cuts every remaining step short when Exit returns (in tests). A closed Signals channel
// counts as no more signals.
func (s *Service) watchSignals(base context.Context) *signalWatch {
	ch := s.opts.Signals
	unsubscribe := func() {}
	if ch == nil {
		c := make(chan os.Signal, 2)
		signal.Notify(c, syscall.SIGTERM, os.Interrupt)
		ch = c
		unsubscribe = func() { signal.Stop(c) }
	}
	force, cancel := context.WithCancel(base)
	first := make(chan struct{})
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		n := 0
		for {
			select {
			case sig, ok := <-ch:
				if !ok {
					ch = nil
					continue
				}
				n++
				if n == 1 {
					s.opts.Logger.Info("graceful: signal received, draining", "signal", sig.String())
					close(first)
					continue
				}
				s.opts.Logger.Warn("graceful: second signal, forcing exit", "signal", sig.String())
				s.opts.Exit(1)
				cancel()
				return
			case <-done:
				return
			}
		}
	}()
	return &signalWatch{
		first: first,
		force: force,
		stop: func() {
			close(done)
			<-exited
			unsubscribe()
			cancel()
		},
	}
}
