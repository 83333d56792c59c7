package graceful

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"
)

// Default durations used when the matching Options field is zero.
const (
	DefaultDrainDelay      = 5 * time.Second
	DefaultShutdownTimeout = 10 * time.Second
	DefaultHookTimeout     = 5 * time.Second
)

// Options configures a Service. The zero value is usable: every zero duration takes its
// default, and the budget of the defaults (5s + 10s + 5s = 20s) fits the Kubernetes default
// terminationGracePeriodSeconds of 30 with room for a preStop sleep.
type Options struct {
	// DrainDelay is how long the servers keep serving after the first signal while
	// readiness answers 503, so that Services, ingress controllers and load balancers stop
	// sending new connections. Zero means DefaultDrainDelay; a negative value means no
	// drain at all (use it only when a preStop sleep already does the waiting).
	DrainDelay time.Duration

	// ShutdownTimeout bounds the Shutdown of all servers, which run at once. Requests
	// still running when it expires are cut off. Zero means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration

	// HijackTimeout is the budget of hijacked connections (websockets, CONNECT tunnels) on
	// servers made by HTTP, counted like ShutdownTimeout from the start of PhaseStopping.
	// Connections still open when it expires are closed. Zero means ShutdownTimeout.
	HijackTimeout time.Duration

	// HookTimeout is the deadline shared by all Hooks; a hook still running at the
	// deadline is cut off and reported. Zero means DefaultHookTimeout.
	HookTimeout time.Duration

	// Hooks run one after another, in order, once every server has stopped: close
	// database pools, flush queues, stop background workers.
	Hooks []Hook

	// Checks are readiness checks run by Service.Ready while serving; see Check.
	Checks []Check

	// Signals delivers the termination signals. Nil means Run subscribes to SIGTERM and
	// SIGINT itself and unsubscribes when it returns. The first signal starts the drain;
	// the second calls Exit(1).
	Signals <-chan os.Signal

	// Exit is called with code 1 on the second signal. Nil means os.Exit. If Exit
	// returns (as a test's does), Run cuts every server off, skips the hooks and returns
	// an error wrapping ErrForcedExit.
	Exit func(code int)

	// OnPhase, when set, is called synchronously on every phase change, after the change.
	OnPhase func(Phase)

	// Logger receives one line per phase change and per problem. Nil discards.
	Logger *slog.Logger

	// Now is the clock of the readiness cache. Nil means time.Now.
	Now func() time.Time
}

// Hook is a cleanup step run after the servers have stopped.
type Hook struct {
	// Name identifies the hook in logs and errors, e.g. "postgres".
	Name string
	// Func does the work and should return when ctx ends; a Func that ignores ctx is
	// abandoned at the deadline and reported as cut off.
	Func func(ctx context.Context) error
}

// Budget returns the longest time Run can take from the first signal to its return:
// the drain delay, then the longer of ShutdownTimeout and HijackTimeout, then HookTimeout
// (defaults applied). Servers wrapped by Last add at most LastTimeout on top. The pod's
// terminationGracePeriodSeconds must cover the preStop hook plus this budget; see
// CheckGrace and BudgetAnnotation.
func (o Options) Budget() time.Duration {
	o = o.withDefaults()
	return o.DrainDelay + max(o.ShutdownTimeout, o.HijackTimeout) + o.HookTimeout
}

// withDefaults returns o with zero durations replaced by their defaults and a negative
// drain delay replaced by zero.
func (o Options) withDefaults() Options {
	switch {
	case o.DrainDelay == 0:
		o.DrainDelay = DefaultDrainDelay
	case o.DrainDelay < 0:
		o.DrainDelay = 0
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.HijackTimeout == 0 {
		o.HijackTimeout = o.ShutdownTimeout
	}
	if o.HookTimeout == 0 {
		o.HookTimeout = DefaultHookTimeout
	}
	if o.Exit == nil {
		o.Exit = os.Exit
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Checks = slices.Clone(o.Checks)
	for i := range o.Checks {
		o.Checks[i] = o.Checks[i].withDefaults()
	}
	return o
}

// validate reports options that cannot work. It runs on the raw options.
func (o Options) validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"ShutdownTimeout", o.ShutdownTimeout},
		{"HijackTimeout", o.HijackTimeout},
		{"HookTimeout", o.HookTimeout},
	} {
		if f.d < 0 {
			errs = append(errs, fmt.Errorf("%s is %s: want zero (default) or positive", f.name, f.d))
		}
	}
	for i, h := range o.Hooks {
		if h.Func == nil {
			errs = append(errs, fmt.Errorf("hook %d (%q) has no Func", i, h.Name))
		}
	}
	for i, c := range o.Checks {
		if c.Func == nil {
			errs = append(errs, fmt.Errorf("check %d (%q) has no Func", i, c.Name))
		}
		if c.Timeout < 0 || c.TTL < 0 {
			errs = append(errs, fmt.Errorf("check %q: negative Timeout or TTL", c.Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("graceful options: %w", err)
	}
	return nil
}
