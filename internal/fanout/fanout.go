// Package fanout runs one function over many items with bounded parallelism and one error
// policy: every failure is reported.
package fanout

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Each calls fn for every item, at most limit calls at a time (limit <= 0: no bound), and
// waits for them all. Error policy: a failure does not stop the other calls; once ctx is
// done, items not started yet are skipped and ctx's cause is reported once (unless a
// failure already wraps it). Each returns every failure, in item order, joined with
// errors.Join, or nil. fn gets the item's index and may write results to a slot of its
// own in a slice the caller owns; anything else it shares needs a lock.
func Each[T any](ctx context.Context, limit int, items []T, fn func(ctx context.Context, i int, item T) error) error {
	var g errgroup.Group
	if limit > 0 {
		g.SetLimit(limit)
	}
	var (
		errs    = make([]error, len(items))
		skipped atomic.Bool
	)
	for i, item := range items {
		if ctx.Err() != nil {
			skipped.Store(true)
			break
		}
		g.Go(func() error {
			if ctx.Err() != nil { // cancelled while waiting for a slot
				skipped.Store(true)
				return nil
			}
			errs[i] = fn(ctx, i, item)
			return nil
		})
	}
	_ = g.Wait() // the calls return nil: their errors are in errs
	if skipped.Load() && !slices.ContainsFunc(errs, func(err error) bool { return errors.Is(err, context.Cause(ctx)) }) {
		errs = append(errs, context.Cause(ctx))
	}
	return errors.Join(errs...)
}
