package deploy

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/plan"
	"github.com/shipsafe/shipsafe/pkg/release"
	"github.com/shipsafe/shipsafe/pkg/release/store"
)

// prune deletes what pruneSet finds (see pruneObjects).
func (d *Deploy) prune(ctx context.Context, revs []*release.Revision, last, rev *release.Revision, ev *emitter) ([]string, []release.ObjectRef) {
	return d.pruneObjects(ctx, d.pruneSet(ctx, revs, last, rev, ev), revs, rev, ev)
}

// pruneSet returns the objects a deploy of rev prunes: those of the last deployed
// revision that rev no longer has, and those that failed revisions since then created and
// left behind (plan.Prune), except the CRDs of rev's chart's crds/ (those it left as they
// were are still the release's) and the release's namespace. Failing to look for the
// leftovers is a warning: the next deploy looks again.
func (d *Deploy) pruneSet(ctx context.Context, revs []*release.Revision, last, rev *release.Revision, ev *emitter) []*unstructured.Unstructured {
	left, err := leftovers(ctx, d.cfg, revs, last)
	if err != nil {
		ev.warn(fmt.Sprintf("prune: %v; deploy again to retry", err))
	}
	gone := plan.Without(plan.Prune(last, left, rev.Objects), chartCRDs(rev))
	return withoutReleaseNamespace(gone, ownerOf(rev).Namespace, ev)
}

// pruneObjects deletes gone, objects rev's deploy prunes (pruneSet), if they are still
// the release's. A CRD of an earlier chart's crds/ stays, without the release's
// ownership, as a kept object does. A failed prune is a warning: rev is deployed and
// ready. It returns the names of the objects deleted and references to those it could
// not delete, which rev records (Unpruned) so that the next deploy tries again.
func (d *Deploy) pruneObjects(ctx context.Context, gone []*unstructured.Unstructured, revs []*release.Revision, rev *release.Revision, ev *emitter) ([]string, []release.ObjectRef) {
	if len(gone) == 0 {
		return nil, nil
	}
	opts := deleteOptions(ownerOf(rev), ev)
	opts.Keep = keepChartCRDs(revs...)
	deleted, err := d.cfg.Cluster.Delete(ctx, gone, opts)
	var names []string
	for _, o := range deleted {
		name := manifest.KeyOf(o).String()
		names = append(names, name)
		ev.emit(Event{Kind: Pruned, Object: name})
	}
	var failed []release.ObjectRef
	if err != nil {
		failed = unpruned(gone, deleted)
		ev.warn(fmt.Sprintf("prune: %v; the revision records them and the next deploy deletes them", err))
	}
	return names, failed
}

// leftovers returns the objects that failed revisions newer than last (every failed
// revision when last is nil) created and left in place and that still belong to the
// release (plan.LeftBehind, plan.Leftovers): prune and uninstall delete them.
func leftovers(ctx context.Context, cfg *Config, revs []*release.Revision, last *release.Revision) ([]*unstructured.Unstructured, error) {
	shells := plan.LeftBehind(revs, last)
	if len(shells) == 0 {
		return nil, nil
	}
	existing, err := cfg.Cluster.Existing(ctx, shells)
	if err != nil {
		return nil, fmt.Errorf("look for objects failed revisions left: %w", err)
	}
	return plan.Leftovers(shells, existing, ownerOf(revs[0])), nil
}

// markDeployed records rev as deployed and every other revision of revs still recorded
// as deployed as superseded: the previous one, and an older one whose own supersede
// write failed; then it trims history, unless recs (nil if not read under the lock) says
// it holds no more than opts.HistoryMax records, deciding from what recs read when it can
// (records.afterDeployed); a failed trim is a Warning event.
//
// When the deployed write fails, rev stays pending; with checkpointReady (a revision
// worth completing, whose Ready checkpoint was not written yet) markDeployed then writes
// that checkpoint, so that the next deploy completes rev rather than undoes it.
func (d *Deploy) markDeployed(ctx context.Context, opts *RunOptions, rev *release.Revision, revs []*release.Revision, recs *records, checkpointReady bool, ev *emitter) error {
	rctx, cancel := detached(ctx, recordTimeout)
	defer cancel()
	now := d.cfg.now()
	status, updated, finished, adopted := rev.Status, rev.UpdatedAt, rev.FinishedAt, rev.Adopted
	if err := rev.Transition(release.StatusDeployed, now); err != nil {
		return err
	}
	rev.Adopted = nil // adoption that succeeded needs no undoing
	if err := d.cfg.Store.Update(rctx, rev); err != nil {
		rev.Status, rev.UpdatedAt, rev.FinishedAt, rev.Adopted = status, updated, finished, adopted // still pending
		ready := rev.Progress != nil && rev.Progress.Ready
		if checkpointReady && !ready {
			ready = d.checkpoint(ctx, rev, func(p *release.Progress) { p.Ready = true }, ev) == nil
		}
		next := "rolls it back (it was not recorded as ready)"
		if ready {
			next = "records it as deployed (its progress says ready) and goes on"
		}
		return fmt.Errorf("record revision %d of %q as deployed: %w; the objects are deployed and ready, "+
			"but the release record still says pending: the next deploy of %s %s; `shipsafe status %s` shows it meanwhile",
			rev.Number, rev.Release, err, rev.Release, next, rev.Release)
	}
	for _, old := range revs {
		if old == nil || old.Number == rev.Number || old.Status != release.StatusDeployed {
			continue
		}
		if err := old.Transition(release.StatusSuperseded, now); err != nil {
			continue
		}
		if err := d.cfg.Store.Update(rctx, old); err != nil {
			return fmt.Errorf("record revision %d of %q as superseded: %w; revision %d is deployed, "+
				"and the next deploy of %s records %d as superseded", old.Number, old.Release, err, rev.Number, rev.Release, old.Number)
		}
	}
	if opts.HistoryMax > 0 && !recs.withinHistory(opts.HistoryMax) {
		var err error
		if known := recs.afterDeployed(rev); known != nil {
			_, err = store.PruneSummaries(rctx, d.cfg.Store, rev.Release, opts.HistoryMax, known)
		} else {
			_, err = store.Prune(rctx, d.cfg.Store, rev.Release, opts.HistoryMax)
		}
		if err != nil {
			ev.warn(fmt.Sprintf("trim the history of %q to %d revisions: %v; the next deploy trims it again", rev.Release, opts.HistoryMax, err))
		}
	}
	return nil
}

// record moves rev to status and writes it, even after ctx was cancelled.
func (d *Deploy) record(ctx context.Context, rev *release.Revision, status release.Status) error {
	rctx, cancel := detached(ctx, recordTimeout)
	defer cancel()
	if err := rev.Transition(status, d.cfg.now()); err != nil {
		return err
	}
	if err := d.cfg.Store.Update(rctx, rev); err != nil {
		return fmt.Errorf("record revision %d of %q as %s: %w", rev.Number, rev.Release, status, err)
	}
	return nil
}
