package graceful

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Default values of a Check's zero Timeout and TTL.
const (
	DefaultCheckTimeout = 500 * time.Millisecond
	DefaultCheckTTL     = time.Second
)

// Check is one readiness condition, such as a database ping. Its result is cached for
// TTL and at most one call of Func runs at a time, so a storm of probes costs the
// dependency one call per TTL.
type Check struct {
	// Name identifies the check in the readiness answer and in errors, e.g. "postgres".
	Name string
	// Func returns nil when the dependency is usable. It gets a context that ends after
	// Timeout and is not tied to any one probe request.
	Func func(ctx context.Context) error
	// Timeout bounds one call of Func. A call that ignores its context still counts as
	// failed at the deadline, and no second call starts until it returns. Zero means
	// DefaultCheckTimeout; keep it under the probe's timeoutSeconds.
	Timeout time.Duration
	// TTL is how long a result, good or bad, is reused. Zero means DefaultCheckTTL.
	TTL time.Duration
}

func (c Check) withDefaults() Check {
	if c.Timeout == 0 {
		c.Timeout = DefaultCheckTimeout
	}
	if c.TTL == 0 {
		c.TTL = DefaultCheckTTL
	}
	if c.Func == nil {
		c.Func = func(context.Context) error { return errors.New("check has no Func") }
	}
	return c
}

// checker caches the result of one Check and lets concurrent callers share one call.
type checker struct {
	check Check
	now   func() time.Time

	mu       sync.Mutex
	result   error
	at       time.Time     // when result was stored; zero before the first result
	inflight chan struct{} // closed when the running call stores its result; nil when idle
	deadline time.Time     // when the running call counts as timed out
}

func newChecker(c Check, now func() time.Time) *checker {
	return &checker{check: c, now: now}
}

// run returns the cached result when it is younger than TTL; otherwise it joins the
// running call or starts one, and waits for it until the call's deadline or ctx ends.
func (k *checker) run(ctx context.Context) error {
	k.mu.Lock()
	if !k.at.IsZero() && k.now().Sub(k.at) < k.check.TTL {
		err := k.result
		k.mu.Unlock()
		return err
	}
	if k.inflight == nil {
		k.start(ctx)
	}
	done, deadline := k.inflight, k.deadline
	k.mu.Unlock()

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-done:
		k.mu.Lock()
		defer k.mu.Unlock()
		return k.result
	case <-timer.C:
		return fmt.Errorf("check %s: no answer within %s: %w", k.check.Name, k.check.Timeout, context.DeadlineExceeded)
	case <-ctx.Done():
		return fmt.Errorf("check %s: %w", k.check.Name, ctx.Err())
	}
}

// start launches one call of the check; k.mu must be held. The call runs under a context
// detached from the caller's cancellation, since other callers share its result.
func (k *checker) start(ctx context.Context) {
	done := make(chan struct{})
	k.inflight = done
	k.deadline = time.Now().Add(k.check.Timeout)
	callCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), k.deadline)
	go func() {
		defer cancel()
		err := k.check.Func(callCtx)
		if err != nil {
			err = fmt.Errorf("check %s: %w", k.check.Name, err)
		}
		k.mu.Lock()
		k.result, k.at, k.inflight = err, k.now(), nil
		k.mu.Unlock()
		close(done)
	}()
}
