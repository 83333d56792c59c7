package graceful

import (
	"context"
	"fmt"
	"time"
)

// runHooks runs the hooks one after another under one HookTimeout. A hook still running
// at the deadline is abandoned and reported; the hooks after it are reported as skipped.
func (s *Service) runHooks(base context.Context) []error {
	if len(s.opts.Hooks) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(base, s.opts.HookTimeout)
	defer cancel()
	var errs []error
	for _, h := range s.opts.Hooks {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("cleanup %s: skipped: %w", h.Name, err))
			continue
		}
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- h.Func(ctx) }()
		var err error
		select {
		case err = <-done:
			if err != nil {
				err = fmt.Errorf("cleanup %s: %w", h.Name, err)
			}
		case <-ctx.Done():
			err = fmt.Errorf("cleanup %s: cut off at the %s deadline: %w", h.Name, s.opts.HookTimeout, ctx.Err())
		}
		if err != nil {
			errs = append(errs, err)
			s.opts.Logger.Error("graceful: cleanup failed", "hook", h.Name, "took", time.Since(start), "err", err)
		} else {
			s.opts.Logger.Info("graceful: cleanup done", "hook", h.Name, "took", time.Since(start))
		}
	}
	return errs
}
