package deploy

import (
	"context"
	"fmt"

	"github.com/shipsafe/shipsafe/pkg/release"
)

// Rollback deploys the objects of an earlier revision as a new revision, with the same
// safety as any deploy (lock, record, tracking, automatic rollback if it fails).
type Rollback struct {
	cfg *Config
}

// NewRollback returns the rollback action.
func NewRollback(cfg *Config) *Rollback { return &Rollback{cfg: cfg} }

// Run rolls opts.Release back to revision opts.To (0: the revision before the current
// state: the last deployed one when the latest revision failed and was left in place,
// otherwise the one deployed before the current one). The target's objects and hooks are deployed, and its
// pre-rollback and post-rollback hooks run (unless opts.NoHooks), as Helm's rollback
// runs them; the target's verification checks judge the result.
func (r *Rollback) Run(ctx context.Context, opts RollbackOptions) (*Result, error) {
	revs, _, err := readHistory(ctx, r.cfg, opts.Release, nil) // the deploy it runs reports damaged records
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, inputErrorf("release %q not found in namespace %q; check the name and -n", opts.Release, opts.Namespace)
	}
	target, err := rollbackTarget(revs, opts.To)
	if err != nil {
		return nil, err
	}
	return NewDeploy(r.cfg).run(ctx, spec{
		DeployOptions: DeployOptions{
			Release: opts.Release, Namespace: opts.Namespace, Objects: target.Objects, Hooks: target.Hooks,
			Source: target.Source, Verification: target.Verification, Chart: target.Chart, RunOptions: opts.RunOptions,
		},
		description: fmt.Sprintf("rollback to %d", target.Number),
		rollback:    true,
		noHooks:     opts.NoHooks,
	})
}

// rollbackTarget picks the revision to roll back to.
func rollbackTarget(revs []*release.Revision, to int) (*release.Revision, error) {
	if to > 0 {
		for _, r := range revs {
			if r.Number == to {
				if len(r.Objects) == 0 {
					return nil, inputErrorf("revision %d of %q has no objects to roll back to", to, r.Release)
				}
				return r, nil
			}
		}
		return nil, inputErrorf("revision %d of %q not found; see `shipsafe history %s`", to, revs[0].Release, revs[0].Release)
	}
	current := release.LastDeployed(revs)
	// A latest revision that failed and was not restored (--rollback=never, or its
	// rollback failed) left the cluster between revisions: going back means going to
	// the last deployed revision, the one before the failure.
	if latest := release.Latest(revs); current != nil && latest.Status == release.StatusFailed && latest.Number > current.Number {
		return current, nil
	}
	for i := len(revs) - 1; i >= 0; i-- {
		r := revs[i]
		if r.Status == release.StatusSuperseded && (current == nil || r.Number < current.Number) {
			return r, nil
		}
	}
	return nil, inputErrorf("release %q has no earlier deployed revision to roll back to; name one: `shipsafe rollback %s REVISION`",
		revs[0].Release, revs[0].Release)
}
