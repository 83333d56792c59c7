package plan

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shipsafe/shipsafe/pkg/manifest"
	"github.com/shipsafe/shipsafe/pkg/release"
)

// LeftBehind returns, once each and as bare references (kind, namespace, name), the
// objects last could not prune (its Unpruned) and those that failed revisions in revs
// newer than last (all of them when last is nil) created. --rollback=never and a restore that could not finish leave them in place, and
// no deployed revision lists them, so a deploy must prune them (see Leftovers) or they
// stay forever. It reads no cluster state.
func LeftBehind(revs []*release.Revision, last *release.Revision) []*unstructured.Unstructured {
	var (
		shells []*unstructured.Unstructured
		seen   = map[manifest.Key]bool{}
	)
	if last != nil {
		for _, ref := range last.Unpruned {
			o := ref.Shell()
			if k := manifest.KeyOf(o); !seen[k] {
				seen[k] = true
				shells = append(shells, o)
			}
		}
	}
	for _, r := range revs {
		if r.Status != release.StatusFailed || last != nil && r.Number < last.Number {
			continue
		}
		for _, ref := range r.Created {
			o := ref.Shell()
			if k := manifest.KeyOf(o); !seen[k] {
				seen[k] = true
				shells = append(shells, o)
			}
		}
	}
	return shells
}

// Leftovers returns those of shells (from LeftBehind) that still exist and still belong
// to release rel (manifest.Owner.Owns): anything deleted or taken over since is left
// alone. existing is what exists, as returned by apply.Applier.Existing.
func Leftovers(shells []*unstructured.Unstructured, existing map[manifest.Key]*metav1.ObjectMeta, rel manifest.Owner) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range shells {
		if live, ok := existing[manifest.KeyOf(o)]; ok && rel.Owns(live.Labels, live.Annotations) {
			out = append(out, o)
		}
	}
	return out
}

// Prune returns, once each and in order, the objects a deploy of objs deletes once objs
// are ready: those of the last deployed revision (nil: none) and the leftovers (from
// Leftovers) that objs lack.
func Prune(last *release.Revision, leftovers, objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var candidates []*unstructured.Unstructured
	if last != nil {
		candidates = append(candidates, last.Objects...)
	}
	candidates = append(candidates, leftovers...)
	keep := manifest.Index(objs)
	var gone []*unstructured.Unstructured
	for _, o := range candidates {
		k := manifest.KeyOf(o)
		if _, ok := keep[k]; !ok {
			keep[k] = o // each once
			gone = append(gone, o)
		}
	}
	return gone
}
