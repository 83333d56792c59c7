package deploy

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

// prepare copies the objects, defaults their namespace, labels them with the release,
// leaves out the chart's crds/ CRDs that exist (unless UpdateCRDs; see
// spec.leftCRDs), checks ownership against what exists, and validates those that changed since the last
// deployed revision with a server-side dry-run apply. Any error is an InputError: nothing in the cluster has changed.
func (d *Deploy) prepare(ctx context.Context, opts *spec) ([]*unstructured.Unstructured, error) {
	if len(opts.Objects) == 0 {
		return nil, inputErrorf("release %q: no objects to deploy; pass manifests with -f FILE|DIR|-", opts.Release)
	}
	objs, err := plan.Normalize(d.cfg.Mapper, opts.Objects, opts.Release, opts.Namespace)
	if err != nil {
		return nil, err
	}
	// The size check encodes the whole record and the history read decodes the last
	// deployed revision: both run while the requests below wait.
	sized := checkSizeAsync(opts, objs)
	lastDeployed := lastDeployedBeforeLock(ctx, opts.records)
	defer lastDeployed() // opts.records is free again when prepare returns
	if err := d.checkAccess(ctx, opts, objs); err != nil {
		return nil, err
	}
	existing, err := d.cfg.Cluster.Existing(ctx, objs)
	if err != nil {
		return nil, &InputError{Err: fmt.Errorf("read the cluster: %w; check the cluster is reachable and you may list these kinds", err)}
	}
	if !opts.UpdateCRDs {
		// A chart's crds/ CRD that exists is left as it is, as Helm leaves it: whoever
		// owns it, it is neither checked, validated nor applied.
		objs, opts.leftCRDs = plan.LeaveCRDs(objs, plan.ChartCRDs(opts.Chart), existing)
	}
	if err := plan.CheckOwnership(objs, existing, manifest.Owner{Namespace: opts.Namespace, Name: opts.Release}, opts.Adopt); err != nil {
		return nil, err
	}
	// Objects applied as they are by the last deployed revision and unchanged since were
	// validated then: only the others are.
	opts.listed = newListing(lastDeployed(), objs, existing)
	toCheck := plan.Changed(objs, opts.listed.unchanged)
	if _, err := d.cfg.Cluster.Apply(ctx, opts.notInMissingNamespace(plan.DryRunnable(toCheck, existing)), apply.Options{DryRun: true, Force: opts.ForceConflicts}); err != nil {
		return nil, &InputError{Err: fmt.Errorf("validation (server-side dry run) failed, nothing was changed:\n%w", err)}
	}
	if err := d.prepareHooks(ctx, opts); err != nil {
		return nil, err
	}
	if err := sized(objs); err != nil {
		return nil, err
	}
	return objs, nil
}

// checkSizeAsync starts checking that the record of a revision of opts with objs can be
// stored (store.CheckSize: a record too large is bad input, refused before the lock) and
// returns the function that waits for the answer, given the objects finally deployed (a
// subset of objs): when objs was too large and final is smaller, final is checked again.
// With hooks, whose prepared form (prepareHooks) the record holds, the check runs only
// when waited for. objs must not be changed until the wait returns.
func checkSizeAsync(opts *spec, objs []*unstructured.Unstructured) func(final []*unstructured.Unstructured) error {
	name, source := opts.Release, opts.Source
	check := func(objs []*unstructured.Unstructured, hooks []release.Hook) error {
		err := store.CheckSize(&release.Revision{Release: name, Status: release.StatusPending,
			Objects: objs, Hooks: hooks, Source: source})
		var tooLarge *store.TooLargeError
		if errors.As(err, &tooLarge) {
			return &InputError{Err: err}
		}
		return nil // another encoding error is the record write's to report
	}
	if len(opts.Hooks) > 0 {
		return func(final []*unstructured.Unstructured) error { return check(final, opts.Hooks) }
	}
	done := make(chan error, 1)
	go func() { done <- check(objs, nil) }()
	return func(final []*unstructured.Unstructured) error {
		err := <-done
		if err != nil && len(final) < len(objs) {
			err = check(final, nil)
		}
		return err
	}
}
