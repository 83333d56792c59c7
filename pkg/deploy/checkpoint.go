package deploy

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// checkpoint records in the pending rev how far its deploy got (see release.Progress),
// so that a deploy that finds rev interrupted knows whether to complete it or undo it.
// A checkpoint that cannot be written is reported as a warning (and returned): the
// revision's final record write, which follows, decides the outcome and is never only a
// warning.
func (d *Deploy) checkpoint(ctx context.Context, rev *release.Revision, mark func(*release.Progress), ev *emitter) error {
	if rev.Progress == nil {
		rev.Progress = &release.Progress{}
	}
	mark(rev.Progress)
	rctx, cancel := detached(ctx, recordTimeout)
	defer cancel()
	if err := d.cfg.Store.Update(rctx, rev); err != nil {
		ev.emit(Event{Kind: Warning, Message: fmt.Sprintf("record the progress of revision %d: %v", rev.Number, err)})
		return err
	}
	return nil
}

// unpruned returns references to the objects of gone that are not in deleted.
func unpruned(gone, deleted []*unstructured.Unstructured) []release.ObjectRef {
	done := manifest.Index(deleted)
	var refs []release.ObjectRef
	for _, o := range gone {
		if _, ok := done[manifest.KeyOf(o)]; !ok {
			refs = append(refs, release.RefOf(o))
		}
	}
	return refs
}

// kept reports why a restore must not delete o, created by the revision being undone,
// whose chart names crds as its crds/ (chartCRDs): it is one of them (it stays the
// release's, so that the next attempt finds it its own), or (when recovering) it holds
// data (a PersistentVolumeClaim). It returns "" when o may be deleted; the delete still
// keeps an object marked with a keep policy, taking the release's ownership off it.
func kept(o *unstructured.Unstructured, crds map[manifest.Key]bool, recovering bool) string {
	k := manifest.KeyOf(o)
	if recovering && k.Group == "" && k.Kind == "PersistentVolumeClaim" {
		return "a PersistentVolumeClaim holds data; recovery never deletes one"
	}
	if crds[k] {
		return "a CRD of the chart's crds/: deleting it would delete every custom resource of its kind in the cluster; " +
			"`shipsafe uninstall --delete-crds` deletes it with the release"
	}
	return ""
}

// completeInterrupted records as deployed a pending revision whose deploy got as far
// as ready and then stopped (killed, or its final record write failed): its objects run,
// so undoing them would throw a good rollout away. It prunes what the revision replaced
// unless that was done.
func (d *Deploy) completeInterrupted(ctx context.Context, opts *RunOptions, revs []*release.Revision, p, last *release.Revision, ev *emitter) error {
	ev.warn(fmt.Sprintf("revision %d was left pending by %q after all its objects were ready; recording it as deployed", p.Number, p.Holder))
	if !p.Progress.Pruned {
		_, p.Unpruned = d.prune(ctx, revs, last, p, ev)
	}
	if err := d.markDeployed(ctx, opts, p, revs, nil, false, ev); err != nil {
		return fmt.Errorf("complete interrupted revision %d of %q: %w", p.Number, p.Release, err)
	}
	return nil
}
