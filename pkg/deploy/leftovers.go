package deploy

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// leftovers returns the objects that failed revisions newer than last (every failed
// revision when last is nil) created and left in place, as --rollback=never or a restore
// that could not finish does. No deployed revision lists them, so prune and uninstall
// must look for them here or they stay forever. Only objects that still exist and still
// carry the release's label are returned: anything since taken over is left alone.
func leftovers(ctx context.Context, cfg *Config, revs []*release.Revision, last *release.Revision) ([]*unstructured.Unstructured, error) {
	shells := LeftBehind(revs, last)
	if len(shells) == 0 {
		return nil, nil
	}
	existing, err := cfg.Applier.Existing(ctx, shells)
	if err != nil {
		return nil, fmt.Errorf("look for objects failed revisions left: %w", err)
	}
	var out []*unstructured.Unstructured
	for _, o := range shells {
		if live, ok := existing[manifest.KeyOf(o)]; ok && live.Labels[manifest.ReleaseLabel] == revs[0].Release {
			out = append(out, o)
		}
	}
	return out, nil
}

// LeftBehind returns, once each and as bare references (kind, namespace, name), the
// objects that failed revisions in revs newer than last (all of them when last is nil)
// created. A deploy prunes those that still exist and still carry the release's label
// (manifest.ReleaseLabel) unless the new revision has them; it reads no cluster state.
func LeftBehind(revs []*release.Revision, last *release.Revision) []*unstructured.Unstructured {
	var (
		shells []*unstructured.Unstructured
		seen   = map[manifest.Key]bool{}
	)
	for _, r := range revs {
		if r.Status != release.StatusFailed || last != nil && r.Number < last.Number {
			continue
		}
		for _, ref := range r.Created {
			o := refObject(ref)
			if k := manifest.KeyOf(o); !seen[k] {
				seen[k] = true
				shells = append(shells, o)
			}
		}
	}
	return shells
}
