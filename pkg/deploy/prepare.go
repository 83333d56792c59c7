package deploy

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/apply"
	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
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
	if err := d.checkAccess(ctx, opts); err != nil {
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
	toCheck := plan.Changed(objs, d.unchangedBeforeLock(ctx, opts.records, objs, existing))
	if _, err := d.cfg.Cluster.Apply(ctx, opts.notInMissingNamespace(plan.DryRunnable(toCheck, existing)), apply.Options{DryRun: true, Force: opts.ForceConflicts}); err != nil {
		return nil, &InputError{Err: fmt.Errorf("validation (server-side dry run) failed, nothing was changed:\n%w", err)}
	}
	if err := d.prepareHooks(ctx, opts); err != nil {
		return nil, err
	}
	return objs, nil
}
